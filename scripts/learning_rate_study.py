"""The side-by-side learning-rate study of docs/learning_rate.md: plateau exit time vs eta for vanilla,
bn-paper and bn-exact, from the same initial states (the paper's random start, N = 500), with the ODE
(K = 2, 3; tau = 1, 2; b = 1 and 100; 3 initial states) and with the exact order sampler (K = 2,
tau = 1; b = 1 with BN's population normaliser and b = 100 with batch statistics; 4 seeds).

    python scripts/learning_rate_study.py [--out rows.json]

Prints, per (K, tau, b) and model, the median exit alpha at every eta (inf: not within the run;
nan: the run left the domain) and each model's best eta and exit; writes all rows as JSON.
"""
import argparse
import json
import time

import numpy as np

from symbn.files import write_atomic
from symbn.numeric import exits

MODELS = ("vanilla", "bn-paper", "bn-exact")
ETAS = {1: (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0), 100: (1.0, 4.0, 16.0, 64.0, 256.0, 1024.0)}
SIM_ETAS = {1: (0.5, 1.0, 2.0, 4.0, 8.0), 100: (4.0, 16.0, 64.0, 256.0)}


def summary(rows, method):
    for (m, K, tau, b), (etas, med) in sorted(exits.medians(rows, method).items()):
        best = int(np.nanargmin(np.where(np.isfinite(med), med, np.nan))) if np.any(np.isfinite(med)) else None
        cells = " ".join(f"{e:g}:{x:.0f}" for e, x in zip(etas, med))
        tail = f"  best eta {etas[best]:g}, exit {med[best]:.0f}" if best is not None else "  no exit"
        print(f"{method:10s} K={K} tau={tau:g} b={b:3d} {m:9s} {cells}{tail}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="learning_rate_rows.json")
    a = p.parse_args()
    t0 = time.perf_counter()
    rows = []
    for b, etas in ETAS.items():
        rows += exits.table(MODELS, (2, 3), (1.0, 2.0), b, etas, seeds=3)
    for b, etas in SIM_ETAS.items():
        rows += [r for r in exits.table(MODELS, 2, 1.0, b, etas, simulations=True, seeds=4) if r["method"] == "simulation"]
    write_atomic(a.out, json.dumps(rows) + "\n")
    summary(rows, "ode")
    summary(rows, "simulation")
    print(f"\n({time.perf_counter() - t0:.0f} s)")

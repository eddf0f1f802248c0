"""The side-by-side learning-rate study of docs/learning_rate.md: plateau exit time vs eta for vanilla,
bn-paper and bn-exact, from the same initial states (the paper's random start, N = 500), with the ODE
(K = 2, 3; tau = 1, 2; b = 1 and 100; 3 initial states; b = 100 last, the slowest) and with the exact order sampler (K = 2,
tau = 1, b = 1 with BN's population normaliser; 4 seeds). Each block is printed when done.

    python scripts/learning_rate_study.py [--out rows.json]

Prints, per (K, tau, b) and model, the median exit alpha at every eta (inf: not within the run;
nan: the run left the domain) and each model's best eta and exit; writes the rows as JSON after every block.
"""
import argparse
import json
import time

import numpy as np

from symbn.files import write_atomic
from symbn.numeric import exits

MODELS = ("vanilla", "bn-paper", "bn-exact")
ETAS = {1: (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0), 100: (1.0, 4.0, 16.0, 64.0, 256.0, 1024.0)}
SIM_ETAS = (0.5, 1.0, 2.0, 4.0, 8.0)


def summary(rows, method):
    for (m, K, tau, b), (etas, med) in sorted(exits.medians(rows, method).items()):
        best = int(np.nanargmin(np.where(np.isfinite(med), med, np.nan))) if np.any(np.isfinite(med)) else None
        cells = " ".join(f"{e:g}:{x:.0f}" for e, x in zip(etas, med))
        tail = f"  best eta {etas[best]:g}, exit {med[best]:.0f}" if best is not None else "  no exit"
        print(f"{method:10s} K={K} tau={tau:g} b={b:3d} {m:9s} {cells}{tail}", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="learning_rate_rows.json")
    a = p.parse_args()
    t0 = time.perf_counter()
    rows = []

    def keep(block, method):
        summary(block, method)
        rows.extend(r for r in block if r["method"] == method)
        write_atomic(a.out, json.dumps(rows) + "\n")   # completed blocks survive an interruption

    for K, tau in ((2, 1.0), (2, 2.0), (3, 1.0), (3, 2.0)):
        keep(exits.table(MODELS, K, tau, 1, ETAS[1], seeds=3), "ode")
    keep(exits.table(MODELS, 2, 1.0, 1, SIM_ETAS, simulations=True, seeds=4), "simulation")
    for K, tau in ((2, 1.0), (2, 2.0), (3, 1.0), (3, 2.0)):
        keep(exits.table(MODELS, K, tau, 100, ETAS[100], seeds=3), "ode")
    print(f"\n({time.perf_counter() - t0:.0f} s)")

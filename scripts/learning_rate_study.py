"""The side-by-side learning-rate study of docs/learning_rate.md: plateau exit time vs eta for vanilla,
bn-paper and bn-exact, from the same initial states (the paper's random start, N = 500):

- the ODE: K = 2, 3; tau = 1, 2; b = 1 and 100; 3 initial states;
- the exact order sampler, 4 seeds: K = 2, 3; tau = 1, 2; b = 1 (BN with the population
  normaliser); and K = 2, tau = 1, b = 100 (BN with batch statistics).

    python scripts/learning_rate_study.py [--out rows.json]

Prints, per (K, tau, b) and model, the median exit alpha at every eta (inf: not within the run;
nan: the run left the domain) and each model's best eta and exit, each block when done; writes the
rows as JSON after every block; blocks already in --out are printed, not rerun.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np

from symbn.files import write_atomic
from symbn.numeric.analysis import exits
from symbn.numeric.analysis import learning_rate

MODELS = ("vanilla", "bn-paper", "bn-exact")
ETAS = {1: (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0), 100: (1.0, 4.0, 16.0, 64.0, 256.0, 1024.0)}
SIM_ETAS = (0.5, 1.0, 2.0, 4.0, 8.0)
SIM_ETAS_B100 = (4.0, 16.0, 64.0, 256.0)


def summary(rows, method):
    for (m, K, tau, b), (etas, med) in sorted(exits.medians(rows, method).items()):
        best = int(np.nanargmin(np.where(np.isfinite(med), med, np.nan))) if np.any(np.isfinite(med)) else None
        cells = " ".join(f"{e:g}:{x:.3g}" for e, x in zip(etas, med))
        tail = f"  best eta {etas[best]:g}, exit {med[best]:.3g}" if best is not None else "  no exit"
        print(f"{method:10s} K={K} tau={tau:g} b={b:3d} {m:9s} {cells}{tail}", flush=True)


def best_table(rows):
    """Markdown: each model's best eta and exit per (method, K, tau, b), vanilla's eta_max beside."""
    print("\n| method | K | tau | b | vanilla eta_max | vanilla: best eta, exit | bn-paper | bn-exact | "
          "BN best / vanilla best |\n|---|---|---|---|---|---|---|---|---|")
    med = {}
    for method in ("ode", "simulation"):
        for (m, K, tau, b), (etas, x) in exits.medians(rows, method).items():
            ok = np.isfinite(x)
            med[method, K, tau, b, m] = (etas[ok][np.argmin(x[ok])], x[ok].min()) if ok.any() else (np.nan, np.inf)
    for method, K, tau, b in sorted({k[:4] for k in med}):
        best = {m: med.get((method, K, tau, b, m), (np.nan, np.nan)) for m in MODELS}
        bn = min(best["bn-paper"][1], best["bn-exact"][1])
        cells = " | ".join(f"{best[m][0]:g}, {best[m][1]:.3g}" for m in MODELS)
        print(f"| {method} | {K} | {tau:g} | {b} | {learning_rate.eta_max(K, tau, b):.4g} | {cells} | "
              f"{bn / best['vanilla'][1]:.2f} |")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="learning_rate_rows.json")
    a = p.parse_args()
    t0 = time.perf_counter()
    rows = json.loads(Path(a.out).read_text()) if Path(a.out).exists() else []
    done = {(r["method"], r["K"], r["tau"], r["b"]) for r in rows}

    def block(method, K, tau, b, make):
        if (method, K, tau, b) in done:               # already in --out: print it, do not rerun
            summary([r for r in rows if (r["method"], r["K"], r["tau"], r["b"]) == (method, K, tau, b)], method)
            return
        new = [r for r in make() if r["method"] == method]
        summary(new, method)
        rows.extend(new)
        write_atomic(a.out, json.dumps(rows) + "\n")   # completed blocks survive an interruption

    for K, tau in ((2, 1.0), (2, 2.0), (3, 1.0), (3, 2.0)):
        block("ode", K, tau, 1, lambda: exits.table(MODELS, K, tau, 1, ETAS[1], seeds=3))
    block("simulation", 2, 1.0, 1, lambda: exits.table(MODELS, 2, 1.0, 1, SIM_ETAS, simulations=True, seeds=4))
    for K, tau in ((2, 1.0), (2, 2.0), (3, 1.0), (3, 2.0)):
        block("ode", K, tau, 100, lambda: exits.table(MODELS, K, tau, 100, ETAS[100], seeds=3))
    for K, tau in ((2, 2.0), (3, 1.0), (3, 2.0)):
        block("simulation", K, tau, 1, lambda: exits.table(MODELS, K, tau, 1, SIM_ETAS, simulations=True, seeds=4))
    block("simulation", 2, 1.0, 100, lambda: exits.table(MODELS, 2, 1.0, 100, SIM_ETAS_B100, simulations=True,
                                                          seeds=4))
    print(f"\n({time.perf_counter() - t0:.0f} s)")

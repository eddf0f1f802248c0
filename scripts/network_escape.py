"""The escape table of docs/network.md: does BN still slow the escape when the second layer learns?

    python scripts/network_escape.py

Rates: the largest Jacobian eigenvalue of the reduced flow per unit eta t (symbn.escape_rate), with
the second layer fixed and learned (rho = eta_w / eta = 1), K = 2, 3, tau = 1; batch norm at the
plateau member its runs reach from |J_i|^2 = 1, g = 1 (symbn.plateau_Q0). Simulation: exact order
sampler, N = 1000, eta = eta_w = 0.5, b = 1, population normaliser, 16 seeds; exit = first alpha
with eps_g < eps_g*/2 (symbn.plateau_exits), median over seeds (inf: not within alpha = 600).
"""
import time

import numpy as np

import symbn
from symbn.numeric import jobs

MODELS, KS, TAU, N, ETA, SEEDS, ALPHA = ("vanilla", "bn-paper", "bn-exact"), (2, 3), 1.0, 1000, 0.5, 16, 600.0


def run(model, K, eta_w):
    tr = symbn.simulate(model, K, N=N, steps=int(ALPHA * N), eta=ETA, eta_w=eta_w, b=1, normalizer="population",
                        seeds=SEEDS, every=N // 4)
    return symbn.plateau_exits(tr)


if __name__ == "__main__":
    t0 = time.perf_counter()
    keys = [(m, K, ew) for K in KS for m in MODELS for ew in (0.0, ETA)]
    exits = jobs.run(run, [dict(model=m, K=K, eta_w=ew) for m, K, ew in keys], label="network escape")
    print("| K | model | rate, w fixed | rate, w learned (rho = 1) | median exit alpha, w fixed | "
          "median exit alpha, w learned |")
    print("|---|---|---|---|---|---|")
    got = dict(zip(keys, exits))
    for K in KS:
        for m in MODELS:
            Q0 = None if m == "vanilla" else float(symbn.plateau_Q0(m, K, tau=TAU))
            rates = [float(symbn.escape_rate(m, K, tau=TAU, Q0=Q0, learn_w=lw)) for lw in (False, True)]
            med = [float(np.median(got[(m, K, ew)])) for ew in (0.0, ETA)]
            n = [int(np.isfinite(got[(m, K, ew)]).sum()) for ew in (0.0, ETA)]
            print(f"| {K} | {m} | {rates[0]:.4g} | {rates[1]:.4g} | {med[0]:.1f} ({n[0]}/{SEEDS}) | "
                  f"{med[1]:.1f} ({n[1]}/{SEEDS}) |")
    print(f"\n({time.perf_counter() - t0:.0f} s)")

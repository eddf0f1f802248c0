"""The tables of docs/relu.md: the ReLU plateau, its Hessian and escape rates (symbn.numeric.analysis.phase), and
plateau exits in simulation (exact order sampler; K = 2, 3, tau = 1, eta = 0.5, b = 1, population
normaliser, N = 1000, 16 seeds; exit = first alpha with eps_g < eps_g*/2, ReLU plateau height).

    python scripts/relu_tables.py
"""
import time

import numpy as np

import symbn
from symbn.figures.relu import phase_data
from symbn.numeric import jobs
from symbn.numeric.analysis.phase import Phase


def exits(model, K):
    tr = symbn.simulate(model, K, N=1000, steps=200_000, eta=0.5, b=1, activation="relu", normalizer="population",
                        seeds=16, every=100)
    return symbn.plateau_exits(tr), float(np.median(tr.eps_g[:, 0]))


if __name__ == "__main__":
    t0 = time.perf_counter()
    d = phase_data(np.array([2, 3, 5, 10, 2, 2, 2]), np.array([1.0, 1.0, 1.0, 1.0, 0.1, 0.5, 10.0]))
    print("| K | tau | R* | Q* | eps_g* | Hessian lambda_min vanilla | BN (closure) | escape rate vanilla | "
          "spread rate vanilla | bn-exact from Q0 = 1 | bn-paper from Q = g = 1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in range(d["K"].size):
        K, tau = int(d["K"][n]), float(d["tau"][n])
        p = Phase("vanilla", K, tau, "relu").plateau()
        print(f"| {K} | {tau:g} | {p['R']:.4f} | {p['Q']:.4f} | {d['eps_g'][n]:.4f} | {d['hessian_min_vanilla'][n]:.4g} | "
              f"{d['hessian_min_bn'][n]:.4g} | {d['rate_vanilla'][n]:.4g} | {d['spread_vanilla'][n]:.4g} | "
              f"{d['rate_bn_exact'][n]:.4g} | {d['rate_bn_paper'][n]:.4g} |")
    keys = [(m, K) for K in (2, 3) for m in ("vanilla", "bn-paper", "bn-exact")]
    res = jobs.run(exits, [dict(model=m, K=K) for m, K in keys], label="relu exits")
    print("\n| K | model | median eps_g(0) | median exit alpha (exited) | 10-90 % |")
    print("|---|---|---|---|---|")
    for (m, K), (ex, e0) in zip(keys, res):
        q = np.quantile(ex, [0.1, 0.9])
        print(f"| {K} | {m} | {e0:.3f} | {np.median(ex):.1f} ({int(np.isfinite(ex).sum())}/{ex.size}) | "
              f"{q[0]:.1f}-{q[1]:.1f} |")
    print(f"\n({time.perf_counter() - t0:.0f} s)")

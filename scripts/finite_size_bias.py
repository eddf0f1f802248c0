"""Print the finite-size bias table of docs/simulation.md: python scripts/finite_size_bias.py

N x mean over seeds of (eps_g of the simulation - eps_g of the ODE started from that seed's own
initial state), +- N x its standard error, at alpha = 2, 5, 10, 20. K = M = 2, tau = 1, eta = 1,
b = 1, 300 seeds of base seed 7, order sampler, population normaliser (the ODEs' normaliser);
ODE at rtol = 1e-6, atol = 1e-9 as in tests/test_ode_vs_sim.py. One job per (model, N).

Measured: 211 and 288 s (nice -n 10, 2 cores shared with another job).
"""
import time

import numpy as np

import symbn
from symbn.numeric import jobs

TIMES = np.array([0.0, 2.0, 5.0, 10.0, 20.0])
SEEDS, SEED = 300, 7


def bias(model, N):
    tr = symbn.simulate(model, 2, 2, N=N, steps=int(TIMES[-1] * N), tau=1.0, eta=1.0, b=1, normalizer="population",
                        method="order", seeds=SEEDS, seed=SEED, record=(TIMES * N).astype(int))
    ode = np.array([symbn.integrate(model, init=tr.initial_state(s), tau=1.0, eta=1.0, b=1, times=TIMES,
                                    rtol=1e-6, atol=1e-9).eps_g for s in range(SEEDS)])
    d = (tr.eps_g - ode)[:, 1:]
    return N * d.mean(0), N * d.std(0, ddof=1) / np.sqrt(SEEDS)


t0 = time.perf_counter()
keys = [(m, N) for m in ("vanilla", "bn-exact") for N in (250, 500, 1000, 2000)]
res = jobs.run(bias, [{"model": m, "N": N} for m, N in keys], cost=[N for _, N in keys], label="bias")
print("| model | N | " + " | ".join(f"alpha = {a:g}" for a in TIMES[1:]) + " |")
print("|---|---|" + "---|" * (TIMES.size - 1))
for (m, N), (mean, se) in zip(keys, res):
    print(f"| {m} | {N} | " + " | ".join(f"{x:+.2f} ± {e:.2f}" for x, e in zip(mean, se)) + " |")
print(f"\n({time.perf_counter() - t0:.0f} s)")

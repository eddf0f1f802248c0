"""Print the fig3_theory numbers of docs/simulation.md: python scripts/fig3_theory_numbers.py

The data of figure ``fig3_theory`` (settings symbn.figures.simulation.FIG3_THEORY: N = 10^4,
K = M = 2, tau = 1, eta = 1, b = 1, 4 seeds, order sampler, population normaliser; each seed's
ODE from its own initial state): per model, the largest |sim/ODE - 1| over alpha <= 30 and all
seeds (and where it occurs), and the RMS of sim/ODE - 1 over alpha in [15, 30].

Measured: 89 s (nice -n 10, 2 cores shared with another job).
"""
import time

import numpy as np

from symbn.figures.simulation import fig3_theory_data

t0 = time.perf_counter()
data = fig3_theory_data()
print("| model | largest abs(sim/ODE - 1), alpha <= 30 | at alpha | RMS of sim/ODE - 1, alpha in [15, 30] |")
print("|---|---|---|---|")
for model, (tr, ode_eps) in data.items():
    rel = tr.eps_g / ode_eps - 1
    s, i = np.unravel_index(np.argmax(np.abs(rel)), rel.shape)
    late = (tr.alpha >= 15) & (tr.alpha <= 30)
    rms = np.sqrt(np.mean(rel[:, late] ** 2))
    print(f"| {model} | {100 * abs(rel[s, i]):.1f} % | {tr.alpha[i]:g} (seed {tr.seeds[s]}) | {100 * rms:.1f} % |")
print(f"\n({time.perf_counter() - t0:.0f} s)")

"""Print the Fig. 3 tables of docs/simulation.md: python scripts/fig3_exits.py

Settings symbn.figures.simulation.FIG3 (the paper's: eta = 1, N = 100, b = 100, 20,000 steps,
10 seeds of base seed 0, recorded every 100 steps; order sampler, batch normaliser) for the
figure's panels and vanilla, bn-exact and bn-paper (not plotted). Exit iteration = N x
symbn.plateau_exits (first recorded eps_g < eps_g*/2): median [10 %, 90 %] over seeds (inf =
never); then the median eps_g after the last step.

Measured: 117-121 s (nice -n 10, 2 cores shared with another job).
"""
import time

import numpy as np

import symbn
from symbn.figures.simulation import FIG3, FIG3_PANELS
from symbn.numeric import jobs

t0 = time.perf_counter()
models = ("vanilla", "bn-exact", "bn-paper")
keys = [(K, tau, m) for K, tau in FIG3_PANELS for m in models]
trs = dict(zip(keys, jobs.run(symbn.simulate, [dict(model=m, K=K, tau=tau, **FIG3) for K, tau, m in keys],
                              cost=[K for K, _, _ in keys])))
fmt = lambda x: "never" if not np.isfinite(x) else f"{x:,.0f}"
print("| panel | eps_g* | " + " | ".join(f"{m} exit: median [10 %, 90 %] (exited)" for m in models) + " |")
print("|---|---|" + "---|" * len(models))
for K, tau in FIG3_PANELS:
    cells = []
    for m in models:
        ex = symbn.plateau_exits(trs[K, tau, m]) * FIG3["N"]
        q = np.quantile(np.where(np.isfinite(ex), ex, 1e300), [0.5, 0.1, 0.9])   # never = after any exit
        q[q > 1e299] = np.inf
        done = np.sort(ex[np.isfinite(ex)])
        cells.append(f"{fmt(q[0])} [{fmt(q[1])}, {fmt(q[2])}] ({done.size}/{ex.size}"
                     + (f"; at {', '.join(fmt(x) for x in done)}" if 0 < done.size < ex.size else "") + ")")
    print(f"| K = M = {K}, tau = {tau:g} | {float(symbn.eps_g_star('vanilla', K, tau=tau)):.3g} | {' | '.join(cells)} |")
print("\nMedian eps_g after 20,000 iterations:\n")
print("| panel | " + " | ".join(models) + " |")
print("|---|" + "---|" * len(models))
for K, tau in FIG3_PANELS:
    print(f"| K = M = {K}, tau = {tau:g} | "
          + " | ".join(f"{np.median(trs[K, tau, m].eps_g[:, -1]):.1e}" for m in models) + " |")
print(f"\n({time.perf_counter() - t0:.0f} s)")

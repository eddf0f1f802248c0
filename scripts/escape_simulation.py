"""Regenerate the simulation table of docs/escape.md: python scripts/escape_simulation.py

Settings: symbn.numeric.analysis.plateau_length.SESSION (N = 1000, eta = 0.5, b = 1, 8 seeds, alpha = 600,
order sampler, population normaliser), through plateau_length.plateau_table (one job per row,
symbn.numeric.jobs). Measured: 358 and 389 s wall, 8-9 core-minutes (nice -n 10, 2 cores shared with
another job).
"""
import time

import numpy as np

from symbn.numeric.analysis import plateau_length as pl

t0 = time.perf_counter()
rows = pl.plateau_table()
print("| K, tau | model | median exit alpha (exited) | Q on the plateau | g on the plateau | Q g^2 (closure says 1) |")
print("|---|---|---|---|---|---|")
f = lambda x: "—" if not np.isfinite(x) else f"{x:#.3g}"
for r in rows:
    ex = "never" if not np.isfinite(r["exit_median"]) else f"{r['exit_median']:.0f}"
    print(f"| {r['K']}, {r['tau']:g} | {r['model']} | {ex} ({r['exited']}/{len(r['exits'])}) | {f(r['Q'])} | "
          f"{f(r['g'])} | {f(r['Qg2'])} |")
q0 = sorted({f"{r['Q_init']:.2f}" for r in rows})
print(f"\nMean Q_ii(0) (seeds and units, per row): {', '.join(q0)}")
print(f"\n({time.perf_counter() - t0:.0f} s)")

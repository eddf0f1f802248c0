"""Cost per sweep job, for docs/scaling.md (plain script, not a test).

    python benchmarks/bench_scaling.py [--quick]

1. ODE job (vanilla, eta = 0.5, tau = 1, b = 1, alpha = 0..200, the paper's random start at
   N = 500; compiled right-hand side) vs K = M: wall time, RHS evaluations, time per RHS.
2. Simulation job (vanilla, K = M = 2, eta = 1, b = 1, one seed, 2000 steps) vs N: direct and
   order sampler, microseconds per step (the SGD loop alone).
3. The runner's overhead per job: 24 short ODE jobs (K = 2, alpha = 50) run in-process one after the
   other, through the local process pool (2 workers), and through a dask.distributed LocalCluster
   on loopback (2 single-threaded worker processes), each warmed up by 2 jobs first (process start
   and imports: ~1-2 s once per pool); wall time per job of each.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from symbn.numeric.ode import initial

from symbn.numeric.ode import full as ode

from symbn.numeric.runs import sweep
from symbn.numeric.sgd.simulate import simulate


def ode_job_cost(K):
    init = initial.random(K, K, N=max(500, 4 * K), seed=0)
    ode.integrate("vanilla", init=init, eta=0.5, times=np.linspace(0, 1, 2))      # compile / load outside timing
    t0 = time.perf_counter()
    tr = ode.integrate("vanilla", init=init, eta=0.5, times=np.linspace(0, 200, 201))
    wall = time.perf_counter() - t0
    return wall, tr.nfev


def sim_step_cost(method, N, steps=2000):
    simulate("vanilla", 2, N=N, steps=10, method=method, seeds=1)           # load compiled code outside timing
    tr = simulate("vanilla", 2, N=N, steps=steps, eta=1.0, b=1, method=method, seeds=1, every=steps)
    return tr.elapsed / steps


def runner_overhead(n_jobs=24):
    settings = dict(N=500, base=0, t=50.0, points=51)
    axes = dict(model=["vanilla"], K=[2], M=[None], tau=[1.0], eta=[1.0], b=[1], activation=["erf"], eta_w=[0.0],
                noise=[0.0], weight_decay=[0.0], seed=list(range(n_jobs)))
    jobs = sweep.grid(axes, settings)
    t0 = time.perf_counter()
    for j in jobs:
        sweep.ode_job(**j)
    inproc = time.perf_counter() - t0
    out = {}
    with tempfile.TemporaryDirectory() as d:
        sweep.run("ode", jobs[:2], Path(d) / "warm-local.csv", workers=2)     # start the pool's processes
        t0 = time.perf_counter()
        sweep.run("ode", jobs, Path(d) / "local.csv", workers=2)
        out["local pool (2 workers)"] = time.perf_counter() - t0
        try:
            import distributed
        except ImportError:
            return inproc, out
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                      dashboard_address=None) as cluster:
            sweep.run("ode", jobs[:2], Path(d) / "warm.csv", scheduler=cluster.scheduler_address)
            t0 = time.perf_counter()
            sweep.run("ode", jobs, Path(d) / "dask.csv", scheduler=cluster.scheduler_address)
            out["dask LocalCluster (2 workers)"] = time.perf_counter() - t0
    return inproc, out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer widths and dimensions")
    a = p.parse_args()
    print("| K = M | ODE job wall [s] | RHS evaluations | ms per RHS |\n|---|---|---|---|")
    for K in ((2, 5, 10) if a.quick else (2, 5, 10, 20, 40)):
        wall, nfev = ode_job_cost(K)
        print(f"| {K} | {wall:.3f} | {nfev} | {1e3 * wall / nfev:.4f} |", flush=True)
    print("\n| N | direct [us/step] | order sampler [us/step] | ratio |\n|---|---|---|---|")
    for N in ((1000, 10_000) if a.quick else (100, 1000, 10_000, 100_000)):
        d, o = sim_step_cost("direct", N), sim_step_cost("order", N)
        print(f"| {N} | {1e6 * d:.1f} | {1e6 * o:.1f} | {d / o:.1f} |", flush=True)
    inproc, runs = runner_overhead()
    print(f"\n24 ODE jobs (K = 2, alpha 50): in-process {inproc:.2f} s ({inproc / 24 * 1e3:.0f} ms/job)")
    for name, wall in runs.items():
        print(f"  {name}: {wall:.2f} s ({wall / 24 * 1e3:.0f} ms/job, {inproc / wall:.2f}x in-process)")


if __name__ == "__main__":
    main()

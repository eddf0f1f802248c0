"""Benchmark of the full order-parameter ODE integrator (plain script, not a test).

    python benchmarks/bench_ode.py            # default solver, K = M = 2 and 10; RHS scaling
                                              # (NumPy reference vs compiled, ratios in one run)
    python benchmarks/bench_ode.py --solvers  # also compare methods and tolerances

Setup (issue 4): vanilla, eta = 0.5, tau = 1, b = 1, t from 0 to 200, output at
t = 0, 1, ..., 200; the paper's random start ``initial.random(K, K, N=1000, seed=0)``.
Accuracy: max over output times of |eps_g - eps_ref| / eps_ref, with eps_ref from
DOP853 at rtol = 1e-13, atol = 1e-15. Wall times are the minimum of ``--repeat``
runs (the machine may be shared). Reference: a published C++ fixed-step Euler
integrator (dt = 0.01) took ~0.034 s (K = M = 2) and ~8.3 s (K = M = 10).
"""
from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from symbn.numeric.ode import initial

from symbn.numeric.ode import full as ode
from symbn.numeric.ode.system import System

from symbn.numeric.ode import solver as odesolve

ETA, TAU, B, T_MAX = 0.5, 1.0, 1, 200.0
TIMES = np.linspace(0.0, T_MAX, 201)


def run(K, method=odesolve.METHOD, rtol=odesolve.RTOL, atol=odesolve.ATOL, fast=None):
    init = initial.random(K, K, N=1000, seed=0)
    t0 = time.perf_counter()
    tr = ode.integrate("vanilla", K, K, tau=TAU, eta=ETA, b=B, times=TIMES, init=init,
                       method=method, rtol=rtol, atol=atol, fast=fast)
    return time.perf_counter() - t0, tr


def best(K, repeat, **kw):
    runs = [run(K, **kw) for _ in range(repeat)]
    return min(r[0] for r in runs), runs[0][1]


def rel_error(tr, ref):
    return float(np.max(np.abs(tr.eps_g - ref.eps_g) / np.abs(ref.eps_g)))


def rhs_time(K, repeat, fast=None, model="vanilla", **network):
    init = initial.random(K, K, N=max(1000, 4 * K), seed=0)
    system = System(model, K, K, init.T, TAU, ETA, B, fast=fast, **network)
    y = system.pack(init.Q, init.R)
    system(0.0, y)                          # compile or load the compiled kernels outside the timing
    n = max(1, int(2000 / K**2) * (20 if system.fast else 1))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            system(0.0, y)
        times.append((time.perf_counter() - t0) / n)
    return min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--solvers", action="store_true", help="compare methods and tolerances")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--rhs-K", default="2,10,50,100", help="widths for the RHS timing")
    a = p.parse_args()
    print(f"# python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"# vanilla eta={ETA} tau={TAU} b={B} t=0..{T_MAX:g}; default {odesolve.METHOD} rtol={odesolve.RTOL:g} atol={odesolve.ATOL:g}")
    refs = {}
    for K in (2, 10):
        _, refs[K] = run(K, rtol=1e-13, atol=1e-15)
        for fast in (False, True):
            wall, tr = best(K, a.repeat, fast=fast)
            print(f"K=M={K:<3d} {'compiled' if fast else 'NumPy   '} wall {wall:8.3f} s  nfev {tr.nfev:6d}  "
                  f"eps_g(200) {tr.eps_g[-1]:.12g}  max rel err {rel_error(tr, refs[K]):.2e}")
    if a.solvers:
        print("\n# method      rtol    atol    K  wall[s]  nfev  max rel err eps_g")
        for K in (2, 10):
            for method in ("DOP853", "RK45", "LSODA"):
                for rtol in (1e-6, 1e-7, 1e-8, 1e-10):
                    atol = rtol * 1e-2
                    wall, tr = best(K, a.repeat if K == 2 else 1, method=method, rtol=rtol, atol=atol)
                    print(f"{method:8s} {rtol:7.0e} {atol:7.0e} {K:3d} {wall:8.3f} {tr.nfev:6d}  "
                          f"{rel_error(tr, refs[K]):.2e}")
    print("\n# one RHS evaluation (vanilla, K = M): NumPy reference, compiled, ratio (same run)")
    for K in (int(k) for k in a.rhs_K.split(",")):
        ref = rhs_time(K, a.repeat if K <= 10 else 1, fast=False)
        fast = rhs_time(K, a.repeat)
        print(f"K=M={K:<4d} {ref * 1e3:10.3f} ms {fast * 1e3:10.3f} ms  {ref / fast:6.1f}x")
    print("\n# the general network (bn-exact): soft committee machine (w = v = 1) vs a learned second layer\n"
          "# with output noise and weight decay, NumPy and compiled, same run")
    net = dict(eta_w=0.5, noise=0.1, weight_decay=0.01)
    for K in (2, 10):
        row = [rhs_time(K, a.repeat, fast=f, model="bn-exact", **kw) for f in (False, True) for kw in ({}, net)]
        print(f"K=M={K:<4d} NumPy {row[0] * 1e3:.3f} ms -> learned w {row[1] * 1e3:.3f} ms ({row[1] / row[0]:.2f}x); "
              f"compiled {row[2] * 1e3:.4f} ms -> {row[3] * 1e3:.4f} ms ({row[3] / row[2]:.2f}x)")


if __name__ == "__main__":
    main()

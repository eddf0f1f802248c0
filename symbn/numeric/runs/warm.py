"""Compile numba's loops once, side by side, before many processes need them.

A fresh install has no compiled code in numba's on-disk cache: every process that first calls a
loop compiles it (the order sampler's ~18 s, the ODE's right-hand side ~8 s on the 2-core
machine), and a pool of workers starting on the same jobs compiles the same loop in each worker at
once. :func:`warm` instead compiles each needed loop in its own worker, in parallel, so that the
others load it from the cache (~1 s); on a warm cache it costs only those loads, which the workers
would pay at their first job anyway.
"""
from __future__ import annotations

import importlib.util
import time

from symbn.numeric import jobs

KERNELS = ("sampler", "ode")
"""The compiled loops: the order sampler's step loop and the full ODE's right-hand side."""


def load(kernel):
    """Compile ``kernel`` (or load it from numba's cache) in this process by a minimal run; seconds taken."""
    from symbn import validate

    kernel = validate.choice("kernel", kernel, KERNELS)
    t0 = time.perf_counter()
    if kernel == "sampler":
        from symbn.numeric.sgd.simulate import simulate

        simulate("vanilla", 1, 1, N=4, steps=1, seeds=1)
    else:
        from symbn.numeric.ode import full as ode

        ode.integrate("vanilla", 1, 1, t_max=1e-3)
    return time.perf_counter() - t0


def warm(kernels, workers=None):
    """:func:`load` each of ``kernels`` in a worker of the job runner, side by side (nothing without
    numba or with fewer than two workers: the loops then compile where they are first used)."""
    kernels = sorted(set(kernels))
    if not kernels or importlib.util.find_spec("numba") is None:
        return []
    if min(len(kernels), int(workers or jobs.workers_default())) < 2:
        return []
    return jobs.run(load, [dict(kernel=k) for k in kernels], workers=workers, label="compiled loops")

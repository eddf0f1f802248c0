"""One job runner for every batch of independent runs (figures, studies, sweeps): local processes
or a dask.distributed cluster.

Jobs are keyword dicts for one module-level function. They run in worker processes through
joblib (loky: robust process pool, workers are stopped on Ctrl-C or when a job fails), or, given a
scheduler address (``tcp://host:port``, or the environment variable SYMBN_DASK), as futures on
that dask.distributed cluster (``pip install 'symbn[dask]'``; the workers need symbn installed);
longest first when a cost estimate is given, and stream back as they finish with a tqdm
progress bar on a terminal. Every simulation seed owns its random streams
(:mod:`symbn.numeric.sgd.noise`), so results do not depend on the process that ran them.

Workers (local): the ``workers`` argument, else the environment variable SYMBN_WORKERS, else the
CPU count; one worker runs the jobs here, one after the other.
"""
from __future__ import annotations

import importlib.util
import os

from symbn.errors import ParameterError


def _indexed(fn, index, job, threads=None):
    if threads and importlib.util.find_spec("numba") is not None:
        import numba       # the pool's processes already fill the cores: compiled loops run serially

        numba.set_num_threads(threads)
    return index, fn(**job)


def workers_default():
    """SYMBN_WORKERS if set (> 0), else the CPU count."""
    return int(os.environ.get("SYMBN_WORKERS", 0) or 0) or (os.cpu_count() or 1)


CONNECT_TIMEOUT = "20s"
"""How long to try reaching a dask scheduler before giving up with a clear error."""


def _local(fn, jobs, order, workers):
    from joblib import Parallel, delayed

    n = min(len(jobs), max(1, int(workers or workers_default())))
    threads = 1 if n > 1 else None
    yield from Parallel(n_jobs=n, return_as="generator_unordered")(
        delayed(_indexed)(fn, i, jobs[i], threads) for i in order)


def _dask(fn, jobs, order, address):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ParameterError("--dask needs dask.distributed: pip install 'symbn[dask]'") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as e:
        raise ParameterError(f"cannot reach the dask scheduler at {address!r}: {e}") from None
    with client:
        futures = [client.submit(_indexed, fn, i, jobs[i], pure=False, priority=-n) for n, i in enumerate(order)]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:                                   # interrupted or failed: stop the rest on the cluster
            client.cancel([f for f in futures if not f.done()])


def imap(fn, jobs, *, workers=None, cost=None, label="jobs", scheduler=None):
    """Yield (index, fn(**jobs[index])) as jobs finish (longest ``cost`` first), with a progress bar;
    on the dask.distributed cluster at ``scheduler`` (default: SYMBN_DASK) if one is named."""
    from tqdm import tqdm

    jobs = list(jobs)
    if not jobs:
        return
    order = sorted(range(len(jobs)), key=lambda i: -cost[i]) if cost is not None else range(len(jobs))
    scheduler = scheduler or os.environ.get("SYMBN_DASK") or None
    results = _dask(fn, jobs, order, scheduler) if scheduler else _local(fn, jobs, order, workers)
    with tqdm(total=len(jobs), desc=label, unit="job", disable=None, leave=False) as bar:
        for index, result in results:
            bar.update()
            yield index, result


def run(fn, jobs, *, workers=None, cost=None, label="jobs", scheduler=None):
    """[fn(**job) for job in jobs], computed by :func:`imap` (results in job order)."""
    jobs = list(jobs)
    out = [None] * len(jobs)
    for index, result in imap(fn, jobs, workers=workers, cost=cost, label=label, scheduler=scheduler):
        out[index] = result
    return out

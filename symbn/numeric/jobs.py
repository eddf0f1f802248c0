"""One job runner for every batch of independent runs (figures, studies): local processes.

Jobs are keyword dicts for one module-level function. They run in worker processes through
joblib (loky: robust process pool, workers are stopped on Ctrl-C or when a job fails),
longest first when a cost estimate is given, and stream back as they finish with a tqdm
progress bar on a terminal. Every simulation seed owns its random streams
(:mod:`symbn.numeric.noise`), so results do not depend on the process that ran them.

Workers: the ``workers`` argument, else the environment variable SYMBN_WORKERS, else the
CPU count; one worker runs the jobs here, one after the other.
"""
from __future__ import annotations

import os


def _indexed(fn, index, job):
    return index, fn(**job)


def workers_default():
    """SYMBN_WORKERS if set (> 0), else the CPU count."""
    return int(os.environ.get("SYMBN_WORKERS", 0) or 0) or (os.cpu_count() or 1)


def imap(fn, jobs, *, workers=None, cost=None, label="jobs"):
    """Yield (index, fn(**jobs[index])) as jobs finish (longest ``cost`` first), with a progress bar."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    jobs = list(jobs)
    order = sorted(range(len(jobs)), key=lambda i: -cost[i]) if cost is not None else range(len(jobs))
    n = min(len(jobs), max(1, int(workers or workers_default())))
    tasks = (delayed(_indexed)(fn, i, jobs[i]) for i in order)
    with tqdm(total=len(jobs), desc=label, unit="job", disable=None, leave=False) as bar:
        for index, result in Parallel(n_jobs=n, return_as="generator_unordered")(tasks):
            bar.update()
            yield index, result


def run(fn, jobs, *, workers=None, cost=None, label="jobs"):
    """[fn(**job) for job in jobs], computed by :func:`imap` (results in job order)."""
    jobs = list(jobs)
    out = [None] * len(jobs)
    for index, result in imap(fn, jobs, workers=workers, cost=cost, label=label):
        out[index] = result
    return out

"""Parameter sweeps: one job per grid point (model, K, M, tau, eta, b, network, seed), run by
:mod:`symbn.numeric.jobs` (local processes or a dask.distributed cluster), each finished job one
row of a tidy table (:mod:`symbn.numeric.runs.table`: CSV, or Parquet at the end) as soon as it is done.

Jobs: ``ode`` integrates the full ODE from seed ``seed``'s random start (weights N(0, 1/N), base
seed ``base``); ``simulate`` runs that same seed (one seed per job). Results per row: ``eps_g`` at
the final time, ``exit_alpha`` (first alpha with eps_g below half the plateau height of the
model's family; ``inf`` if not in the run; empty where no plateau height is defined: K != M, a
learned second layer, linear activation) and ``elapsed_s`` (wall time of the integration or of the
SGD loop alone).

``resume`` keeps the rows already in the table (a torn last line of a killed run is dropped) and
skips their jobs; a job is identified by its parameter columns.
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.numeric import jobs
from symbn.numeric.ode import full as ode
from symbn.numeric.analysis import plateau
from symbn.numeric.runs import table
from symbn.numeric.ode.solver import ODEError
from symbn.numeric.sgd.simulate import simulate

GRID = ("model", "K", "M", "tau", "eta", "b", "activation", "eta_w", "noise", "weight_decay", "seed")
"""The swept parameters, in the table's column order (and the grid's nesting order, seed fastest)."""
SETTINGS = {"ode": ("N", "base", "t", "points"), "simulate": ("N", "base", "steps", "method", "normalizer")}
"""The fixed settings of each kind of job, columns after the grid's."""
RESULTS = ("eps_g", "exit_alpha", "elapsed_s")


def columns(kind):
    """The table's header for jobs of ``kind`` ("ode" or "simulate")."""
    return GRID + SETTINGS[validate.choice("kind", kind, tuple(SETTINGS))] + RESULTS


def check(kind, axes, settings):
    """Validate every value of ``axes`` and ``settings`` before any job starts (a clear error naming
    the parameter, not a failure inside a worker); returns the axes as lists of Python scalars."""
    from symbn import models

    scope = validate.choice("kind", kind, tuple(SETTINGS))
    missing = [n for n in GRID if n not in axes]
    if missing:
        raise ParameterError(f"sweep: no values for {', '.join(missing)}")
    out = {"model": [models.get(m, scope).name for m in axes["model"]],
           "activation": [validate.choice("activation", a, tuple(models.ACTIVATIONS)) for a in axes["activation"]],
           "K": [validate.count("K", k) for k in axes["K"]],
           "M": [None if m is None else validate.count("M", m) for m in axes["M"]],
           "seed": [validate.count("seeds", s, low=0) for s in axes["seed"]]}
    for name in ("tau", "eta"):
        out[name] = [float(validate.positive(name, x)) for x in axes[name]]
    out["b"] = [int(validate.at_least("b", x, 1, integer=True)) for x in axes["b"]]
    for name in ("eta_w", "noise", "weight_decay"):
        out[name] = [float(validate.at_least(name, x, 0.0)) for x in axes[name]]
    validate.count("N", settings["N"])
    validate.count("base seed", settings["base"], low=0)
    if kind == "ode":
        validate.positive("t", settings["t"])
        validate.count("points", settings["points"], low=2)
    else:
        validate.count("steps", settings["steps"])
    return out


def grid(axes, settings):
    """Job dicts: the Cartesian product of ``axes`` ({name in GRID: list of values}), each with
    ``settings``; M defaults to K (an M axis of [None])."""
    missing = [n for n in GRID if n not in axes]
    if missing:
        raise ParameterError(f"sweep: no values for {', '.join(missing)}")
    out = []
    for values in itertools.product(*(axes[n] for n in GRID)):
        job = dict(zip(GRID, values))
        job["M"] = job["K"] if job["M"] is None else job["M"]
        out.append({**job, **settings})
    return out


def _exit(model, K, M, tau, activation, eta_w, alpha, eps):
    if K != M or eta_w != 0 or activation == "linear":
        return math.nan
    height = plateau.plateau_height(model, K, tau, activation)
    return float(plateau.plateau(alpha, np.atleast_2d(eps), height=height).exit_alpha[0])


def ode_job(model, K, M, tau, eta, b, activation, eta_w, noise, weight_decay, seed, N, base, t, points):
    """One ODE row: eps_g(t), exit alpha, integration time (a run leaving the domain: eps_g nan)."""
    from symbn.numeric.ode import initial

    init = initial.random(K, M, N, base, seed)
    try:
        tr = ode.integrate(model, init=init, tau=tau, eta=eta, b=b, times=np.linspace(0.0, t, points),
                           activation=activation, eta_w=eta_w, noise=noise, weight_decay=weight_decay)
    except ODEError:
        return dict(eps_g=math.nan, exit_alpha=math.nan, elapsed_s=math.nan)
    return dict(eps_g=float(tr.eps_g[-1]), elapsed_s=tr.elapsed,
                exit_alpha=_exit(model, K, M, tau, activation, eta_w, tr.alpha, tr.eps_g))


def simulate_job(model, K, M, tau, eta, b, activation, eta_w, noise, weight_decay, seed, N, base, steps,
                 method, normalizer):
    """One simulation row (seed index ``seed`` of base seed ``base``): eps_g at the last step, exit
    alpha, wall time of the SGD loop."""
    tr = simulate(model, K, M, N=N, steps=steps, tau=tau, eta=eta, b=b, normalizer=normalizer, method=method,
                  seeds=[seed], seed=base, activation=activation, eta_w=eta_w, noise=noise,
                  weight_decay=weight_decay, every=max(1, N // 10))
    return dict(eps_g=float(tr.eps_g[0, -1]), elapsed_s=tr.elapsed,
                exit_alpha=_exit(model, K, M, tau, activation, eta_w, tr.alpha, tr.eps_g[0]))


JOBS = {"ode": ode_job, "simulate": simulate_job}


TYPES = {**dict.fromkeys(("model", "activation", "method", "normalizer"), str),
         **dict.fromkeys(("K", "M", "b", "seed", "N", "base", "points", "steps"), int)}
"""Column types of the Parquet table (every other column is float)."""


def _key(row, names):
    return tuple(row[n] for n in names)


def run(kind, job_list, out, *, resume=False, workers=None, scheduler=None):
    """Run the jobs of ``kind`` into the table ``out`` (.csv or .parquet, :mod:`symbn.numeric.runs.table`);
    returns (jobs run, jobs skipped).

    Rows stream in as jobs finish (any order); an interrupt leaves every finished row in place."""
    header = columns(kind)
    params = header[:-len(RESULTS)]
    fh, kept = table.start(out, header, resume)
    done = {_key(r, params) for r in kept}
    with fh:
        todo = [j for j in job_list if _key({n: table.cell(j[n]) for n in params}, params) not in done]
        cost = [j.get("t", j.get("steps", 1)) * j["K"] ** 2 * (1 + j["eta"] ** 2 * j["K"] ** 2 / j["b"])
                for j in todo]
        for index, result in jobs.imap(JOBS[kind], todo, workers=workers, cost=cost, label=f"sweep {kind}",
                                       scheduler=scheduler):
            table.append(fh, header, {**todo[index], **result})
    table.finish(out, {c: TYPES.get(c, float) for c in header})
    return len(todo), len(job_list) - len(todo)

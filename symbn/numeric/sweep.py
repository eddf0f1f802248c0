"""Parameter sweeps: one job per grid point (model, K, M, tau, eta, b, network, seed), run by
:mod:`symbn.numeric.jobs` (local processes or a dask.distributed cluster), each finished job one
row of a tidy CSV table as soon as it is done.

Jobs: ``ode`` integrates the full ODE from seed ``seed``'s random start (weights N(0, 1/N), base
seed ``base``); ``simulate`` runs that same seed (one seed per job). Results per row: ``eps_g`` at
the final time, ``exit_alpha`` (first alpha with eps_g below half the plateau height of the
model's family; ``inf`` if not in the run; empty where no plateau height is defined: K != M, a
learned second layer, linear activation) and ``elapsed_s`` (wall time of the integration or of the
SGD loop alone).

The table: one header line, then one line per job, appended with a single write and flushed.
``resume`` keeps the rows already in the file (a torn last line of a killed run is dropped) and
skips their jobs; a job is identified by its parameter columns.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import os
from pathlib import Path

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.files import write_atomic
from symbn.numeric import jobs, ode, plateau
from symbn.numeric.odesolve import ODEError
from symbn.numeric.simulate import simulate

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
    from symbn.numeric import initial

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


def _cell(value):
    """A CSV cell: integers plain, floats by repr (round-trips), nan as empty."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)


def _line(cells):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _key(row, names):
    return tuple(row[n] for n in names)


def read_table(path):
    """(header, rows as dicts of strings) of a sweep table; a torn last line is dropped."""
    text = Path(path).read_text()
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return None, []
    return tuple(lines[0]), [dict(zip(lines[0], r)) for r in lines[1:] if len(r) == len(lines[0])]


def _open(path, header, resume):
    """The table's file handle (append mode) and the parameter keys already in it."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ParameterError(f"--out must be a .csv file, got {str(path)!r}")
    done, keep = set(), ""
    if resume and path.exists() and path.stat().st_size:
        found, rows = read_table(path)
        if found is not None and found != header:
            raise ParameterError(f"--resume: {str(path)!r} has columns {', '.join(found)}, "
                                 f"not those of this sweep ({', '.join(header)})")
        params = header[:-len(RESULTS)]
        done = {_key(r, params) for r in rows}
        keep = "".join(_line([r[c] for c in header]) for r in rows)
    elif path.exists() and not resume:
        raise ParameterError(f"{str(path)!r} exists: pass --resume to continue it, or remove it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, _line(header) + keep)     # a resumed table, without its torn line
        return open(path, "a"), done
    except OSError as e:
        raise ParameterError(f"cannot write {str(path)!r}: {e.strerror or e}") from None


def run(kind, job_list, out, *, resume=False, workers=None, scheduler=None):
    """Run the jobs of ``kind`` into the CSV table ``out``; returns (jobs run, jobs skipped).

    Rows stream in as jobs finish (any order); an interrupt leaves every finished row in place."""
    header = columns(kind)
    params = header[:-len(RESULTS)]
    fh, done = _open(out, header, resume)
    with fh:
        todo = [j for j in job_list if _key({n: _cell(j[n]) for n in params}, params) not in done]
        cost = [j.get("t", j.get("steps", 1)) * j["K"] ** 2 * (1 + j["eta"] ** 2 * j["K"] ** 2 / j["b"])
                for j in todo]
        for index, result in jobs.imap(JOBS[kind], todo, workers=workers, cost=cost, label=f"sweep {kind}",
                                       scheduler=scheduler):
            row = {**todo[index], **result}
            fh.write(_line([_cell(row[c]) for c in header]))
            fh.flush()
            os.fsync(fh.fileno())
    return len(todo), len(job_list) - len(todo)

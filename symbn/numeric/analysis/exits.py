"""Plateau exit times measured with the ODE and with simulation, from the same initial states:
the side-by-side comparison of learning rates across models (docs/learning_rate.md).

Exit: the first time (alpha = steps / N) with eps_g < eps_g* / 2, eps_g* the model family's plateau
height at eta -> 0 (:func:`symbn.numeric.analysis.plateau.plateau_height`), the rule of
:func:`symbn.numeric.analysis.plateau.exits`. Initial states: seed s of ``simulate(model, K, N=N, seed=0)``
(weights N(0, 1/N), g = 1): the same order parameters for every model (the models draw the same
weights). The ODE is the full one (any K, M) from that state; a run that leaves the domain (a
learning rate beyond what the model survives) has exit ``nan``.
"""
from __future__ import annotations

import numpy as np

from symbn import validate
from symbn.numeric import jobs
from symbn.numeric.ode import full as ode
from symbn.numeric.analysis import plateau
from symbn.numeric.ode.solver import ODEError
from symbn.numeric.sgd.simulate import simulate

STUDY = dict(N=500, seeds=4, alpha_max=None, points=2001)
"""Defaults: input dimension, seeds, the longest run (alpha; None: :func:`run_length`), output points
per ODE run (as many again over its first 1 %)."""


def run_length(eta):
    """alpha long enough for the slowest exit at this learning rate: 400 / eta + 1600, at most 4000.

    The constant matters: BN's exits do not shrink as 1 / eta (scale invariance; K = 3 exits near
    alpha = 700 at every eta), so a run length falling with eta would report them as 'never'."""
    return float(min(4000.0, 400.0 / eta + 1600.0))


def initial_states(K, N, seeds):
    """The seeds' initial order parameters (InitialState dicts) of the paper's random start."""
    tr = simulate("vanilla", K, N=N, steps=0, seeds=seeds)
    return [tr.initial_state(s) for s in range(seeds)]


def ode_exit(model, K, init, *, tau=1.0, eta=1.0, b=1, alpha_max=None, points=STUDY["points"]):
    """Exit alpha of the ODE from ``init`` (inf if not by alpha_max, nan if the state leaves the domain)."""
    height = plateau.plateau_height(model, K, tau)
    alpha_max = run_length(eta) if alpha_max is None else alpha_max
    # ``points`` over the run plus as many over its first 1 %: large eta and b exit within alpha ~ 1
    times = np.union1d(np.linspace(0.0, alpha_max, points), np.linspace(0.0, alpha_max / 100, points))
    try:
        # LSODA: large eta^2 tau / b makes the BN flow stiff (b = 100, eta = 512: 1452 RHS calls
        # instead of RK45's 273,908; the exits agree to the output grid)
        tr = ode.integrate(model, init=init, tau=tau, eta=eta, b=b, times=times, rtol=1e-7, atol=1e-10,
                           method="LSODA")
    except ODEError:
        return np.nan
    return float(plateau.plateau(tr.alpha, tr.eps_g[None], height=height).exit_alpha[0])


def _ode_job(model, K, tau, eta, b, N, seeds, alpha_max, points):
    return [ode_exit(model, K, st, tau=tau, eta=eta, b=b, alpha_max=alpha_max, points=points)
            for st in initial_states(K, N, seeds)]


def _sim_job(model, K, tau, eta, b, N, seeds, alpha_max, normalizer):
    steps = int(round(alpha_max * N))
    fine = np.arange(0, min(steps, 20 * N) + 1, max(1, N // 100))      # alpha 0.01 up to 20, then 0.1
    tr = simulate(model, K, N=N, steps=steps, tau=tau, eta=eta, b=b, seeds=seeds, normalizer=normalizer,
                  record=np.union1d(fine, np.arange(0, steps + 1, max(1, N // 10))))
    exits = plateau.exits(tr)
    return np.where(np.isfinite(tr.eps_g[:, -1]), exits, np.nan).tolist()


def normalizer_for(b):
    """BN statistics: the population normaliser at b = 1 (batch statistics of one sample freeze J),
    mini-batch statistics otherwise."""
    return "population" if b == 1 else "batch"


def table(models, K, tau, b, etas, *, simulations=False, workers=None, **settings):
    """Rows {model, K, tau, b, eta, seed, method ("ode" / "simulation"), exit} over the grid."""
    p = {**STUDY, **settings}
    etas = [float(e) for e in np.ravel(validate.positive("eta", etas))]
    grid = [(m, int(k), float(t), int(bb), e) for m in models for k in np.ravel(K) for t in np.ravel(tau)
            for bb in np.ravel(b) for e in etas]
    kw = dict(N=p["N"], seeds=p["seeds"])
    length = lambda e: p["alpha_max"] or run_length(e)  # noqa: E731
    ode_rows = jobs.run(_ode_job, [dict(model=m, K=k, tau=t, eta=e, b=bb, points=p["points"], alpha_max=length(e),
                                        **kw) for m, k, t, bb, e in grid], workers=workers, label="ODE exits")
    out = []
    for (m, k, t, bb, e), exits in zip(grid, ode_rows):
        out += [dict(model=m, K=k, tau=t, b=bb, eta=e, seed=s, method="ode", exit=x) for s, x in enumerate(exits)]
    if simulations:
        sims = jobs.run(_sim_job, [dict(model=m, K=k, tau=t, eta=e, b=bb, normalizer=normalizer_for(bb),
                                        alpha_max=length(e), **kw) for m, k, t, bb, e in grid], workers=workers,
                        cost=[length(e) * bb ** 0.5 for *_, bb, e in grid], label="simulation exits")
        for (m, k, t, bb, e), exits in zip(grid, sims):
            out += [dict(model=m, K=k, tau=t, b=bb, eta=e, seed=s, method="simulation", exit=x)
                    for s, x in enumerate(exits)]
    return out


def medians(rows, method):
    """{(model, K, tau, b): (etas, median exit)} of one method; nan when a run left the domain."""
    out = {}
    for r in rows:
        if r["method"] == method:
            out.setdefault((r["model"], r["K"], r["tau"], r["b"]), {}).setdefault(r["eta"], []).append(r["exit"])
    return {key: (np.array(sorted(d)), np.array([np.median(d[e]) if not np.any(np.isnan(d[e])) else np.nan
                                                 for e in sorted(d)]))
            for key, d in out.items()}

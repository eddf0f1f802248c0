"""Plateau length: predicted from the escape rate and the initial condition vs measured in SGD.

Linear theory (time s = eta alpha, alpha = iterations / N). Near the symmetric fixed point y*
the deviation x = y - y* of the *full* order parameters (Q upper triangle, R, g; the state of
:class:`symbn.numeric.ode.system.System`) obeys dx/ds = A x, so

    x(s) = sum_k exp(lambda_k s) P_k x(0),        P_k the spectral projectors of A,

and the part in the unstable eigenspace (eigenvalue lambda = :func:`escape.escape_rate`,
degenerate for K >= 3) grows from d0 = |P x(0)|. Definitions used here, per seed:

* y* : the symmetric fixed point; for BN the family member Q0 = :func:`escape.plateau_Q0`
  from the seed's own mean Q_ii(0) and g_i(0) (what the O(eta) conservation laws reach);
* d0 = |P (y(0) - y*)|, P the spectral projector of the finite-difference full-ODE Jacobian
  (:func:`escape.full_jacobian`) on the eigenvalues within 1e-3 lambda of lambda (from their right
  eigenvectors and the left null space of A - lambda I);
* d_exit = eps exp(lambda s_exit): s_exit is the time the eta^1 ODE needs from
  y* + eps P x(0)/d0 to the exit eps_g < eps_g*/2 (the rule of :func:`symbn.numeric.analysis.plateau.plateau`),
  so d_exit is where a pure exponential started at y* would have to stand to exit with the
  nonlinear flow (independent of eps for eps -> 0; eps = 1e-3, errors O(eps));
* predicted alpha_exit = ln(d_exit / d0) / (eta lambda)  (:func:`escape.plateau_length`).

The prediction neglects (i) the nonlinear transient from y(0) to the plateau (y(0) is O(1)
away from y* in the stable directions: Q_ii(0) = 1 vs Q* = 1/u for vanilla), (ii) SGD noise
feeding the unstable direction, (iii) the eta^2 tau / b terms (fixed point shifted at
O(eta tau / b); for BN the conserved quantity drifts, so Q and 1/lambda grow).
"""
from __future__ import annotations

import numpy as np

from scipy.integrate import solve_ivp

from symbn import models, validate
from symbn.errors import ParameterError
from symbn.numeric.analysis import escape
from symbn.numeric import jobs
from symbn.numeric.ode.system import System
from symbn.numeric.analysis import plateau
from symbn.numeric.kernels.orderparams import eps_g
from symbn.numeric.sgd.simulate import simulate


def _system(model, K, tau):
    return System(model, K, K, tau=tau)


def unstable_projector(model, K, tau, Q0=None):
    """(lambda, P, y*): escape rate, spectral projector on its eigenspace (full ODE), fixed point.

    P = V_u (W_u^H V_u)^-1 W_u^H for the m eigenvalues u = {k : |ev_k - lambda| < 1e-3 lambda}: V_u
    their right eigenvectors, W_u the left singular vectors of A - lambda I with the m smallest
    singular values (its left null space). Not V_u (V^-1)_u, nor LAPACK's left eigenvectors: where
    batch norm's neutral (zero) eigenvalues are defective, cond(V) reaches 3e11 and LAPACK's left
    eigenvector of lambda misses w^H A = lambda w^H by 0.05 (bn-exact, K = 2, tau = 2, one seed's Q0).
    """
    A, ystar = escape.full_jacobian(model, K, tau=tau, Q0=Q0)
    ev, V = np.linalg.eig(A)
    lam = float(escape.escape_rate(model, K, tau=tau, Q0=Q0))
    u = np.abs(ev - lam) < 1e-3 * lam
    if not np.any(u):
        raise ArithmeticError(f"escape rate {lam:g} not found in the full-ODE spectrum")
    Vu = V[:, u]
    Wh = np.linalg.svd(A - lam * np.eye(len(A)))[0][:, -int(u.sum()):].T
    P = (Vu @ np.linalg.solve(Wh @ Vu, Wh)).real
    return lam, P, ystar


def exit_distance(model, K, tau, ystar, direction, rate, eps=1e-3, rtol=1e-5):
    """d_exit = eps exp(rate s_exit): s_exit = eta^1-ODE time from ystar + eps direction to eps_g < eps_g*/2.

    LSODA (the flow is stiff: stable eigenvalues O(1), rate down to ~1e-3). ArithmeticError
    if the exit is not reached within s = 60 / rate.
    """
    sysm = _system(model, K, tau)
    half = plateau.exit_threshold(model, K, tau)
    T = np.eye(K)

    def below(s, y):
        st = sysm.unpack(y)
        return eps_g(st["Q"], st["R"], T, tau, st.get("g")) - half

    below.terminal = True
    sol = solve_ivp(lambda s, y: sysm.flow(y), (0.0, 60.0 / rate), ystar + eps * np.asarray(direction),
                    method="LSODA", rtol=rtol, atol=1e-8, events=below)
    if not sol.t_events[0].size:
        raise ArithmeticError(f"{model} K = {K} tau = {tau:g}: no exit within s = {60 / rate:g}")
    return eps * float(np.exp(rate * sol.t_events[0][0]))


def predict(model, K, tau, Q, R, g=None, eta=1.0):
    """Linear-theory exit alpha per seed from initial order parameters Q (S, K, K), R (S, K, K), g (S, K).

    Returns dict of arrays (S,): rate, Q0 (nan for vanilla), d0, d_exit, alpha (module docstring).
    """
    model = validate.model(model, "ode")
    K = validate.count("K", K)
    tau, eta = float(validate.positive("tau", tau)), float(validate.positive("eta", eta))
    Q, R = np.asarray(Q, dtype=float), np.asarray(R, dtype=float)
    if Q.ndim != 3 or Q.shape[1:] != (K, K) or R.shape != Q.shape:
        raise ParameterError(f"Q and R must have shape (seeds, K, K) = (S, {K}, {K}), "
                                      f"got {Q.shape} and {R.shape}")
    bn = model.normalized
    g = np.ones(Q.shape[:2]) if g is None else np.asarray(g, dtype=float)
    sysm = _system(model, K, tau)
    out = {k: np.empty(len(Q)) for k in ("rate", "Q0", "d0", "d_exit", "alpha")}
    for s in range(len(Q)):
        Q0 = float(escape.plateau_Q0(model, K, tau=tau, Q_init=np.diagonal(Q[s]).mean(),
                                     g_init=g[s].mean())) if bn else None
        rate, P, ystar = unstable_projector(model, K, tau, Q0)
        x = P @ (sysm.pack(Q[s], R[s], g[s] if bn else None) - ystar)
        d0 = float(np.linalg.norm(x))
        d_exit = exit_distance(model, K, tau, ystar, x / d0, rate)
        out["rate"][s], out["Q0"][s], out["d0"][s], out["d_exit"][s] = rate, np.nan if Q0 is None else Q0, d0, d_exit
        out["alpha"][s] = float(escape.plateau_length(rate, d0, d_exit, eta))
    return out


PLATEAU = dict(N=100, eta=1.0, b=10, seeds=8, seed=0, method="order", normalizer="population",
               alpha_max=1000.0, record=0.1)
"""Simulation settings: population normaliser (the ODEs' large-b limit), b = 10 (eta^2 tau / b
and the SGD noise 10x below b = 1); run length 2 max(predicted alpha) + 6 / (eta lambda) (the
linear theory's error is additive, a few e-folds), at most ``alpha_max``; eps_g recorded every
``record`` in alpha (the exit resolution)."""
GRID = dict(K=(2, 3, 4), tau=(1.0, 2.0, 4.0), models=models.names("ode"))


def run(model, K, tau, **settings):
    """Predicted and measured plateau exits of one (model, K = M, tau) over seeds; dict of arrays (S,).

    Initial order parameters from ``simulate(steps=0)`` (same weights as the run: per-seed
    streams), prediction :func:`predict`, then the run and the exit rule of
    :func:`symbn.numeric.analysis.plateau.exits` (first alpha with eps_g < eps_g*/2; inf if never).
    """
    p = {**PLATEAU, **settings}
    N, eta = p["N"], p["eta"]
    kw = dict(tau=tau, eta=eta, b=p["b"], seeds=p["seeds"], seed=p["seed"], method=p["method"],
              normalizer=p["normalizer"])
    tr0 = simulate(model, K, K, N=N, steps=0, **kw)
    g0 = tr0.initial.get("g")
    pred = predict(model, K, tau, tr0.initial["Q"], tr0.initial["R"], g0, eta)
    alpha_run = min(float(p["alpha_max"]), 2 * float(pred["alpha"].max()) + 6 / (eta * float(pred["rate"].min())))
    steps = int(np.ceil(alpha_run * N))
    # each seed stops at its exit (nothing after it is used): ~3/4 of the steps were past the exits
    tr = simulate(model, K, K, N=N, steps=steps, every=max(1, int(round(p["record"] * N))),
                  stop_below=plateau.exit_threshold(model, K, tau), **kw)
    return {**{k: v for k, v in pred.items() if k != "alpha"}, "alpha_pred": pred["alpha"],
            "alpha_exit": plateau.exits(tr), "alpha_run": np.full(len(tr.seeds), steps / N),
            "seed": tr.seeds.astype(float), "elapsed": np.full(len(tr.seeds), tr.elapsed)}


COLUMNS = ("model", "K", "tau", "seed", "rate", "Q0", "d0", "d_exit", "alpha_pred", "alpha_exit", "alpha_run")


def data(K=GRID["K"], tau=GRID["tau"], models=GRID["models"], workers=None, **settings):
    """Columns (COLUMNS) over models x K x tau x seeds; one job per (model, K, tau) (:mod:`jobs`)."""
    keys = [(validate.model(m, "ode").name, validate.count("K", k), float(validate.positive("tau", t)))
            for m in models for k in K for t in tau]
    # cost estimate for the longest-first ordering: ~3 e-folds at the escape rate
    cost = [3 / float(escape.escape_rate(m, k, tau=t, Q0=escape.plateau_Q0(m, k, tau=t))) for m, k, t in keys]
    res = jobs.run(run, [dict(model=m, K=k, tau=t, **settings) for m, k, t in keys], workers=workers,
                   cost=cost, label="plateau_length simulations")
    cols = {c: [] for c in COLUMNS}
    for (m, k, t), r in zip(keys, res):
        n = r["seed"].size
        cols["model"] += [m] * n
        cols["K"] += [k] * n
        cols["tau"] += [t] * n
        for c in COLUMNS[3:]:
            cols[c] += list(r[c])
    return {c: v if c == "model" else np.asarray(v, dtype=float) for c, v in cols.items()}


SESSION = dict(settings=((2, 1.0), (2, 10.0)), N=1000, eta=0.5, b=1, seeds=8, alpha=600.0, seed=0)
"""The simulation table of docs/escape.md: order sampler, population normaliser, b = 1."""


def plateau_table(models=GRID["models"], workers=None, **overrides):
    """Rows (dicts) per (K, tau, model): exits (rule of :func:`plateau.exits`) and Q, g on the plateau.

    On the plateau = records with |eps_g / eps_g* - 1| < 0.1 (eps_g* of the model's family);
    Q, g, Q g^2 are means over those records and units, then medians over seeds with any.
    """
    p = {**SESSION, **overrides}
    N = p["N"]
    keys = [(m, K, tau) for K, tau in p["settings"] for m in models]
    kw = dict(N=N, steps=int(p["alpha"] * N), eta=p["eta"], b=p["b"], seeds=p["seeds"], seed=p["seed"],
              method="order", normalizer="population", every=N // 4)
    trs = jobs.run(simulate, [dict(model=m, K=K, tau=tau, **kw) for m, K, tau in keys], workers=workers,
                   label="plateau table simulations")
    rows = []
    for (m, K, tau), tr in zip(keys, trs):
        star = plateau.plateau_height(m, K, tau)
        on = np.abs(tr.eps_g / star - 1) < 0.1
        Qd = np.diagonal(tr.Q, axis1=-2, axis2=-1).mean(-1)
        bn = tr.g is not None
        have = on.any(axis=1)
        pick = lambda a: float(np.median([a[s][on[s]].mean() for s in np.flatnonzero(have)])) if have.any() else np.nan  # noqa: E731
        ex = plateau.exits(tr)
        rows.append(dict(model=m, K=K, tau=tau, exit_median=float(np.median(ex)), exited=int(np.isfinite(ex).sum()),
                         exits=ex.tolist(), seeds_on_plateau=int(have.sum()), Q=pick(Qd),
                         g=pick(tr.g.mean(-1)) if bn else np.nan,
                         Qg2=pick(Qd * (tr.g ** 2).mean(-1)) if bn else np.nan,
                         Q_init=float(Qd[:, 0].mean())))
    return rows

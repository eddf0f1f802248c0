"""Escape from the symmetric plateau: Jacobian eigenvalues of the flow at the fixed point.

The plateau of online learning in a soft committee machine is the symmetric fixed
point of the order-parameter ODE; the largest eigenvalue ``lambda`` of the Jacobian
of the flow there is the rate at which the symmetry-breaking deviation grows
(Saad & Solla's measure): ``delta(t) ~ delta0 exp(lambda eta t)``.

Units: the generated Jacobians are those of the eta^1 part of the reduced ODE, so
``lambda`` is a rate per unit of ``eta t`` (t = alpha = iterations / N). The eta^2 tau/b
term does not enter (it shifts the fixed point by O(eta) and the rate by O(eta)).

Models (state): ``vanilla`` (R, S, Q, C) and the two BN update rules ``bn-paper``,
``bn-exact`` (R, S, Q, C, g). Batch normalization makes the network invariant to |J_i|,
so its fixed points form a one-parameter family, labelled here by ``Q0`` = Q on the
plateau; the gains sit at g*^2 = tau/u for every member (u = K + (K-1) tau).

* ``Q0=None`` means the paper's closure Q0 = 1/g*^2 = u/tau (:func:`symmetric.closure_Q0`).
* :func:`plateau_Q0` gives the member that training actually reaches from Q_ii(0),
  g_i(0), by the O(eta) conservation laws: bn-exact conserves Q_ii, bn-paper
  conserves Q_ii - g_i^2. With weights N(0, 1/N) (Q_ii ~ 1) and g = 1 that is
  Q0 = 1 (bn-exact) and Q0 = g*^2 = tau/u (bn-paper).

For both BN rules ``lambda_BN = lambda_vanilla * s*^2`` with s*^2 = g*^2/(tau Q0) the
squared BN scale (:func:`effective_learning_rate`), asserted in tests/test_jacobian.py
and tests/test_escape.py.

All functions broadcast over K, tau, Q0 and validate their input
(:class:`symbn.validate.ParameterError`).
"""
from __future__ import annotations

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.numeric.symmetric import closed_form as symmetric
from symbn.numeric.symmetric.closed_form import closure_Q0, params


def _rule(model, learn_w=False):
    """(registry Model with an update rule, its generated module)."""
    m = validate.model(model, "ode")
    return m, (symmetric.LEARNED if learn_w else symmetric.FAMILIES)[m.family]


def state(model, learn_w=False):
    """Names of the reduced state the Jacobian acts on."""
    return _rule(model, learn_w)[1].STATE


def g_star_sq(K, *, tau=1.0):
    """g*^2 = tau / (K + (K-1) tau), the gain on the plateau (every member of the BN family)."""
    K, tau = params(K, tau)
    return tau / (K + (K - 1) * tau)


def plateau_Q0(model, K, *, tau=1.0, Q_init=1.0, g_init=1.0):
    """Q on the plateau reached from Q_ii(0) = Q_init, g_i(0) = g_init (O(eta) conservation laws).

    bn-exact: Q_ii is conserved, Q0 = Q_init. bn-paper: Q_ii - g_i^2 is conserved,
    Q0 = Q_init - g_init^2 + g*^2 (ParameterError if that is <= 0). Vanilla has no family: None.
    """
    m, _ = _rule(model)
    K, tau = params(K, tau)
    Q_init, g_init = validate.positive("Q_init", Q_init), validate.finite("g_init", g_init)
    if not m.normalized:
        return None
    if m.project:
        return np.broadcast_to(Q_init, np.broadcast(K, tau, Q_init).shape).astype(float)
    Q0 = Q_init - g_init**2 + g_star_sq(K, tau=tau)
    if np.any(Q0 <= 0):
        raise ParameterError(f"{m.name}: Q_init - g_init^2 + g*^2 must be > 0, got {np.min(Q0)!r}")
    return Q0


def _resolve(model, K, tau, Q0, learn_w=False):
    """(Model, module, K, tau, Q0) validated; Q0 None for vanilla, the closure if not given."""
    m, fam = _rule(model, learn_w)
    K, tau = params(K, tau)
    if not m.normalized:
        if Q0 is not None:
            raise ParameterError(f"Q0: model {m.name!r} has no fixed-point family (Q0 applies to batch norm)")
        return m, fam, K, tau, None
    return m, fam, K, tau, closure_Q0(K, tau=tau) if Q0 is None else validate.positive("Q0", Q0)


def effective_learning_rate(K, *, tau=1.0, Q0=None):
    """s*^2 = g*^2 / (tau Q0): eta_eff / eta of a scale-invariant BN unit on the plateau (closure: tau/u^2)."""
    *_, K, tau, Q0 = _resolve("bn-exact", K, tau, Q0)
    return g_star_sq(K, tau=tau) / (tau * Q0)


def _fixed_point(fam, K, tau, Q0):
    """Reduced fixed point as a vector (..., n) over the family's STATE."""
    return fam.fixed_point(K, tau) if Q0 is None else fam.fixed_point_family(K, tau, Q0)


def jacobian(model, K, *, tau=1.0, Q0=None, learn_w=False, rho=1.0):
    """Jacobian of the eta^1 flow (time eta t) at the fixed point; shape (..., n, n).

    ``learn_w``: the student's second layer learns too, at rate eta_w = rho eta (state adds w).
    """
    m, fam, K, tau, Q0 = _resolve(model, K, tau, Q0, learn_w)
    args = (K, tau) + (() if Q0 is None else (Q0,))
    if learn_w:
        args += (validate.at_least("rho", rho, 0.0),)
    return getattr(fam, "jacobian" + m.suffix)(*args)


def eigenvalues(model, K, *, tau=1.0, Q0=None, learn_w=False, rho=1.0):
    """Jacobian eigenvalues, complex, sorted by real part ascending; shape (..., n).

    LAPACK ``eigvals`` (nonsymmetric). On the grids checked (K <= 1000, tau in [1e-3, 1e3])
    every imaginary part is below 1e-12 of max|lambda| (the spectra are real); they are
    returned anyway. Eigenvalues that are exactly 0 mathematically (conserved directions,
    the BN family) come out as round-off of size eps * max|lambda|.
    """
    ev = np.linalg.eigvals(jacobian(model, K, tau=tau, Q0=Q0, learn_w=learn_w, rho=rho))
    order = np.argsort(ev.real, axis=-1, kind="stable")
    return np.take_along_axis(ev, order, axis=-1)


def escape_rate(model, K, *, tau=1.0, Q0=None, learn_w=False, rho=1.0):
    """Largest real part of the Jacobian spectrum: the plateau escape rate per unit eta t.

    Accurate to ~1e-7 relative at worst (LAPACK on matrices whose entries span ~6 decades,
    K = 40, tau = 0.1; see tests/test_jacobian.py); ~1e-14 for moderate K, tau.
    """
    return eigenvalues(model, K, tau=tau, Q0=Q0, learn_w=learn_w, rho=rho).real[..., -1]


def plateau_length(rate, d0, d_exit=1.0, eta=1.0):
    """Predicted plateau length in alpha = iterations / N: ln(d_exit / d0) / (eta * rate).

    d0 is the initial component along the unstable direction, d_exit the size at which the
    linearisation is left (an O(1) constant that only adds to ln). With random weights
    N(0, 1/N) the symmetry-breaking component is d0 ~ 1/sqrt(N), hence alpha ~ ln(N)/(2 eta rate).
    """
    rate, d0 = validate.positive("rate", rate), validate.positive("d0", d0)
    d_exit, eta = validate.positive("d_exit", d_exit), validate.positive("eta", eta)
    return np.log(d_exit / d0) / (eta * rate)


# ----------------------------------------------------------------------------- rate from the ODE

def drift(model, y, K, tau, learn_w=False, rho=1.0):
    """eta^1 part A(y) of the generated reduced RHS at state y (..., n): rhs(eta = 1, b = inf).

    The reduced RHS is exactly eta A(y) + eta^2 (tau/b) B(y); at b = inf the second term is 0.
    """
    m, fam = _rule(model, learn_w)
    y = np.asarray(y, dtype=float)
    rates = (rho, 0.0, 0.0) if learn_w else ()       # eta_w = rho (eta = 1), no noise, no decay
    return getattr(fam, "rhs" + m.suffix)(*np.moveaxis(y, -1, 0), K, tau, 1.0, np.inf, *rates)


def fitted_rate(model, K, *, tau=1.0, Q0=None, delta=1e-9, direction=None, growth=1e4, seed=0,
                rtol=1e-6):
    """Escape rate fitted from the reduced eta^1 ODE started ``delta`` away from the fixed point.

    Integrates the deviation x = y - y*, dx/dt = A(y* + x) - A(y*) (time eta t; A(y*) is
    round-off, subtracting it keeps 1e-9 deviations clean), from x0 = delta * direction
    (default: a fixed random unit vector, ``seed``), until |x| has grown by ``growth`` (end
    time 1.5 ln(growth) / lambda_J at most, lambda_J from the Jacobian only setting the window),
    and fits d ln|x| / dt by least squares over the last quarter of that time. Returns
    ``(rate, info)`` with info = dict(t, distance, window, nfev). Scalars K, tau, Q0 only.

    Solver: explicit RK45. At |x| ~ 1e-9 the RHS carries round-off noise of relative size
    ~1e-16 / (lambda |x|), up to 1e-3 for tiny rates; implicit solvers (LSODA, BDF, Radau) then
    estimate noisy Jacobians and crawl (bn-exact K = 5 closure: LSODA 4.3e5 RHS calls, 62 s),
    while RK45 is only stiffness-limited (1.2e5 calls; steps ~ 1/|stable eigenvalue|).
    """
    from scipy.integrate import solve_ivp

    m, fam, K, tau, Q0 = _resolve(model, K, tau, Q0)
    K, tau = float(K), float(tau)
    ystar = _fixed_point(fam, K, tau, Q0)
    n = ystar.size
    if direction is None:
        direction = np.random.default_rng(seed).standard_normal(n)
    direction = np.asarray(direction, dtype=float)
    direction = direction / np.linalg.norm(direction)
    a0 = drift(m, ystar, K, tau)
    lam = float(escape_rate(m, K, tau=tau, Q0=Q0))
    if lam <= 0:
        raise ParameterError(f"no unstable direction at K = {K:g}, tau = {tau:g} (lambda = {lam:g})")
    fun = lambda t, x: drift(m, ystar + x, K, tau) - a0  # noqa: E731
    stop = lambda t, x: np.linalg.norm(x) - growth * delta  # noqa: E731
    stop.terminal = True
    sol = solve_ivp(fun, (0.0, 1.5 * np.log(growth) / lam), delta * direction, method="RK45",
                    rtol=rtol, atol=delta * 1e-6, dense_output=True, events=stop)
    t1 = sol.t[-1]
    t = np.linspace(0.75 * t1, t1, 200)
    d = np.linalg.norm(sol.sol(t), axis=0)
    rate = np.polyfit(t, np.log(d), 1)[0]
    return float(rate), {"t": t, "distance": d, "window": (float(t[0]), float(t1)), "nfev": sol.nfev}


def full_jacobian(model, K, *, tau=1.0, Q0=None, learn_w=False, rho=1.0, h=1e-6):
    """Jacobian of the eta^1 part of the *full* ODE (K = M, T = I) at the symmetric fixed point.

    Central finite differences of :meth:`symbn.numeric.ode.system.System.flow` (step h: truncation
    O(h^2) ~ 1e-12, rounding ~ 1e-16/h ~ 1e-10). State order as ``System.pack``
    (Q upper triangle, R row-major, g, w). ``learn_w``: the second layer learns at eta_w = rho eta.
    Returns (J, y*).
    """
    from symbn.numeric.ode.system import System

    m, fam, _, tau, Q0 = _resolve(model, K, tau, Q0, learn_w)
    rho = float(validate.at_least("rho", rho, 0.0)) if learn_w else 0.0
    sysm = System(m, validate.count("K", K), validate.count("K", K), tau=float(tau), eta_w=rho)
    K = sysm.K
    point = dict(zip(fam.STATE, _fixed_point(fam, K, float(tau), Q0)))
    R, S, Q, C = (point[k] for k in "RSQC")
    g = np.full(K, point["g"]) if m.normalized else None
    y0 = sysm.pack((Q - C) * np.eye(K) + C, (R - S) * np.eye(K) + S, g, np.full(K, point.get("w", 1.0)))
    n = y0.size
    J = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        J[:, j] = (sysm.flow(y0 + e, rho) - sysm.flow(y0 - e, rho)) / (2 * h)
    return J, y0


def full_eigenvalues(model, K, *, tau=1.0, Q0=None, learn_w=False, rho=1.0, h=1e-6):
    """Eigenvalues of :func:`full_jacobian`, sorted by real part ascending."""
    ev = np.linalg.eigvals(full_jacobian(model, K, tau=tau, Q0=Q0, learn_w=learn_w, rho=rho, h=h)[0])
    return ev[np.argsort(ev.real, kind="stable")]


def table(model, K, tau, Q0=None):
    """Rows for the CLI: [{K, tau, Q0, eigenvalues_real, eigenvalues_imag, escape_rate, ...}]."""
    from symbn.numeric import grid

    m, _ = _rule(model)
    k, t = grid.mesh(grid.parse("K", K, integer=True), grid.parse("tau", tau))
    q = None if Q0 is None else np.broadcast_to(validate.positive("Q0", Q0), k.shape)
    ev = eigenvalues(m, k, tau=t, Q0=q)
    rows = []
    for n in range(k.size):
        row = {"model": m.name, "K": int(k[n]), "tau": float(t[n])}
        if m.normalized:
            Qn = float(closure_Q0(k[n], tau=t[n])) if q is None else float(q[n])
            row["Q0"] = Qn
            row["Q0_is_closure"] = q is None
            row["effective_learning_rate"] = float(effective_learning_rate(k[n], tau=t[n], Q0=Qn))
        row["state"] = list(state(m))
        row["eigenvalues"] = [float(v) for v in ev[n].real]
        row["eigenvalues_imag"] = [float(v) for v in ev[n].imag]
        row["escape_rate"] = float(ev[n].real[-1])
        rows.append(row)
    return rows


__all__ = ["state", "closure_Q0", "g_star_sq", "plateau_Q0", "effective_learning_rate", "jacobian", "eigenvalues", "escape_rate", "plateau_length", "drift",
           "fitted_rate", "full_jacobian", "full_eigenvalues", "table"]

"""Finite learning rates for the vanilla soft committee machine (erf, K = M, T = I): the plateau
with the eta^2 tau / b term kept, its escape rate lambda(eta), the largest stable learning rate
eta_max of the perfect solution, and the learning rate that escapes fastest.

Time is t = steps / N throughout (rates per unit t, not per unit eta t).

**Plateau.** All students alike (R_ii = R_in = r, Q_ii = Q_ij = q) is an invariant subspace of the
reduced flow at every eta (identical students stay identical: F(i, i) = F(i, j) there), so the
finite-eta plateau solves dR = dQ = 0 in (r, q), a nonsingular 2 x 2 problem (the 4 x 4 one is
singular at eta -> 0, where the Q - C direction has a zero eigenvalue). It is continued in eta
from the generated eta -> 0 point (:func:`plateau`), with steps halved when Newton fails or jumps;
where the branch ends (a fold) :func:`plateau` raises a ParameterError naming the largest eta found.

**Escape.** With the plateau subspace invariant, the reduced Jacobian is block triangular in
(R + S, Q + C | R - S, Q - C): the transverse block's two eigenvalues are the modes that leave
the plateau, the *specialization* mode (mostly R - S: students pick teachers) and the *spread*
mode (mostly Q - C: students drift apart, a zero mode at eta -> 0 that the eta^2 term makes
unstable at O(eta^2)). :func:`escape` reports both and all four eigenvalues.

**eta_max.** At the perfect solution (Q = R = T = I) the Jacobian of the full ODE is exactly
eta A + eta^2 (tau / b) B (A, B: derivatives of ``System.parts``), so it is stable while
eta (tau / b) < x*(K, tau), the first x > 0 where max Re eig(A + x B) = 0: eta_max = b x* / tau,
exactly proportional to the batch size. A and B come from central differences of the full
right-hand side (every symmetry sector, not only the symmetric one).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq, minimize_scalar, root
from scipy.linalg import eig

from symbn import validate
from symbn.errors import ParameterError
from symbn.generated import vanilla
from symbn.numeric.ode.system import System

H = 1e-7            # central-difference step for the reduced Jacobian (relative error ~1e-8)


def _check(K, tau, b):
    return validate.count("K", K), float(validate.positive("tau", tau)), float(validate.at_least("b", b, 1))


def _rhs(y, K, tau, eta, b):
    with np.errstate(invalid="ignore"):       # trial points outside the domain give NaN, which the solvers reject
        return vanilla.rhs(*y, K, tau, eta, b)


def _plateau_residual(x, K, tau, eta, b):
    r, q = x
    d = _rhs((r, r, q, q), K, tau, eta, b) / eta
    return d[[0, 2]]


def _newton(x0, K, tau, eta, b):
    sol = root(_plateau_residual, x0, args=(K, tau, eta, b), method="hybr", tol=1e-13)
    res = np.max(np.abs(_plateau_residual(sol.x, K, tau, eta, b)))
    scale = np.max(np.abs(vanilla.jacobian(K, tau)))
    return sol.x, bool(np.all(np.isfinite(sol.x)) and res < 1e-12 * scale and sol.x[1] > 0)


def plateau(K, tau=1.0, eta=1.0, b=1, *, steps=64, start=None):
    """The finite-eta plateau {R, S, Q, C} (R = S, Q = C), continued from eta -> 0 (or from
    ``start`` = (eta0, plateau at eta0) with eta0 < eta).

    ParameterError if eta <= 0, b < 1, or eta lies beyond the end of the branch (its message names
    the largest eta reached).
    """
    K, tau, b = _check(K, tau, b)
    eta = float(validate.positive("eta", eta))
    if start is None:
        r0, _, q0, _ = vanilla.fixed_point(K, tau)
        x, e = np.array([r0, q0]), 0.0
    else:
        e, point = float(start[0]), start[1]
        x = np.array([point["R"], point["Q"]])
    step = (eta - e) / steps
    while e < eta:
        step = min(step, eta - e)
        trial, ok = _newton(x, K, tau, e + step, b)
        if ok and np.max(np.abs(trial - x)) <= 0.05 * max(1.0, np.max(np.abs(x))):
            x, e = trial, e + step
            step *= 1.5
        else:
            step /= 2
            if step < 1e-7 * eta:
                raise ParameterError(f"eta = {eta:g} is beyond the finite-eta plateau of K = {K}, tau = {tau:g}, "
                                     f"b = {b:g}: the branch continued from eta -> 0 ends near eta = {e:.6g}")
    return {"R": x[0], "S": x[0], "Q": x[1], "C": x[1]}


def jacobian(point, K, tau, eta, b):
    """Reduced Jacobian d(rhs)/d(R, S, Q, C) per unit t at ``point`` (central differences)."""
    y0 = np.array([point[k] for k in ("R", "S", "Q", "C")])
    cols = []
    for e in np.eye(4):
        h = H * max(1.0, abs(float(y0 @ e)))
        cols.append((_rhs(y0 + h * e, K, tau, eta, b) - _rhs(y0 - h * e, K, tau, eta, b)) / (2 * h))
    return np.stack(cols, axis=1)


# (R + S)/2, (Q + C)/2 span the plateau subspace; R - S, Q - C the transverse directions
_BASIS = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [1, -1, 0, 0], [0, 0, 1, -1]], dtype=float)


def escape(K, tau=1.0, eta=1.0, b=1, *, start=None):
    """Plateau escape at a finite learning rate: dict with the plateau ``fixed_point`` (R, S, Q, C),
    ``escape_rate`` (the specialization mode, per unit t), ``spread_rate`` (the Q - C mode),
    ``eigenvalues`` (all four, ascending, per unit t) and ``largest`` ("specialization" or "spread").
    ``start``: continue the plateau from (eta0, plateau) (:func:`plateau`).
    """
    K, tau, b = _check(K, tau, b)
    point = plateau(K, tau, eta, b, start=start)
    J = jacobian(point, K, tau, eta, b)
    Jb = _BASIS @ J @ np.linalg.inv(_BASIS)            # block triangular: [[P, X], [0, T]]
    ev_t, vec_t = np.linalg.eig(Jb[2:, 2:])
    spec = int(np.argmax(np.abs(vec_t[0]) / np.linalg.norm(vec_t, axis=0)))   # mostly R - S
    rates = ev_t.real
    eig = np.sort(np.linalg.eigvals(J).real)
    return {"fixed_point": point, "escape_rate": float(rates[spec]), "spread_rate": float(rates[1 - spec]),
            "eigenvalues": eig.tolist(), "largest": "specialization" if rates[spec] >= rates[1 - spec] else "spread"}


def escape_curve(K, tau, etas, b=1):
    """:func:`escape` along increasing ``etas``, each plateau continued from the previous one; stops
    where the branch ends (the list is then shorter than ``etas``)."""
    out, start = [], None
    for eta in np.sort(np.ravel(etas)):
        try:
            e = escape(K, tau, float(eta), b, start=start)
        except ParameterError:
            break
        out.append(e)
        start = (float(eta), e["fixed_point"])
    return out


# ----------------------------------------------------------------------------- the perfect solution

def perfect_parts(K, tau=1.0):
    """(A, B): Jacobians of the eta^1 and eta^2 tau / b parts of the full ODE at Q = R = T = I, by the
    fourth-order central difference (f(-2h) - 8 f(-h) + 8 f(h) - f(2h)) / 12 h, h = 5e-4 / (1 + tau)
    (the kernels vary on the scale 1 / tau; eta_max at K = 1 then matches its closed form to 3e-11
    for tau in [0.1, 10], where a Richardson step or a larger h loses 1e-10 at large tau). The NumPy
    right-hand side (fast=False): h is tuned to its round-off; the compiled one's asin (2 ulp, not
    NumPy's 1) moves eta_max at tau = 10 by 1.4e-10."""
    K, tau, _ = _check(K, tau, 1)
    system = System("vanilla", K, K, tau=tau, fast=False)
    y0 = system.pack(np.eye(K), np.eye(K))
    h = 5e-4 / (1 + tau)
    A, B = np.empty((2, y0.size, y0.size))
    for j in range(y0.size):
        e = np.zeros(y0.size)
        e[j] = h
        f = [np.array(system.parts(y0 + k * e)) for k in (-2, -1, 1, 2)]
        A[:, j], B[:, j] = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)
    return A, B


def eta_max(K, tau=1.0, b=1):
    """The largest learning rate at which the perfect solution is linearly stable: b x*(K, tau) / tau."""
    K, tau, b = _check(K, tau, b)
    A, B = perfect_parts(K, tau)
    top = lambda x: float(np.max(np.linalg.eigvals(A + x * B).real))  # noqa: E731
    if top(0.0) >= 0:
        raise ArithmeticError(f"the perfect solution is not stable at eta -> 0 (K = {K}, tau = {tau:g})")
    hi = 1.0
    while top(hi) < 0:
        hi *= 2
        if hi > 1e8:
            raise ArithmeticError("no stability boundary found")
    x = brentq(top, hi / 2 if top(hi / 2) < 0 else 0.0, hi, xtol=1e-14, rtol=1e-13)
    # a real eigenvalue crossing is a root of det(A + x B): the pencil gives it to rounding, where the
    # eigenvalue's real part near a collision is only good to ~sqrt(eps) (a complex crossing keeps x)
    roots = eig(A, -B, right=False)
    roots = roots[np.isfinite(roots) & (np.abs(roots.imag) <= 1e-9 * np.abs(roots))].real
    near = roots[np.abs(roots - x) <= 1e-6 * x]
    return b * float(near[np.argmin(np.abs(near - x))] if near.size else x) / tau


def best_escape(K, tau=1.0, b=1):
    """The learning rate with the fastest specialization escape among those below eta_max on the
    plateau branch: (eta_best, escape_rate_best, eta_max)."""
    K, tau, b = _check(K, tau, b)
    top = eta_max(K, tau, b)
    upper = top
    try:
        plateau(K, tau, 0.999 * top, b)
    except ParameterError as e:           # the branch ends first: search below its end
        upper = float(str(e).rsplit("near eta = ", 1)[1])
    f = lambda eta: -escape(K, tau, eta, b)["escape_rate"]  # noqa: E731
    res = minimize_scalar(f, bounds=(1e-3 * upper, 0.999 * upper), method="bounded",
                          options={"xatol": 1e-6 * upper})
    edge = f(0.999 * upper)
    eta, rate = (0.999 * upper, -edge) if edge <= res.fun else (float(res.x), -float(res.fun))
    return eta, rate, top


# ----------------------------------------------------------------------------- rows for the CLI

BN_NOTE = ("batch norm has no finite-eta fixed point and no eta_max: it is invariant to |J_i|, the eta^2 "
           "term makes Q grow along the plateau family (Q(t)^2 = Q0^2 + c t) and the effective learning rate "
           "eta g*^2 / (tau Q(t)) fall (symbn.numeric.analysis.autorate)")


def escape_rows(model, K, tau, etas, b=1, Q0=None):
    """Rows per (K, tau, eta): vanilla -- eta, escape_rate (specialization, per unit t), spread_rate,
    largest, eigenvalues (per unit t), fixed_point {R, S, Q, C}; batch norm -- the plateau's drift
    constant c and the escape rate at t = 0, eta lambda_0 g*^2 / (tau Q0), with a note."""
    from symbn.numeric.analysis import autorate
    from symbn.numeric import grid
    from symbn.numeric.analysis import escape as eta0  # the eta -> 0 escape rates of the plateau family

    m = validate.model(model, "ode")
    ks, ts = grid.mesh(grid.parse("K", K, integer=True), grid.parse("tau", tau))
    etas = [float(e) for e in grid.parse("eta", etas)]
    b = float(validate.at_least("b", b, 1))
    rows = []
    for k, t in zip(ks.astype(int), ts):
        for eta in etas:
            row = {"model": m.name, "K": int(k), "tau": float(t), "b": b, "eta": float(validate.positive("eta", eta))}
            if not m.normalized:
                e = escape(k, t, eta, b)
                row.update(escape_rate=e["escape_rate"], spread_rate=e["spread_rate"], largest=e["largest"],
                           eigenvalues=e["eigenvalues"], state=["R", "S", "Q", "C"],
                           fixed_point={n: float(v) for n, v in e["fixed_point"].items()})
            else:
                q0 = float(eta0.plateau_Q0(m.name, k, tau=t) if Q0 is None else validate.positive("Q0", Q0))
                rate0 = float(eta0.escape_rate(m.name, k, tau=t, Q0=q0)) * eta
                row.update(escape_rate=rate0, Q0=q0, drift_constant=float(autorate.drift_constant(
                    m.name, k, tau=t, eta=eta, b=b)), effective_learning_rate=eta * float(eta0.effective_learning_rate(
                        k, tau=t, Q0=q0)), fixed_point=None, note=BN_NOTE)
            rows.append(row)
    return rows


def learning_rate_rows(model, K, tau, b=1):
    """Rows per (K, tau): eta_max, eta_best_escape, escape_rate_best (vanilla); batch norm: nulls and
    a note (no eta_max from scale invariance); K = 1 has no plateau to escape (nulls, note)."""
    from symbn.numeric import grid

    m = validate.model(model, "ode")
    ks, ts = grid.mesh(grid.parse("K", K, integer=True), grid.parse("tau", tau))
    b = float(validate.at_least("b", b, 1))
    rows = []
    for k, t in zip(ks.astype(int), ts):
        row = {"model": m.name, "K": int(k), "tau": float(t), "b": b}
        if m.normalized:
            row.update(eta_max=None, eta_best_escape=None, escape_rate_best=None, note=BN_NOTE)
        elif k == 1:
            row.update(eta_max=eta_max(k, t, b), eta_best_escape=None, escape_rate_best=None,
                       note="K = 1 has no symmetric plateau: nothing to escape")
        else:
            best, rate, top = best_escape(k, t, b)
            row.update(eta_max=top, eta_best_escape=best, escape_rate_best=rate)
        rows.append(row)
    return rows

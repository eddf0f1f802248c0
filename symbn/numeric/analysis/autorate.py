"""Batch norm at a finite learning rate: the plateau drifts along its family and the effective
learning rate falls ("auto rate-tuning": Arora, Li & Lyu 2019; van Laarhoven 2017).

A BN network is invariant to |J_i|, so its plateaus form a family labelled by Q = Q_ii
(``symmetric.fixed_point(..., Q0=Q)``). The eta^1 part of the flow does not move Q along the family
(bn-exact conserves Q_ii; bn-paper conserves Q_ii - g_i^2, and g = g* on every member), but the
eta^2 tau / b term does. With s^2 = g^2 / (tau Q) and F = <delta^2 phi'(h_i) phi'(h_j)>, a function of
the normalized covariances only, hence the same on every member:

    dQ/dt = (eta^2 tau / b) s^2 F = eta^2 g*^2 F* / (b Q)   =>   Q(t)^2 = Q0^2 + c t,
    c = 2 eta^2 g*^2 F* / b                                    (:func:`drift_constant`)

(R follows sqrt(Q) adiabatically: the family direction is the only slow one). A unit of norm
sqrt(Q) moves its direction like vanilla SGD at the effective learning rate

    eta_eff(t) = eta s^2 = eta g*^2 / (tau Q(t)),

so the symmetry-breaking deviation grows at lambda_BN(t) = lambda_0 eta_eff(t), lambda_0 the vanilla
escape rate per unit eta t at eta -> 0 (docs/escape.md: the BN rate is the vanilla one times
g*^2 / (tau Q0)). Integrating ln(d_exit / d0) = L = int_0^T lambda_BN dt with Q(t) above:

    Q(T) = Q0 + L tau eta F* / (lambda_0 b),     T(eta) = (Q(T)^2 - Q0^2) / c,          (:func:`exit_time`)

which falls like L tau Q0 / (eta lambda_0 g*^2) at small eta and tends to the finite limit

    T(inf) = L^2 tau^2 F* / (2 lambda_0^2 g*^2 b)

as eta -> infinity: the larger eta, the faster Q grows and the smaller eta_eff becomes, and the two
balance. There is no eta_max in this picture (scale invariance). L is a constant of the initial
condition and N (~ ln sqrt(N) + O(1)); :func:`calibrate` fits it to one measured exit.
Neglected: eta_eff^2 corrections to lambda_0 (small where eta_eff << 1), the transient onto the
plateau, SGD noise along the escape direction.
"""
from __future__ import annotations

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.numeric.analysis import escape
from symbn.numeric.symmetric import closed_form as symmetric


def _rule(model):
    m = validate.model(model, "ode")
    if not m.normalized:
        raise ParameterError(f"model {m.name!r} has no fixed-point family: the finite-eta analysis of "
                             "vanilla is symbn.numeric.analysis.learning_rate")
    return m


def drift_constant(model, K, *, tau=1.0, eta=1.0, b=1):
    """c = 2 Q dQ/dt on the plateau family (Q(t)^2 = Q0^2 + c t), from the generated reduced RHS:
    the eta^2 part of dQ_ii at any member times 2 Q (the same on every member)."""
    m = _rule(model)
    K, tau = symmetric.params(K, tau)
    eta, b = validate.positive("eta", eta), validate.at_least("b", b, 1)
    y = symmetric.family(m.name).fixed_point_family(K, tau, 1.0)     # member Q0 = 1
    rhs = getattr(symmetric.family(m.name), "rhs" + m.suffix)
    second = (rhs(*np.moveaxis(y, -1, 0), K, tau, eta, b) + rhs(*np.moveaxis(y, -1, 0), K, tau, -eta, b)) / 2
    return 2.0 * second[..., 2]


def plateau_Q(model, K, t, *, tau=1.0, eta=1.0, b=1, Q0=1.0):
    """Q on the drifting plateau at time(s) t: sqrt(Q0^2 + c t)."""
    c = drift_constant(model, K, tau=tau, eta=eta, b=b)
    t = validate.at_least("t", t, 0.0)
    return np.sqrt(validate.positive("Q0", Q0) ** 2 + c * t)


def effective_learning_rate(model, K, t, *, tau=1.0, eta=1.0, b=1, Q0=1.0):
    """eta_eff(t) = eta g*^2 / (tau Q(t)) on the drifting plateau."""
    return (validate.positive("eta", eta) * escape.g_star_sq(K, tau=tau)
            / (tau * plateau_Q(model, K, t, tau=tau, eta=eta, b=b, Q0=Q0)))


def exit_time(model, K, *, tau=1.0, eta=1.0, b=1, Q0=1.0, L=1.0):
    """Plateau exit time T(eta) per unit t (module docstring); eta may be an array (np.inf allowed)."""
    _rule(model)
    eta = np.asarray(eta, dtype=float)
    if np.any(~(eta > 0)):
        raise ParameterError(f"eta must be > 0, got {eta.min()!r}")
    g2 = escape.g_star_sq(K, tau=tau)
    lam0 = float(escape.escape_rate("vanilla", K, tau=tau))
    c1 = drift_constant(model, K, tau=tau, eta=1.0, b=b)           # c = c1 eta^2
    Fb = c1 / (2 * g2)                                             # F* / b
    finite = np.isfinite(eta)
    e = np.where(finite, eta, 1.0)
    QT = Q0 + L * tau * e * Fb / lam0
    T = (QT**2 - Q0**2) / (c1 * e**2)
    limit = L**2 * tau**2 * Fb / (2 * lam0**2 * g2)
    return np.where(finite, T, limit)


def calibrate(model, K, T_measured, *, tau=1.0, eta=1.0, b=1, Q0=1.0):
    """L such that :func:`exit_time` equals ``T_measured`` at ``eta`` (T is increasing in L)."""
    from scipy.optimize import brentq

    f = lambda L: float(exit_time(model, K, tau=tau, eta=eta, b=b, Q0=Q0, L=L)) - T_measured  # noqa: E731
    return brentq(f, 1e-6, 1e4, xtol=1e-12)

"""Order-parameter ODEs and eps_g, written once over an abstract index space.

A *space* supplies the raw order parameters for units ('s', i) (student) and
('t', n) (teacher), the gains, and a ``sum`` over unit indices. The same
equations are then expanded over fixed widths K, M (``GeneralSpace``) or
reduced to the symmetric phase with symbolic K (``symmetric.SymmetricSpace``).

With E(i, z) = <delta phi'(h_i) z> = sum_p I3(h_i, z, y_p) - sum_p I3(h_i, z, h_p) and
F(i, j) = <delta^2 phi'(h_i) phi'(h_j)>
        = sum_pq I4(h_i,h_j,y_p,y_q) - 2 sum_pq I4(h_i,h_j,h_p,y_q) + sum_pq I4(h_i,h_j,h_p,h_q),
the SGD update of a :class:`symbn.models.Model`, with h_i = s_i x_i, s_i = g_i / (sigma sqrt(Q_ii))
(batch norm, large-b normaliser) or 1, kappa = 1 for the exact BN gradient (``project``) else 0,

    Delta J_i = (eta / (N b)) sum_u delta_u phi'(h_i^u) s_i (xi^u - kappa x_i^u J_i / Q_ii),

gives, as N -> infinity (dt = 1/N per step):

    dR_in/dt = eta [ s_i E(i, y_n) - kappa (R_in / Q_ii) E(i, h_i) ]
    dQ_ij/dt = eta [ (s_i/s_j) E(i, h_j) - kappa (Q_ij/Q_ii) E(i, h_i) + (i <-> j) ]
               + (eta^2 tau / b) s_i s_j F(i, j)
    dg_i/dt  = eta E(i, h_i) / g_i                      (batch norm only)
    eps_g    = (1/2) [ sum_pq I2(y_p,y_q) + sum_pq I2(h_p,h_q) - 2 sum_pq I2(h_p,y_q) ]

(tau enters the eta^2 term because |xi|^2 = N tau).
"""
from __future__ import annotations

import itertools

import sympy as sp

from symbn.models import Model

from . import symbols as sy
from .integrals import I2, I3, I4, on

STUDENT, TEACHER = "s", "t"


class Space:
    """Index space: subclasses give ``raw(a, b)``, ``gain(i)``, ``sum(f, kinds)``."""

    def __init__(self, model: Model, tau):
        self.model, self.tau = model, tau

    def scale(self, unit):
        kind, i = unit
        if kind == TEACHER or not self.model.normalized:
            return sp.Integer(1)
        return self.gain(i) / sp.sqrt(self.tau * self.raw(unit, unit))   # s_i = g_i / (sigma sqrt Q_ii)

    def cov(self, a, b):
        """Covariance of the pre-activations h_a, h_b: tau s_a s_b C_raw(a, b)."""
        return self.tau * self.scale(a) * self.scale(b) * self.raw(a, b)


def E(space: Space, i, z):
    """<delta phi'(h_i) h_z> for units i (student) and z."""
    cov = space.cov
    return (space.sum(lambda p: on(I3, cov, i, z, p), [TEACHER])
            - space.sum(lambda p: on(I3, cov, i, z, p), [STUDENT]))


def F(space: Space, i, j):
    """<delta^2 phi'(h_i) phi'(h_j)>."""
    cov = space.cov

    def pair(k1, k2):
        return space.sum(lambda p, q: on(I4, cov, i, j, p, q), [k1, k2])

    return pair(TEACHER, TEACHER) - 2 * pair(STUDENT, TEACHER) + pair(STUDENT, STUDENT)


def dR(space: Space, i, n, eta, b):
    """dR_in/dt (eta-term only: R has no eta^2 term)."""
    m, s = space.model, space.scale(i)
    out = s * E(space, i, n)
    if m.project:
        out -= space.raw(i, n) / space.raw(i, i) * E(space, i, i)
    return eta * out


def dQ(space: Space, i, j, eta, b):
    """dQ_ij/dt including the eta^2/b term."""
    m = space.model
    si, sj = space.scale(i), space.scale(j)
    first = si / sj * E(space, i, j) + sj / si * E(space, j, i)
    if m.project:
        qij = space.raw(i, j)
        first -= qij / space.raw(i, i) * E(space, i, i) + qij / space.raw(j, j) * E(space, j, j)
    return eta * first + eta**2 * space.tau / b * si * sj * F(space, i, j)


def dg(space: Space, i, eta, b):
    """dg_i/dt (batch norm)."""
    return eta * E(space, i, i) / space.gain(i[1])


def eps_g(space: Space):
    """Generalization error (paper Eq. 7, 13)."""
    cov = space.cov

    def pair(k1, k2):
        return space.sum(lambda p, q: on(I2, cov, p, q), [k1, k2])

    return (pair(TEACHER, TEACHER) + pair(STUDENT, STUDENT) - 2 * pair(STUDENT, TEACHER)) / 2


class GeneralSpace(Space):
    """Fixed widths K, M with symbol matrices Q, R, T and gains g."""

    def __init__(self, model: Model, K: int, M: int, tau=sy.tau):
        super().__init__(model, tau)
        self.K, self.M = K, M
        self.Q, self.R, self.T, self.g = sy.general(K, M, gains=model.normalized)

    def raw(self, a, b):
        (ka, ia), (kb, ib) = a, b
        if ka == STUDENT and kb == STUDENT:
            return self.Q[ia, ib]
        if ka == TEACHER and kb == TEACHER:
            return self.T[ia, ib]
        return self.R[ia, ib] if ka == STUDENT else self.R[ib, ia]

    def gain(self, i):
        return self.g[i]

    def sum(self, f, kinds):
        ranges = [range(self.K if k == STUDENT else self.M) for k in kinds]
        return sp.Add(*[f(*[(k, idx) for k, idx in zip(kinds, combo)])
                        for combo in itertools.product(*ranges)])

    def state(self):
        """The independent order parameters, in a fixed order: Q upper triangle, R, (g)."""
        qs = [self.Q[i, j] for i in range(self.K) for j in range(i, self.K)]
        rs = list(self.R)
        return qs + rs + (list(self.g) if self.g else [])


def general_rhs(model: Model, K: int, M: int, eta=sy.eta, b=sy.b, tau=sy.tau):
    """Full ODE right-hand sides for widths K, M: dicts {symbol: expression}."""
    sp_ = GeneralSpace(model, K, M, tau)
    s = lambda i: (STUDENT, i)  # noqa: E731
    t = lambda n: (TEACHER, n)  # noqa: E731
    rhs = {}
    for i in range(K):
        for j in range(i, K):
            rhs[sp_.Q[i, j]] = dQ(sp_, s(i), s(j), eta, b)
    for i in range(K):
        for n in range(M):
            rhs[sp_.R[i, n]] = dR(sp_, s(i), t(n), eta, b)
    if model.normalized:
        for i in range(K):
            rhs[sp_.g[i]] = dg(sp_, s(i), eta, b)
    return sp_, rhs

"""Order-parameter ODEs and eps_g, written once over an abstract index space.

A *space* supplies the raw order parameters for units ('s', i) (student) and
('t', n) (teacher), the gains, and a ``sum`` over unit indices. The same
equations are then expanded over fixed widths K, M (``GeneralSpace``) or
reduced to the symmetric phase with symbolic K (``symmetric.SymmetricSpace``).

With E(i, z) = <delta phi'(h_i) z> = sum_p I3(h_i, z, y_p) - sum_p I3(h_i, z, h_p) and
F(i, j) = <delta^2 phi'(h_i) phi'(h_j)>
        = sum_pq I4(h_i,h_j,y_p,y_q) - 2 sum_pq I4(h_i,h_j,h_p,y_q) + sum_pq I4(h_i,h_j,h_p,h_q),
the SGD update of a :class:`symbn.models.Model`, with h_i = s_i x_i, s_i = g_i / (sigma sqrt(Q_ii))
(batch norm, large-b normaliser) or 1, P = 1 for the exact BN gradient (``project``) else 0,

    Delta J_i = (eta / (N b)) sum_u delta_u phi'(h_i^u) s_i (xi^u - P x_i^u J_i / Q_ii),

gives, as N -> infinity (dt = 1/N per step):

    dR_in/dt = eta [ s_i E(i, y_n) - P (R_in / Q_ii) E(i, h_i) ]
    dQ_ij/dt = eta [ (s_i/s_j) E(i, h_j) - P (Q_ij/Q_ii) E(i, h_i) + (i <-> j) ]
               + (eta^2 tau / b) s_i s_j F(i, j)
    dg_i/dt  = eta E(i, h_i) / g_i                      (batch norm only)
    eps_g    = (1/2) [ sum_pq I2(y_p,y_q) + sum_pq I2(h_p,h_q) - 2 sum_pq I2(h_p,y_q) ]

(tau enters the eta^2 term because |xi|^2 = N tau; the Gaussian averages I2, I3, I4, J2 are the
activation's, :data:`symbn.symbolic.integrals.KERNELS`).

General two-layer network (``full`` spaces; Biehl & Schwarze 1995, Goldt et al. 2019): student
s = sum_i w_i phi(h_i), teacher t = sum_n v_n phi(y_n) + sigma zeta (output noise zeta ~ N(0, 1)),
weight decay kappa (J_i <- J_i - (kappa / N) J_i per step, and w likewise when it learns), second
layer w_i <- w_i + (eta_w / (N b)) sum_u delta_u phi(h_i^u). Then delta = t - s weighs every unit
p by c_p = v_p (teacher) or -w_p (student), the gradient of J_i carries w_i, and

    E(i, z)  = sum_p c_p I3(h_i, z, p),
    F(i, j)  = sum_pq c_p c_q I4(h_i, h_j, p, q) + sigma^2 J2(h_i, h_j)
               (zeta is independent of the inputs with mean 0: it enters only through delta^2),
    dR_in/dt = eta w_i [ s_i E(i, y_n) - P (...) ] - kappa R_in,     dg_i/dt = eta w_i E(i, h_i) / g_i,
    dQ_ij/dt = eta [ w_i (...) + w_j (...) ] + (eta^2 tau / b) w_i w_j s_i s_j F(i, j) - 2 kappa Q_ij,
    dw_i/dt  = eta_w sum_p c_p I2(h_i, p) - kappa w_i    (no eta_w^2 term: O(1/N^2) per step),
    eps_g    = (1/2) sum_pq c_p c_q I2(p, q)              (the noiseless teacher).

A space built with w = v = 1, sigma = kappa = 0 (the soft committee machine) gives the expressions
above tree for tree (multiplying by 1 and adding 0 leave a SymPy expression unchanged), so the
generated code of the paper's families does not move; the general expressions with those values
substituted are equal to them (tests/test_network.py), not always identical as trees.
"""
from __future__ import annotations

import itertools

import sympy as sp

from symbn import models

from . import symbols as sy
from .integrals import KERNELS, on

STUDENT, TEACHER = "s", "t"
ONE, ZERO = sp.Integer(1), sp.Integer(0)


class Space:
    """Index space: subclasses give ``raw(a, b)``, ``gain(i)``, ``weight(unit)``, ``sum(f, kinds)``.

    ``network`` is a :class:`symbn.models.Network` (or a Model: erf, fixed second layer);
    ``noise`` (sigma) and ``decay`` (weight decay) are expressions, 0 for the soft committee machine.
    """

    def __init__(self, network, tau, noise=ZERO, decay=ZERO):
        self.network = models.network(network)
        self.model, self.tau = self.network.model, tau
        self.kernels = KERNELS[self.network.activation]
        self.noise, self.decay = noise, decay

    def scale(self, unit):
        kind, i = unit
        if kind == TEACHER or not self.model.normalized:
            return ONE
        return self.gain(i) / sp.sqrt(self.tau * self.raw(unit, unit))   # s_i = g_i / (sigma sqrt Q_ii)

    def cov(self, a, b):
        """Covariance of the pre-activations h_a, h_b: tau s_a s_b C_raw(a, b)."""
        return self.tau * self.scale(a) * self.scale(b) * self.raw(a, b)

    def weight(self, unit):
        """Second-layer weight of a unit: w_i (student), v_n (teacher); 1 in the soft committee machine."""
        return ONE


def E(space: Space, i, z):
    """<delta phi'(h_i) h_z> for units i (student) and z."""
    cov, I3, c = space.cov, space.kernels.I3, space.weight
    return (space.sum(lambda p: c(p) * on(I3, cov, i, z, p), [TEACHER])
            - space.sum(lambda p: c(p) * on(I3, cov, i, z, p), [STUDENT]))


def F(space: Space, i, j):
    """<delta^2 phi'(h_i) phi'(h_j)>, the output noise included."""
    cov, I4, c = space.cov, space.kernels.I4, space.weight

    def pair(k1, k2):
        return space.sum(lambda p, q: c(p) * c(q) * on(I4, cov, i, j, p, q), [k1, k2])

    return (pair(TEACHER, TEACHER) - 2 * pair(STUDENT, TEACHER) + pair(STUDENT, STUDENT)
            + space.noise**2 * on(space.kernels.J2, cov, i, j))


def dR(space: Space, i, n, eta, b):
    """dR_in/dt (R has no eta^2 term)."""
    m, s, w = space.model, space.scale(i), space.weight(i)
    out = w * (s * E(space, i, n))
    if m.project:
        out -= w * (space.raw(i, n) / space.raw(i, i) * E(space, i, i))
    return eta * out - space.decay * space.raw(i, n)


def dQ(space: Space, i, j, eta, b):
    """dQ_ij/dt including the eta^2 tau / b term."""
    m = space.model
    si, sj, wi, wj = space.scale(i), space.scale(j), space.weight(i), space.weight(j)
    first = wi * (si / sj * E(space, i, j)) + wj * (sj / si * E(space, j, i))
    if m.project:
        qij = space.raw(i, j)
        first -= wi * (qij / space.raw(i, i) * E(space, i, i)) + wj * (qij / space.raw(j, j) * E(space, j, j))
    return (eta * first + eta**2 * space.tau / b * (wi * wj) * si * sj * F(space, i, j)
            - 2 * space.decay * space.raw(i, j))


def dg(space: Space, i, eta, b):
    """dg_i/dt (batch norm)."""
    return eta * (space.weight(i) * E(space, i, i)) / space.gain(i[1])


def dw(space: Space, i, eta_w):
    """dw_i/dt = eta_w <delta phi(h_i)> - decay w_i (a learned student second layer)."""
    cov, I2, c = space.cov, space.kernels.I2, space.weight
    mean = (space.sum(lambda p: c(p) * on(I2, cov, i, p), [TEACHER])
            - space.sum(lambda p: c(p) * on(I2, cov, i, p), [STUDENT]))
    return eta_w * mean - space.decay * space.weight(i)


def eps_g(space: Space):
    """Generalization error (paper Eq. 7, 13): (1/2) <(t - s)^2> with the noiseless teacher."""
    cov, I2, c = space.cov, space.kernels.I2, space.weight

    def pair(k1, k2):
        return space.sum(lambda p, q: c(p) * c(q) * on(I2, cov, p, q), [k1, k2])

    return (pair(TEACHER, TEACHER) + pair(STUDENT, STUDENT) - 2 * pair(STUDENT, TEACHER)) / 2


class GeneralSpace(Space):
    """Fixed widths K, M with symbol matrices Q, R, T and gains g.

    ``full``: the general two-layer network, second layers w_i, v_n, noise sigma and weight decay
    as symbols (w_i a state variable when the network's second layer learns); otherwise the
    soft committee machine (w = v = 1, no noise, no decay).
    """

    def __init__(self, network, K: int, M: int, tau=sy.tau, full=False):
        super().__init__(network, tau, *((sy.sigma, sy.kappa) if full else ()))
        self.K, self.M, self.full = K, M, full
        self.Q, self.R, self.T, self.g = sy.general(K, M, gains=self.model.normalized)
        self.w, self.v = sy.second_layers(K, M)

    def raw(self, a, b):
        (ka, ia), (kb, ib) = a, b
        if ka == STUDENT and kb == STUDENT:
            return self.Q[ia, ib]
        if ka == TEACHER and kb == TEACHER:
            return self.T[ia, ib]
        return self.R[ia, ib] if ka == STUDENT else self.R[ib, ia]

    def gain(self, i):
        return self.g[i]

    def weight(self, unit):
        if not self.full:
            return ONE
        kind, i = unit
        return self.w[i] if kind == STUDENT else self.v[i]

    def sum(self, f, kinds):
        ranges = [range(self.K if k == STUDENT else self.M) for k in kinds]
        return sp.Add(*[f(*[(k, idx) for k, idx in zip(kinds, combo)])
                        for combo in itertools.product(*ranges)])

    def state(self):
        """The independent order parameters, in a fixed order: Q upper triangle, R, (g), (w)."""
        qs = [self.Q[i, j] for i in range(self.K) for j in range(i, self.K)]
        rs = list(self.R)
        learn = self.full and self.network.learn_w
        return qs + rs + (list(self.g) if self.g else []) + (list(self.w) if learn else [])


def general_rhs(network, K: int, M: int, eta=sy.eta, b=sy.b, tau=sy.tau, full=False):
    """Full ODE right-hand sides for widths K, M: (space, {symbol: expression}) in ``space.state()`` order.

    ``full``: the general two-layer network (:class:`GeneralSpace`); dw_i/dt (rate eta_w) when
    the network's second layer learns.
    """
    sp_ = GeneralSpace(network, K, M, tau, full)
    s = lambda i: (STUDENT, i)  # noqa: E731
    t = lambda n: (TEACHER, n)  # noqa: E731
    rhs = {}
    for i in range(K):
        for j in range(i, K):
            rhs[sp_.Q[i, j]] = dQ(sp_, s(i), s(j), eta, b)
    for i in range(K):
        for n in range(M):
            rhs[sp_.R[i, n]] = dR(sp_, s(i), t(n), eta, b)
    if sp_.model.normalized:
        for i in range(K):
            rhs[sp_.g[i]] = dg(sp_, s(i), eta, b)
    if full and sp_.network.learn_w:
        for i in range(K):
            rhs[sp_.w[i]] = dw(sp_, s(i), sy.eta_w)
    return sp_, rhs

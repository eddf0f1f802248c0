"""Symmetric phase: K = M, T = identity, Q_ij = Q or C, R_in = R or S, g_i = g (and, when the
student's second layer learns, w_i = w with the teacher's v = 1).

Sums over unit indices are done with K symbolic. Student and teacher indices
share one set {1..K}; a term depends only on which indices coincide, so a sum
over p (or p, q) splits into the cases "p equals one of the d distinct free
indices" (multiplicity 1 each) and "p is new" (multiplicity K - d; two distinct
new indices give (K - d)(K - d - 1)).
"""
from __future__ import annotations

import sympy as sp

from symbn import models

from . import symbols as sy
from .dynamics import ONE, STUDENT, TEACHER, ZERO, Space, dg, dQ, dR, dw, eps_g


def _patterns(free, n):
    """Assignments of n summation indices to free labels or new labels, with multiplicities."""
    d = len(free)
    out = [((), 0)]
    for _ in range(n):
        nxt = []
        for values, used in out:
            for label in list(free) + [f"new{k}" for k in range(used)]:
                nxt.append((values + (label,), used))
            nxt.append((values + (f"new{used}",), used + 1))
        out = nxt
    return [(vals, sp.ff(sy.K - d, used)) for vals, used in out]


class SymmetricSpace(Space):
    """Reduced order parameters with free index labels ``free`` (e.g. (0,) or (0, 1)).

    ``C`` may be given as an expression (the paper's BN reduction sets C = Q). A network whose
    second layer learns has student weights w (teachers v = 1), output noise sigma and weight
    decay kappa; otherwise the soft committee machine (w = v = 1, no noise, no decay).
    """

    def __init__(self, network, free, tau=sy.tau, C=sy.C):
        network = models.network(network)
        general = (sy.sigma, sy.kappa) if network.learn_w else (ZERO, ZERO)
        super().__init__(network, tau, *general)
        self.free, self.C = tuple(free), C

    def raw(self, a, b):
        (ka, ia), (kb, ib) = a, b
        same = ia == ib
        if ka == STUDENT and kb == STUDENT:
            return sy.Q if same else self.C
        if ka == TEACHER and kb == TEACHER:
            return sp.Integer(1) if same else sp.Integer(0)
        return sy.R if same else sy.S

    def gain(self, i):
        return sy.g

    def weight(self, unit):
        return sy.w if (unit[0] == STUDENT and self.network.learn_w) else ONE

    def sum(self, f, kinds):
        return sp.Add(*[mult * f(*[(k, v) for k, v in zip(kinds, vals)])
                        for vals, mult in _patterns(self.free, len(kinds))])


def state(network):
    """Reduced state: (R, S, Q, C) vanilla, (R, S, Q, C, g) batch norm, then w if it learns."""
    network = models.network(network)
    return ((sy.R, sy.S, sy.Q, sy.C) + ((sy.g,) if network.normalized else ())
            + ((sy.w,) if network.learn_w else ()))


def rhs(network, eta=sy.eta, b=sy.b, tau=sy.tau):
    """Reduced ODE right-hand sides, in the order of ``state(network)``.

    dR = dR_11, dS = dR_12, dQ = dQ_11, dC = dQ_12, dg = dg_1, dw = dw_1 (rate eta_w).
    """
    network = models.network(network)
    one, two = SymmetricSpace(network, (0,), tau), SymmetricSpace(network, (0, 1), tau)
    s0, s1, t0, t1 = (STUDENT, 0), (STUDENT, 1), (TEACHER, 0), (TEACHER, 1)
    out = [dR(one, s0, t0, eta, b), dR(two, s0, t1, eta, b),
           dQ(one, s0, s0, eta, b), dQ(two, s0, s1, eta, b)]
    if network.normalized:
        out.append(dg(one, s0, eta, b))
    if network.learn_w:
        out.append(dw(one, s0, sy.eta_w))
    return tuple(out)


def eps_g_reduced(network, tau=sy.tau, C=sy.C):
    """Reduced generalization error eps_g(R, S, Q, C[, g][, w]) with K symbolic."""
    return eps_g(SymmetricSpace(network, (), tau, C=C))

"""The symmetric fixed point, found by SymPy (K, tau symbolic), at leading order in eta.

On the plateau all student vectors coincide: R = S, Q = C. The eta^1 parts of
the reduced ODEs are solved one variable at a time: dQ = 0 (vanilla) or
dg = 0 (batch norm) gives r in terms of the remaining unknown, then dR = 0 is
a polynomial equation in it. Batch norm is invariant to |J_i|, so its fixed
points form a family; the paper's closure Q = 1/g^2 picks one member.
We take the plateau with R > 0 (student aligned with the teacher).
"""
from __future__ import annotations

import functools

import sympy as sp

from symbn import models

from . import symbols as sy
from . import symmetric


def leading(expr):
    """Coefficient of eta^1 (the eta -> 0 dynamics, time rescaled by eta)."""
    return sp.diff(expr, sy.eta).subs(sy.eta, 0)


def flow(expr):
    """The eta -> 0 flow in units of eta t: the eta^1 coefficient, with a learned second layer's
    rate eta_w = rho eta (rho = eta_w / eta fixed) and no weight decay."""
    return leading(expr.xreplace({sy.eta_w: sy.rho * sy.eta, sy.kappa: 0}))


@functools.lru_cache(maxsize=None)
def _factor(radicand):
    """sp.factor, once per radicand: the same few radicands recur in every Hessian and Jacobian entry
    (factoring them again was ~1/10 of a derivation)."""
    return sp.factor(radicand)


def tidy(expr):
    """Factor the radicands of square roots so products of positive factors split."""
    return expr.replace(lambda x: x.is_Pow and x.exp.is_Rational and x.exp.q == 2,
                        lambda x: _factor(x.base) ** x.exp)


def _numerator(expr):
    return sp.factor(sp.numer(sp.together(tidy(sp.together(tidy(expr))))))


# Solving with K = 1 + KM1, KM1 >= 0, lets SymPy see that K + (K - 1) tau > 0.
KM1 = sy.KM1


def _solve_one(expr, unknown):
    roots = [s[unknown] for s in sp.solve(_numerator(expr), unknown, dict=True)]
    roots = [sp.factor(r_) for r_ in roots if not r_.is_negative]
    if len(roots) != 1:
        raise RuntimeError(f"expected one positive root for {unknown}, got {roots}")
    return roots[0]


def fixed_point(model):
    """{R, S, Q, C[, g][, w]: expression in K, tau} at the symmetric fixed point.

    A learned second layer: dw = 0 is transcendental (asin terms) and SymPy does not solve the
    system; the fixed-second-layer point with w = v = 1 is a fixed point of the full flow (on
    the plateau the student's best second layer is the teacher's), which :func:`residual`
    verifies symbolically here -- a RuntimeError if it did not.
    """
    network = models.network(model)
    if network.learn_w:
        point = dict(fixed_point(models.Network(network.model, network.activation)))
        point[sy.w] = sp.Integer(1)
        if any(r != 0 for r in residual(network, point)):
            raise RuntimeError(f"the w = 1 plateau is not a fixed point of {network}")
        return point
    rhs = {k: leading(e).xreplace({sy.K: KM1 + 1})
           for k, e in zip(symmetric.state(model), symmetric.rhs(model))}
    r = sp.Symbol("r", positive=True)
    if model.normalized:
        x = sy.g
        on_plateau = {sy.R: r, sy.S: r, sy.Q: 1 / x**2, sy.C: 1 / x**2}
        first = rhs[sy.g]   # dg = 0 fixes r given g
    else:
        x = sp.Symbol("q", positive=True)
        on_plateau = {sy.R: r, sy.S: r, sy.Q: x, sy.C: x}
        first = rhs[sy.Q]   # dQ = 0 fixes r given q
    r_of_x = _solve_one(first.xreplace(on_plateau), r)
    x_star = _solve_one(rhs[sy.R].xreplace(on_plateau).xreplace({r: r_of_x}), x)
    r_star = sp.factor(tidy(r_of_x.xreplace({x: x_star})))
    point = {k: v.xreplace({r: r_star, x: x_star}) for k, v in on_plateau.items()}
    if model.normalized:
        point[sy.g] = x_star
    return {k: sp.factor(point[k]).xreplace({KM1: sy.K - 1}) for k in symmetric.state(model)}


def family(model, point=None):
    """Batch norm's fixed points as a family in Q0 = Q on the plateau (vanilla: the point itself).

    The network depends on J_i only through its direction, so (R, S) -> lambda (R, S),
    (Q, C) -> lambda^2 (Q, C) maps fixed points to fixed points; Q0 = 1/g*^2 is the
    paper's closure.
    """
    point = fixed_point(model) if point is None else point
    if not model.normalized:
        return point
    lam = sp.sqrt(sy.Q0 / point[sy.Q])
    return {k: (v * lam if k in (sy.R, sy.S) else sy.Q0 if k in (sy.Q, sy.C) else v)
            for k, v in point.items()}


def simplify_in_k(expr):
    """Simplify an expression of K, tau using K >= 1 (via K = 1 + KM1)."""
    e = sp.together(tidy(sp.together(tidy(expr.xreplace({sy.K: KM1 + 1})))))
    return sp.factor(sp.simplify(e)).xreplace({KM1: sy.K - 1})


def residual(model, point):
    """The reduced flow (:func:`flow`) at ``point``, simplified: zeros when ``point`` is fixed."""
    return [simplify_in_k(flow(e).xreplace(point)) for e in symmetric.rhs(model)]

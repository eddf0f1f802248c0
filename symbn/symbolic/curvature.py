"""Curvature at the symmetric fixed point: Hessian of eps_g (paper Section 3.2) and the
Jacobian of the reduced flow (Saad & Solla's escape rate; beyond the paper).

H = d^2 eps_g / dOmega^2 at the fixed point, with Omega = (R, S, Q, C) for vanilla
and Omega = (R, S, Q, g) with C = Q substituted first for batch norm (the paper's
construction). The fixed point is a fixed point of the dynamics, not a
stationary point of eps_g(Omega): the gradient there is not zero and is
returned too.
"""
from __future__ import annotations

import functools

import sympy as sp

from symbn import models

from . import symbols as sy
from . import stable, symmetric
from .fixedpoint import KM1, fixed_point, flow, tidy


def hessian_variables(model):
    """Omega: (R, S, Q, C) vanilla, (R, S, Q, g) batch norm (C = Q), then w if it learns."""
    network = models.network(model)
    return (((sy.R, sy.S, sy.Q, sy.g) if network.normalized else (sy.R, sy.S, sy.Q, sy.C))
            + ((sy.w,) if network.learn_w else ()))


def reduced_eps_g(model):
    """eps_g(Omega) in the Hessian's variables (C = Q for batch norm)."""
    return symmetric.eps_g_reduced(model, C=sy.Q if model.normalized else sy.C)


def _at(expr, point):
    """``expr`` at ``point``, tidied with K = 1 + KM1 so radicals of positive factors split."""
    shift = {sy.K: KM1 + 1}
    e = expr.xreplace({k: v.xreplace(shift) for k, v in point.items()}).xreplace(shift)
    return _factored(e).xreplace({KM1: sy.K - 1})


@functools.lru_cache(maxsize=None)
def _factored(e):
    """``e`` (in KM1, tau) over one denominator and factored, radicands factored so they split (once
    per expression: some Hessian and Jacobian entries recur)."""
    return sp.factor(tidy(sp.together(tidy(e))))


def gradient_and_hessian(model, point=None):
    """(gradient (n,), Hessian (n, n)) of eps_g(Omega) at the fixed point, as functions of K, tau."""
    point = fixed_point(model) if point is None else point
    eps = reduced_eps_g(model)
    omega = hessian_variables(model)
    n = len(omega)
    grad = [sp.diff(eps, v) for v in omega]
    hess = sp.Matrix(n, n, lambda i, j: sp.diff(grad[i], omega[j]) if j >= i else 0)
    G = sp.Matrix([_at(e, point) for e in grad])
    H = sp.Matrix(n, n, lambda i, j: _at(hess[min(i, j), max(i, j)], point) if j >= i else 0)
    H = sp.Matrix(n, n, lambda i, j: H[min(i, j), max(i, j)])
    return G, H


def _radicals_as_symbols(M):
    """``M`` with every sqrt(base)^n replaced by r^n, r a positive symbol; and the map back."""
    roots = {}

    def symbol(x):
        if x.base not in roots:
            roots[x.base] = sp.Symbol(f"r{len(roots)}", positive=True)   # named: factor() is ~50x slower with Dummy generators
        return roots[x.base] ** int(2 * x.exp)

    M = M.replace(lambda x: x.is_Pow and x.exp.is_Rational and x.exp.q == 2, symbol)
    return M, {r: sp.sqrt(base) for base, r in roots.items()}


def charpoly(H):
    """Coefficients (a1, a2, a3, a4) of det(lambda I - H) = lambda^4 + a1 lambda^3 + ... + a4.

    a_k = (-1)^k (sum of the k x k principal minors of H). Computed with the square roots
    as symbols (so the determinant is a polynomial computation, ~100x faster than with
    radicals), then factored, in KM1 = K - 1 with each polynomial factor in the shift of K
    where its coefficients share one sign (``stable.nonnegative_basis``): evaluated in
    float64 they keep a few-ulp relative accuracy, which the eigenvalues then inherit
    (``symbn.numeric.symmetric.polyroots``).
    """
    M, back = _radicals_as_symbols(H.xreplace({sy.K: KM1 + 1}))
    lam = sp.Dummy("lambda")
    coeffs = M.charpoly(lam).all_coeffs()[1:]
    return [stable.nonnegative_basis(_factored(sp.factor(c).xreplace(back)))
            for c in coeffs]


def jacobian(rule, point):
    """d(reduced flow)/d(state) at ``point``: the linearised plateau dynamics.

    State (R, S, Q, C[, g][, w]); time in units of eta t (a learned second layer moves at
    rho = eta_w / eta, :func:`~symbn.symbolic.fixedpoint.flow`). Its largest eigenvalue is the
    escape rate from the plateau (per unit eta t).
    """
    state = symmetric.state(rule)
    lead = [flow(e) for e in symmetric.rhs(rule)]
    return sp.Matrix(len(state), len(state), lambda i, j: _at(sp.diff(lead[i], state[j]), point))

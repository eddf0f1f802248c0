"""Rewrites that keep generated closed forms well conditioned in float64.

eps_g at the fixed point is a sum of asin terms whose linear parts cancel
exactly (e.g. (K/pi)[asin(a) - K asin(a/K)]), so for small tau float64 loses
digits. Writing asin(y) = asinm(y) + y with asinm(y) = asin(y) - y, the linear
parts cancel symbolically and what is left is a well-conditioned sum of O(y^3)
terms; the generated code evaluates asinm by its Taylor series for small |y|.

Polynomial factors are written in the shift of K (K - 1, K, K - 2) in which all their
coefficients share one sign (:func:`nonnegative_basis`), so they evaluate without
cancellation.
"""
import sympy as sp
from sympy.polys.polyfuncs import horner

from . import symbols as sy


class asinm(sp.Function):
    """asin(y) - y."""

    nargs = 1

    def fdiff(self, argindex=1):
        y = self.args[0]
        return 1 / sp.sqrt(1 - y**2) - 1

    def _eval_rewrite_as_asin(self, y, **kwargs):
        return sp.asin(y) - y


def cancel_linear_asin(expr):
    """``expr`` with asin(y) -> asinm(y) + y and the (exactly cancelling) linear part removed.

    Raises if the linear part does not simplify to zero: the rewrite is then not an identity
    worth making, and the caller should keep ``expr``.
    """
    e = expr.replace(sp.asin, lambda y: asinm(y) + y)
    linear = sp.simplify(sp.expand(e.replace(asinm, lambda y: sp.Integer(0))))
    if linear != 0:
        raise ValueError(f"linear part does not cancel: {linear}")
    return sp.expand(e).replace(asinm, asinm) - sp.expand(e.replace(asinm, lambda y: sp.Integer(0)))


def _same_sign(poly):
    coeffs = poly.coeffs()
    return all(c >= 0 for c in coeffs) or all(c <= 0 for c in coeffs)


def _rebased(factor):
    """A polynomial factor in KM1, tau rewritten in K - 1, K or K - 2, whichever has coefficients of one sign.

    K - 2 is negative at K = 1, where the factor is then its value at KM1 = 0 (a Piecewise).
    """
    if not (factor.is_Add and sy.KM1 in factor.free_symbols and factor.is_polynomial(*factor.free_symbols)):
        return factor
    for shift in (sy.KM1, sy.K - 1, sy.KM2 + 1):
        candidate = sp.expand(factor.xreplace({sy.KM1: shift}))
        gens = sorted(candidate.free_symbols, key=sp.default_sort_key)
        if _same_sign(sp.Poly(candidate, *gens)):
            candidate = horner(candidate, *gens)   # same-sign terms: Horner stays cancellation-free
            if shift == sy.KM2 + 1:
                return sp.Piecewise((horner(sp.expand(factor.xreplace({sy.KM1: 0})), sy.tau), sp.Eq(sy.KM1, 0)),
                                    (candidate, True))
            return candidate
    return factor


def nonnegative_basis(expr):
    """Rewrite each polynomial factor of a factored expression in K, tau (given in KM1 = K - 1)
    in the shift of K (K - 1, K or K - 2) where all its coefficients have one sign.

    A sum of same-sign terms evaluates in float64 with a relative error of a few ulps per
    term; e.g. (K-1)^2 (tau + 1) + (K-1) tau + 2 tau - 1 cancels at K = 2, small tau, but
    equals (K-2)^2 (tau + 1) + 3 (K-2) tau + 2 (K-2) + 4 tau. Factors with no such basis are
    kept (their terms have genuinely mixed signs, e.g. a trace of eigenvalues of both signs).
    Rebased factors are in Horner form (half the operations; a same-sign Horner scheme
    evaluates to a few ulps as well).
    """
    def one(f):
        if f.is_Pow and f.exp.is_Rational:
            return _rebased(f.base) ** f.exp
        return _rebased(f)
    return sp.Mul(*[one(f) for f in sp.Mul.make_args(expr)])


def as_written(expr):
    """``expr`` for display: each Piecewise of :func:`nonnegative_basis` by its general branch (the
    same polynomial, valid at K = 1 too), polynomial factors expanded, K - 1 written out."""
    expr = expr.replace(lambda x: isinstance(x, sp.Piecewise), lambda x: x.args[-1].expr)
    def expanded(f):
        if f.is_Pow and f.base.is_Add:
            return sp.expand(f.base) ** f.exp
        return sp.expand(f) if f.is_Add else f
    expr = sp.Mul(*[expanded(f) for f in sp.Mul.make_args(expr)])
    return expr.xreplace({sy.KM1: sy.K - 1})

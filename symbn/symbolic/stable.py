"""Rewrites that keep generated closed forms well conditioned in float64.

eps_g at the fixed point is a sum of asin terms whose linear parts cancel
exactly (e.g. (K/pi)[asin(a) - K asin(a/K)]), so for small tau float64 loses
digits. Writing asin(y) = asinm(y) + y with asinm(y) = asin(y) - y, the linear
parts cancel symbolically and what is left is a well-conditioned sum of O(y^3)
terms; the generated code evaluates asinm by its Taylor series for small |y|.
"""
import sympy as sp


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

"""How each derived object is written as equations: lists of (key, lhs LaTeX, rhs expression).

Pure (objects in, equations out). ``build.py`` lays them out as the sections of
generated/*.tex; ``api.latex_block`` (``symbn latex``) prints one object, or the equations of
one key, as a single ``align*`` block. Keys are state names (``"Q"``) for vectors and
(row, column) name pairs for matrices.
"""
from __future__ import annotations

import sympy as sp

from . import stable
from . import symbols as sy
from .fixedpoint import leading


def eps_g(expr):
    """eps_g = expr."""
    return [("eps_g", r"\varepsilon_g", expr)]


def rhs(state, exprs):
    """dX/dt = [.]_{eta^0} + eta [.]_{eta^1} + (eta^2 tau / b) [.]_{eta^2}: one equation per order
    present (the eta^0 part -- weight decay, a second layer's own rate eta_w -- only where it is
    not zero, so the soft committee machine's equations read as before)."""
    out = []
    for s, e in zip(state, exprs):
        zeroth = e.subs(sy.eta, 0)
        if zeroth != 0:
            out.append((str(s), rf"\frac{{d{s}}}{{dt}}\Big|_{{\eta^0}}", zeroth))
        first = leading(e)
        if first != 0 or zeroth == 0:
            out.append((str(s), rf"\frac{{1}}{{\eta}}\frac{{d{s}}}{{dt}}\Big|_{{\eta^1}}", first))
        second = sp.diff(e, sy.eta, 2).subs(sy.eta, 0) / 2
        if second != 0:
            out.append((str(s), rf"\frac{{b}}{{\eta^2 \tau}}\frac{{d{s}}}{{dt}}\Big|_{{\eta^2}}",
                        second * sy.b / sy.tau))
    return out


def vector(names, values, lhs="{}"):
    """name_k = values[k]; ``lhs`` formats the name (e.g. r"\\partial \\varepsilon_g/\\partial {}")."""
    return [(str(n), lhs.format(n), v) for n, v in zip(names, values)]


def upper(n):
    """Index pairs (i, j), j >= i, row by row: the independent entries of a symmetric matrix."""
    return [(i, j) for i in range(n) for j in range(i, n)]


def nonzero(M):
    """Index pairs of the non-zero entries of ``M``, row by row."""
    return [(i, j) for i in range(M.rows) for j in range(M.cols) if M[i, j] != 0]


def matrix(symbol, names, M, pairs):
    """symbol_{ab} = M[i, j] for the index pairs ``pairs``, names a = names[i], b = names[j]."""
    return [((str(names[i]), str(names[j])), rf"{symbol}_{{{names[i]}{names[j]}}}", M[i, j])
            for i, j in pairs]


def _unexpanded(expr):
    """``expr`` shown as written (latex.equation must not distribute it), sign in front."""
    if expr.could_extract_minus_sign():
        return -sp.UnevaluatedExpr(-expr)
    return sp.UnevaluatedExpr(expr)


def _factored(name, poly_name, expr):
    """Display ``expr`` as P x prefactor and P = its longest polynomial factor."""
    polys = [f for f in sp.Mul.make_args(expr) if f.is_Add or isinstance(f, sp.Piecewise)]
    if not polys:
        return [(name, name, _unexpanded(stable.as_written(expr)))]
    poly = max(polys, key=lambda f: len(stable.as_written(f).args))
    return [(name, name, sp.Symbol(poly_name) * _unexpanded(stable.as_written(expr / poly))),
            (name, poly_name, stable.as_written(poly))]


def charpoly(coeffs):
    """a_k = prefactor x P_k, P_k = the longest polynomial factor of a_k, written out in K, tau."""
    return [eq for k, c in enumerate(coeffs) for eq in _factored(f"a_{k + 1}", f"P_{k + 1}", c)]

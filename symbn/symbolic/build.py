"""What a recipe in derivations/ assembles: generated functions and LaTeX for one model family.

Shared by every model so the vanilla and batch-norm recipes differ only in
their data (which forward model, which update rules).
"""
from __future__ import annotations

import sympy as sp

from symbn import models

from . import codegen, curvature, fixedpoint, latex, stable, symmetric
from . import symbols as sy


def _names(syms):
    return tuple(str(s) for s in syms)


def _unexpanded(expr):
    """``expr`` shown as written (latex.equation must not distribute it), sign in front."""
    if expr.could_extract_minus_sign():
        return -sp.UnevaluatedExpr(-expr)
    return sp.UnevaluatedExpr(expr)


def _factored(name, poly_name, expr):
    """Display ``expr`` as P x prefactor and P = its longest polynomial factor."""
    polys = [f for f in sp.Mul.make_args(expr) if f.is_Add or isinstance(f, sp.Piecewise)]
    if not polys:
        return [(name, _unexpanded(stable.as_written(expr)))]
    poly = max(polys, key=lambda f: len(stable.as_written(f).args))
    return [(name, sp.Symbol(poly_name) * _unexpanded(stable.as_written(expr / poly))),
            (poly_name, stable.as_written(poly))]


def symmetric_family(recipe: str, stem: str, title: str):
    """Artifacts {file name: text} for the symmetric phase of the model family ``stem``.

    The registry (:mod:`symbn.models`) supplies the data: the forward model called ``stem``
    fixes eps_g, the fixed point and the Hessian; every model of the family with an update
    rule gets its reduced ODE and Jacobian, named with its ``suffix`` (``rhs``;
    ``rhs_paper``, ``rhs_exact``).
    """
    forward = models.get(stem, "forward")
    rules = {m.suffix: m for m in models.family(stem, "ode")}
    state = symmetric.state(forward)
    omega = curvature.hessian_variables(forward)
    point = fixedpoint.fixed_point(forward)
    G, H = curvature.gradient_and_hessian(forward, point)
    charpoly = curvature.charpoly(H)
    eps = symmetric.eps_g_reduced(forward)
    eps_star = fixedpoint.simplify_in_k(eps.xreplace(point))
    params = (sy.K, sy.tau)
    hess_doc = (f"at the symmetric fixed point, Omega = ({', '.join(_names(omega))})"
                + (" with C = Q substituted first (the paper's construction)" if forward.normalized else "")
                + ". The fixed point is a fixed point of the dynamics, not a stationary point "
                "of eps_g: the gradient there is not zero.")
    functions = [
        codegen.Function("eps_g", state + params, eps,
                         "Reduced generalization error eps_g(Omega; K, tau) (paper Eq. 7, 13); shape (...)."),
        codegen.Function("eps_g_star", params, stable.cancel_linear_asin(eps_star),
                         "eps_g at the symmetric fixed point, (K/pi)[asinm(a) - K asinm(a/K)] with "
                         "a = tau/(1+tau), asinm(y) = asin(y) - y (no cancellation at small tau); "
                         "shape (...)."),
        codegen.Function("fixed_point", params, [point[s] for s in state],
                         f"Symmetric fixed point ({', '.join(_names(state))}) at leading order in eta"
                         + (", closure Q = 1/g^2" if forward.normalized else "") + "; shape (..., "
                         f"{len(state)})."),
        codegen.Function("gradient", params, list(G), f"Gradient d eps_g / d Omega {hess_doc} Shape (..., 4)."),
        codegen.Function("hessian", params, H, f"Hessian d^2 eps_g / d Omega^2 {hess_doc} Shape (..., 4, 4)."),
        codegen.Function("charpoly", params, charpoly,
                         "Coefficients (a1, a2, a3, a4) of the Hessian's characteristic polynomial "
                         "det(lambda I - H) = lambda^4 + a1 lambda^3 + a2 lambda^2 + a3 lambda + a4, "
                         "each a few ulps accurate (factored; polynomial factors in a shift of K with "
                         "coefficients of one sign); shape (..., 4)."),
    ]
    family = fixedpoint.family(forward, point)
    fam_params = params + ((sy.Q0,) if forward.normalized else ())
    if forward.normalized:
        functions.append(codegen.Function(
            "fixed_point_family", fam_params, [family[s] for s in state],
            "Batch norm's symmetric fixed points as a family in Q0 = Q on the plateau "
            "(Q0 = 1/g*^2 is the paper's closure); shape (..., 5)."))
    jac = {}
    rhs = {}
    for suffix, rule in rules.items():
        jac[suffix] = curvature.jacobian(rule, family)
        functions.append(codegen.Function(
            f"jacobian{suffix}", fam_params, jac[suffix],
            f"Jacobian of the reduced {rule.name} flow (eta^1 part, time eta t) at the fixed point"
            + (" of the family with Q = Q0" if forward.normalized else "")
            + f"; its largest eigenvalue is the plateau escape rate. Shape (..., {len(state)}, {len(state)})."))
        rhs[suffix] = symmetric.rhs(rule)
        functions.append(codegen.Function(
            f"rhs{suffix}", state + params + (sy.eta, sy.b), list(rhs[suffix]),
            f"Reduced ODE d({', '.join(_names(state))})/dt for the {rule.name} update, "
            f"including the eta^2 tau / b term; shape (..., {len(state)})."))
    module = codegen.render_module(
        recipe, f"{title}: symmetric phase K = M, T = identity (generated).", functions,
        constants={"STATE": _names(state), "HESSIAN_VARIABLES": _names(omega)})

    # LaTeX: the same expressions.
    blocks = [("Generalization error", [(r"\varepsilon_g", eps)])]
    for suffix, rule in rules.items():
        eqs = []
        for s, e in zip(state, rhs[suffix]):
            a = fixedpoint.leading(e)
            b2 = sp.diff(e, sy.eta, 2).subs(sy.eta, 0) / 2
            eqs.append((rf"\frac{{1}}{{\eta}}\frac{{d{s}}}{{dt}}\Big|_{{\eta^1}}", a))
            if b2 != 0:
                eqs.append((rf"\frac{{b}}{{\eta^2 \tau}}\frac{{d{s}}}{{dt}}\Big|_{{\eta^2}}", b2 * sy.b / sy.tau))
        blocks.append((f"Reduced ODEs, {rule.name} update "
                       r"($dX/dt = \eta\,[\cdot]_{\eta^1} + \frac{\eta^2\tau}{b}[\cdot]_{\eta^2}$)", eqs))
    blocks.append(("Fixed point (leading order in $\\eta$"
                   + (", closure $Q = 1/g^2$" if forward.normalized else "") + ")",
                   [(str(s), point[s]) for s in state] + [(r"\varepsilon_g^*", eps_star)]))
    blocks.append(("Gradient of $\\varepsilon_g$ at the fixed point (not zero)",
                   [(rf"\partial \varepsilon_g/\partial {v}", G[k]) for k, v in enumerate(omega)]))
    blocks.append(("Hessian of $\\varepsilon_g$ at the fixed point"
                   + (", $C = Q$" if forward.normalized else ""),
                   [(rf"H_{{{omega[i]}{omega[j]}}}", H[i, j])
                    for i in range(4) for j in range(i, 4)]))
    blocks.append((r"Characteristic polynomial of the Hessian, "
                   r"$\det(\lambda I - H) = \lambda^4 + a_1\lambda^3 + a_2\lambda^2 + a_3\lambda + a_4$",
                   [eq for k, c in enumerate(charpoly) for eq in _factored(f"a_{k + 1}", f"P_{k + 1}", c)]))
    for suffix, rule in rules.items():
        n = len(state)
        blocks.append((f"Jacobian of the reduced {rule.name} flow at the fixed point"
                       + (" (family $Q = Q_0$)" if forward.normalized else "")
                       + r", per unit $\eta t$",
                       [(rf"J_{{{state[i]}{state[j]}}}", jac[suffix][i, j])
                        for i in range(n) for j in range(n) if jac[suffix][i, j] != 0]))
    tex = latex.section(title, codegen.header(recipe, functions, comment="%"), blocks)
    return {f"{stem}.py": module, f"{stem}.tex": tex}

"""What a recipe in derivations/ assembles: generated functions and LaTeX for one model family.

Shared by every model so the vanilla and batch-norm recipes differ only in
their data (which forward model, which update rules). The objects themselves come from
:mod:`symbn.symbolic.objects` (one function each, shared with the public API and the
cache file) and their equations from :mod:`symbn.symbolic.display`.
"""
from __future__ import annotations

from symbn import models

from . import codegen, curvature, display, latex, objects, stable, symmetric
from . import symbols as sy


def _names(syms):
    return tuple(str(s) for s in syms)


def _lhs_rhs(equations):
    return [(lhs, rhs) for _, lhs, rhs in equations]


def symmetric_family(recipe: str, family: str, title: str, learn_w: bool = False):
    """Artifacts {file name: text} for the symmetric phase of the model family ``family``
    (erf; with ``learn_w`` the student's second layer w learns: module ``<family>_w``).

    The registry (:mod:`symbn.models`) supplies the data: the forward model called ``family``
    fixes eps_g, the fixed point and the Hessian; every model of the family with an update
    rule gets its reduced ODE and Jacobian, named with its ``suffix`` (``rhs``;
    ``rhs_paper``, ``rhs_exact``). The characteristic polynomial of the Hessian is generated
    for the 4 x 4 Hessians (the root finder is a quartic one).
    """
    forward = models.Network(models.get(family, "forward"), "erf", learn_w)
    rules = {m.suffix: models.Network(m, "erf", learn_w) for m in models.family(family, "ode")}
    stem = family + ("_w" if learn_w else "")
    state = symmetric.state(forward)
    omega = curvature.hessian_variables(forward)
    n = len(omega)
    point = objects.fixed_point(forward)
    G, H = objects.gradient_and_hessian(forward)
    charpoly = objects.charpoly(forward) if n == 4 else None
    eps = objects.eps_g(forward)
    eps_star = objects.eps_g_star(forward)
    params = (sy.K, sy.tau)
    rates = (sy.eta_w, sy.sigma, sy.kappa) if learn_w else ()
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
                         + (", closure Q = 1/g^2" if forward.normalized else "")
                         + (", second layer w = v = 1 (verified by SymPy: every drift vanishes)" if learn_w else "")
                         + f"; shape (..., {len(state)})."),
        codegen.Function("gradient", params, list(G), f"Gradient d eps_g / d Omega {hess_doc} Shape (..., {n})."),
        codegen.Function("hessian", params, H, f"Hessian d^2 eps_g / d Omega^2 {hess_doc} Shape (..., {n}, {n})."),
    ]
    if charpoly is not None:
        functions.append(codegen.Function(
            "charpoly", params, list(charpoly),
            "Coefficients (a1, a2, a3, a4) of the Hessian's characteristic polynomial "
            "det(lambda I - H) = lambda^4 + a1 lambda^3 + a2 lambda^2 + a3 lambda + a4, "
            "each a few ulps accurate (factored; polynomial factors in a shift of K with "
            "coefficients of one sign); shape (..., 4)."))
    family = objects.family_point(forward)
    fam_params = params + ((sy.Q0,) if forward.normalized else ())
    if forward.normalized:
        functions.append(codegen.Function(
            "fixed_point_family", fam_params, [family[s] for s in state],
            "Batch norm's symmetric fixed points as a family in Q0 = Q on the plateau "
            f"(Q0 = 1/g*^2 is the paper's closure); shape (..., {len(state)})."))
    jac = {}
    rhs = {}
    for suffix, rule in rules.items():
        jac[suffix] = objects.jacobian(rule)
        functions.append(codegen.Function(
            f"jacobian{suffix}", fam_params + ((sy.rho,) if learn_w else ()), jac[suffix],
            f"Jacobian of the reduced {rule.name} flow (eta^1 part, time eta t"
            + ("; w moves at rho = eta_w / eta, no weight decay" if learn_w else "") + ") at the fixed point"
            + (" of the family with Q = Q0" if forward.normalized else "")
            + f"; its largest eigenvalue is the plateau escape rate. Shape (..., {len(state)}, {len(state)})."))
        rhs[suffix] = objects.rhs(rule)
        functions.append(codegen.Function(
            f"rhs{suffix}", state + params + (sy.eta, sy.b) + rates, list(rhs[suffix]),
            f"Reduced ODE d({', '.join(_names(state))})/dt for the {rule.name} update, "
            "including the eta^2 tau / b term"
            + ("; second layer rate eta_w, output noise sigma, weight decay kappa" if learn_w else "")
            + f"; shape (..., {len(state)})."))
    module = codegen.render_module(
        recipe, f"{title}: symmetric phase K = M, T = identity (generated).", functions,
        constants={"STATE": _names(state), "HESSIAN_VARIABLES": _names(omega)})

    # LaTeX: the same expressions.
    blocks = [("Generalization error", display.eps_g(eps))]
    for suffix, rule in rules.items():
        blocks.append((f"Reduced ODEs, {rule.name} update "
                       r"($dX/dt = \eta\,[\cdot]_{\eta^1} + \frac{\eta^2\tau}{b}[\cdot]_{\eta^2}$)",
                       display.rhs(state, rhs[suffix])))
    blocks.append(("Fixed point (leading order in $\\eta$"
                   + (", closure $Q = 1/g^2$" if forward.normalized else "") + ")",
                   display.vector(state, [point[s] for s in state])
                   + [("eps_g_star", r"\varepsilon_g^*", eps_star)]))
    blocks.append(("Gradient of $\\varepsilon_g$ at the fixed point (not zero)",
                   display.vector(omega, G, r"\partial \varepsilon_g/\partial {}")))
    blocks.append(("Hessian of $\\varepsilon_g$ at the fixed point"
                   + (", $C = Q$" if forward.normalized else ""),
                   display.matrix("H", omega, H, display.upper(n))))
    if charpoly is not None:
        blocks.append((r"Characteristic polynomial of the Hessian, "
                       r"$\det(\lambda I - H) = \lambda^4 + a_1\lambda^3 + a_2\lambda^2 + a_3\lambda + a_4$",
                       display.charpoly(charpoly)))
    for suffix, rule in rules.items():
        blocks.append((f"Jacobian of the reduced {rule.name} flow at the fixed point"
                       + (" (family $Q = Q_0$)" if forward.normalized else "")
                       + r", per unit $\eta t$",
                       display.matrix("J", state, jac[suffix], display.nonzero(jac[suffix]))))
    tex = latex.section(title, codegen.header(recipe, functions, comment="%"),
                        [(caption, _lhs_rhs(eqs)) for caption, eqs in blocks])
    return {f"{stem}.py": module, f"{stem}.tex": tex}

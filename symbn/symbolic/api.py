"""The symbolic objects of a model as SymPy expressions keyed by plain names.

These are the objects the recipes in derivations/ turn into generated/ (all read
:mod:`symbn.symbolic.objects`). The slow ones (fixed point, Hessian, its characteristic
polynomial, Jacobians) are read from generated/symbolic.json when it was written by the
running SymPy (:mod:`symbn.symbolic.store`), else derived once per process.

Models are checked with :func:`symbn.models.get`: the forward scope (``vanilla``, ``bn``,
``bn-paper``, ``bn-exact``) for eps_g, the fixed point, the Hessian and its charpoly (the
batch-norm variants share ``bn``'s forward map); the ode scope (``vanilla``, ``bn-paper``,
``bn-exact``) for the ODEs and the Jacobian. Symbols are those of
:mod:`symbn.symbolic.symbols` (``K`` positive integer, ``tau``, ``eta``, ``b``, ``Q0``
positive), e.g. ``hessian("bn").subs({symbols.K: 2, symbols.tau: 1})``.
"""
from __future__ import annotations

import functools

import sympy as sp

from symbn import models, validate
from symbn.errors import ParameterError

from . import curvature, display, dynamics, latex, objects, store, symmetric
from . import symbols as sy


def _stored(kind: str, net: models.Network):
    """``objects.<kind>(net)``, read from the cache file when it holds it (the paper's networks)."""
    got = None if (net.learn_w or net.activation != "erf") else store.get(kind, net.name)
    return getattr(objects, kind)(net) if got is None else got


def _forward(model, learn_w=False) -> models.Network:
    return objects.forward(models.Network(models.get(model, "forward"), "erf", bool(learn_w)))


def _rule(model, learn_w=False) -> models.Network:
    return models.Network(models.get(model, "ode"), "erf", bool(learn_w))


def reduced_rhs(model, *, learn_w=False) -> dict:
    """{R, S, Q, C[, g][, w]: d/dt} of the symmetric phase (K = M, T = I, K symbolic), with the
    eta^2 tau / b term: dR = dR_11, dS = dR_12, dQ = dQ_11, dC = dQ_12, dg = dg_1. ``learn_w``:
    the student's second layer w learns at eta_w (teacher v = 1), with output noise sigma and
    weight decay kappa as symbols; dw = dw_1."""
    net = _rule(model, learn_w)
    return dict(zip((str(s) for s in symmetric.state(net)), objects.rhs(net)))


@functools.lru_cache(maxsize=None)
def _general(net: models.Network, K: int, M: int, full: bool):
    _, rhs = dynamics.general_rhs(net, K, M, full=full)
    return tuple((str(k), v) for k, v in rhs.items())


def general_rhs(model, K, M, *, full=False, learn_w=False, activation="erf") -> dict:
    """{Q11, Q12, ..., R11, ..., g1, ...: d/dt} for widths K, M: dQ_ij (i <= j), dR_in, dg_i, in
    the symbols Q_ij, R_in, T_nm, g_i, tau, eta, b. Cost grows like K^2 (K + M)^2.

    ``full``: the general two-layer network (second layers w_i, v_n, output noise sigma, weight
    decay kappa); ``learn_w`` adds dw_i (rate eta_w); ``activation``: erf or linear."""
    net = models.Network(models.get(model, "ode"), models.activation(activation), bool(learn_w))
    if learn_w and not full:
        raise ParameterError("learn_w needs full=True (the general network's second layers)")
    return dict(_general(net, validate.count("K", K), validate.count("M", M), bool(full)))


@functools.lru_cache(maxsize=None)
def _general_eps_g(fwd: models.Network, K: int, M: int, full: bool):
    return dynamics.eps_g(dynamics.GeneralSpace(fwd, K, M, full=full))


def eps_g(model, K=None, M=None, *, learn_w=False, full=False, activation="erf"):
    """eps_g = (1/2) sum_pq c_p c_q I2(p, q), c = (-w, v) (paper Eq. 7, 13 for w = v = 1).

    K None: the reduced form in (R, S, Q, C[, g][, w]; K, tau), K symbolic (``learn_w``: with the
    student's second layer w). Else the general form for widths K and M (M defaults to K) in
    Q_ij, R_in, T_nm[, g_i], tau (``full``: and w_i, v_n; ``activation``: erf or linear).
    """
    if K is None:
        if M is not None:
            raise ParameterError(f"M = {M!r} needs K (K = None is the reduced, symmetric eps_g)")
        return objects.eps_g(_forward(model, learn_w))
    K = validate.count("K", K)
    fwd = models.Network(models.get(model, "forward"), models.activation(activation))
    return _general_eps_g(fwd, K, K if M is None else validate.count("M", M), bool(full))


def fixed_point(model, *, learn_w=False) -> dict:
    """{R, S, Q, C[, g][, w]: expression in K, tau}: the symmetric fixed point at leading order in
    eta (batch norm: the closure Q = 1/g^2; a learned second layer: w = 1, verified)."""
    return {str(k): v for k, v in _stored("fixed_point", _forward(model, learn_w)).items()}


def hessian(model, *, learn_w=False) -> sp.Matrix:
    """d^2 eps_g / d Omega^2 at the fixed point, Omega = (R, S, Q, C), or (R, S, Q, g) with C = Q
    substituted first for batch norm (the paper's construction), then w when it learns; entries
    in K, tau."""
    return sp.Matrix(_stored("hessian", _forward(model, learn_w)))


def jacobian(model, *, learn_w=False) -> sp.Matrix:
    """d(reduced flow)/d(R, S, Q, C[, g][, w]) at the fixed point, per unit eta t; batch norm at
    the family member Q = Q0 (entries in K, tau, Q0; a learned w moves at rho = eta_w / eta)."""
    return sp.Matrix(_stored("jacobian", _rule(model, learn_w)))


def charpoly(model) -> dict:
    """{a1, a2, a3, a4}: det(lambda I - H) = lambda^4 + a1 lambda^3 + a2 lambda^2 + a3 lambda + a4.

    The generated expressions, with their shifts KM1 = K - 1, KM2 = K - 2 written out in K.
    """
    coeffs = _stored("charpoly", _forward(model))
    return {f"a{k + 1}": c.xreplace(sy.SHIFTED) for k, c in enumerate(coeffs)}


# What `latex_block` (`symbn latex WHAT`) prints, and the model scope each object lives in.
WHATS = {"hessian": "forward", "rhs": "ode", "fixed-point": "forward", "eps-g": "forward",
         "jacobian": "ode"}


def _names(syms):
    return ", ".join(str(s) for s in syms)


def _pick_pair(what, names, entry):
    parts = [p.strip() for p in entry.split(",")] if isinstance(entry, str) else list(entry)
    valid = [str(n) for n in names]
    if len(parts) != 2 or any(p not in valid for p in parts):
        raise ParameterError(f"entry for {what} must be ROW,COLUMN with names from {', '.join(valid)}; "
                             f"got {entry!r}")
    return [(valid.index(parts[0]), valid.index(parts[1]))]


def _equations(what, model: models.Network, entry):
    """(caption, [(key, lhs, rhs), ...]) of one object, restricted to ``entry`` if given."""
    fwd, lw = objects.forward(model), model.learn_w
    if what == "eps-g":
        if entry is not None:
            raise ParameterError(f"entry {entry!r} given, but eps-g is one equation "
                                 "(entry applies to hessian, jacobian, rhs, fixed-point)")
        return f"Reduced generalization error, {fwd.name}", display.eps_g(eps_g(fwd.name, learn_w=lw))
    if what in ("hessian", "jacobian"):
        if what == "hessian":
            names, M, symbol = curvature.hessian_variables(fwd), hessian(fwd.name, learn_w=lw), "H"
            pairs, caption = display.upper(len(names)), (f"Hessian of eps_g at the fixed point, {fwd.name}, "
                                                f"Omega = ({_names(names)})"
                                                + (" with C = Q" if fwd.normalized else ""))
        else:
            names, M, symbol = symmetric.state(model), jacobian(model.name, learn_w=lw), "J"
            pairs, caption = display.nonzero(M), (f"Jacobian of the reduced {model.name} flow at the "
                                                  f"fixed point, per unit eta t"
                                                  + (", family member Q = Q0" if fwd.normalized else ""))
        if entry is not None:
            pairs = _pick_pair(what, names, entry)
        return caption, display.matrix(symbol, names, M, pairs)
    if what == "rhs":
        state, r = symmetric.state(model), reduced_rhs(model.name, learn_w=lw)
        caption = (f"Reduced ODEs, {model.name} update: dX/dt = eta [.]_(eta^1) "
                   "+ (eta^2 tau / b) [.]_(eta^2)")
        eqs = display.rhs(state, [r[str(s)] for s in state])
    else:
        state, point = symmetric.state(fwd), fixed_point(fwd.name, learn_w=lw)
        caption = (f"Symmetric fixed point, {fwd.name}, leading order in eta"
                   + (", closure Q = 1/g^2" if fwd.normalized else ""))
        eqs = display.vector(state, [point[str(s)] for s in state])
    if entry is not None:
        if entry not in [str(s) for s in state]:
            raise ParameterError(f"entry for {what} must be one of {_names(state)}; got {entry!r}")
        eqs = [e for e in eqs if e[0] == entry]
    return caption, eqs


def latex_block(what: str, model, entry=None, *, learn_w=False) -> str:
    """One object as a LaTeX ``align*`` block (after a ``%`` comment naming it) that compiles in
    an ``article`` with ``amsmath``; long sums break across rows as in generated/*.tex.

    ``what``: hessian, rhs, fixed-point, eps-g, jacobian. ``entry``: "ROW,COLUMN" (state names)
    for hessian and jacobian, one state name for rhs and fixed-point. ``learn_w``: the symmetric
    phase with a learned second layer (state adds w).
    """
    if what not in WHATS:
        raise ParameterError(f"WHAT must be one of {', '.join(WHATS)}; got {what!r}")
    net = models.Network(models.get(model, WHATS[what]), "erf", bool(learn_w))
    caption, eqs = _equations(what, net, entry)
    return f"% {caption}\n" + latex.align([(lhs, rhs) for _, lhs, rhs in eqs])

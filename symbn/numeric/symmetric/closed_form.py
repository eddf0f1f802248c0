"""Symmetric fixed point, eps_g, gradient, Hessian and its spectrum (paper Section 3.2).

Thin, validated wrappers around the generated code; everything broadcasts over
arrays of K and tau (and Q0), with vector/matrix axes last. Models: those of the
registry's ``forward`` scope (:mod:`symbn.models`): ``vanilla``, ``bn``, ``bn-paper``,
``bn-exact`` -- eps_g and the Hessian depend only on the forward map, so both BN
update rules share them (the generated module of the model's ``family``).
"""
from __future__ import annotations

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.generated import bn, bn_w, vanilla, vanilla_w
from symbn.numeric.symmetric import polyroots

FAMILIES = {"vanilla": vanilla, "bn": bn}
LEARNED = {"vanilla": vanilla_w, "bn": bn_w}
"""The same with the student's second layer learning (state adds w; teacher v = 1)."""


def family(model, learn_w=False):
    """The generated module with the symmetric-phase closed forms of ``model``'s forward map
    (``learn_w``: with a learned second layer)."""
    return (LEARNED if learn_w else FAMILIES)[validate.model(model, "forward").family]


def params(K, tau):
    """Validated (K, tau) arrays: K an integer >= 1, tau > 0, both finite."""
    return validate.at_least("K", K, 1, integer=True), validate.positive("tau", tau)


def closure_Q0(K, *, tau=1.0):
    """The paper's closure Q0 = 1/g*^2 = (K + (K-1) tau) / tau (batch norm's plateau member)."""
    K, tau = params(K, tau)
    return (K + (K - 1) * tau) / tau


def fixed_point(model, K, *, tau=1.0, Q0=None, learn_w=False):
    """Symmetric fixed point (eta -> 0) as a dict of arrays keyed R, S, Q, C[, g][, w].

    Vanilla: Q* = C* = 1/(K + (K-1) tau), R* = S* = 1/sqrt(K (K + (K-1) tau)).
    Batch norm is invariant to |J_i|: its fixed points form a family labelled by Q0 = Q on
    the plateau, with g*^2 = tau / (K + (K-1) tau) for every member; ``Q0=None`` is the
    paper's closure Q0 = 1/g*^2 (:func:`closure_Q0`). ``learn_w``: the second layer learns too;
    its plateau has w* = v = 1 and the same R, S, Q, C, g (SymPy verifies every drift vanishes).
    """
    fam = family(model, learn_w)
    K, tau = params(K, tau)
    if Q0 is not None and not validate.model(model, "forward").normalized:
        raise ParameterError(f"Q0: model {model!r} has no fixed-point family (Q0 applies to batch norm)")
    values = fam.fixed_point(K, tau) if Q0 is None else fam.fixed_point_family(K, tau, validate.positive("Q0", Q0))
    return {name: values[..., k] for k, name in enumerate(fam.STATE)}


def eps_g_star(model, K, *, tau=1.0):
    """eps_g at the symmetric fixed point; shape of broadcast(K, tau)."""
    return family(model).eps_g_star(*params(K, tau))


def gradient(model, K, *, tau=1.0, learn_w=False):
    """d eps_g / d Omega at the fixed point (not zero); shape (..., n), Omega = :func:`variables`."""
    return family(model, learn_w).gradient(*params(K, tau))


def hessian(model, K, *, tau=1.0, learn_w=False):
    """d^2 eps_g / d Omega^2 at the fixed point; shape (..., n, n), Omega = :func:`variables`
    (n = 4, or 5 with a learned second layer: Omega adds w)."""
    return family(model, learn_w).hessian(*params(K, tau))


def spectrum(model, K, *, tau=1.0, learn_w=False):
    """Eigenvalues of the Hessian at the fixed point, ascending; shape (..., 4).

    Roots of the generated characteristic polynomial det(lambda I - H) (coefficients in
    closed form, a few ulps each), found by :func:`symbn.numeric.symmetric.polyroots.quartic`: every
    eigenvalue to a few ulps relative, including batch norm's tiny ones (down to 1e-25 of the
    largest at K = 1000, tau = 1e-3), which ``eigvalsh`` of the float64 Hessian gets only to
    eps * max|lambda| (docs/spectrum.md). Exact zeros stay exact (K = 1: S, and for vanilla
    C, do not enter eps_g). Points whose eigenvalues are not separated by a relative gap of
    0.25 (where the charpoly would be ill conditioned) or whose Newton polishing does not
    converge fall back to ``eigvalsh`` (normwise accurate); there are none for K = 1..1000,
    tau in [1e-3, 1e3] (gaps >= 0.64).

    ``learn_w``: the 5 x 5 Hessian with the second layer, by ``eigvalsh`` (accurate to
    eps * max|lambda|, not a few ulps each: there is no quartic charpoly to root).
    """
    if learn_w:
        return eigvalsh_exact_zeros(hessian(model, K, tau=tau, learn_w=True))
    fam = family(model)
    K, tau = np.broadcast_arrays(*params(K, tau))
    k, t = K.ravel(), tau.ravel()
    out = np.empty(k.shape + (4,))
    for s in range(0, k.size, _CHUNK):      # chunks that stay in cache: ~2x faster than one pass
        ks, ts = k[s:s + _CHUNK], t[s:s + _CHUNK]
        roots, ok = polyroots.quartic(fam.charpoly(ks, ts))
        if not ok.all():
            roots[~ok] = eigvalsh_exact_zeros(fam.hessian(ks[~ok], ts[~ok]))
        out[s:s + _CHUNK] = roots
    return out.reshape(K.shape + (4,))


_CHUNK = 1 << 14


def eigvalsh_exact_zeros(H):
    """``numpy.linalg.eigvalsh`` of a stack (..., n, n), with exactly-zero rows deflated to exact zeros.

    Plain eigvalsh turns a zero row into round-off of size eps * ||H|| (e.g. -4e-17);
    here the remaining block is diagonalised on its own and the zeros are exact.
    """
    H = np.asarray(H, dtype=float)
    eig = np.linalg.eigvalsh(H)
    if not np.any(np.diagonal(H, axis1=-2, axis2=-1) == 0.0):    # a zero row has a zero diagonal
        return eig
    zero = np.all(H == 0.0, axis=-1)
    if not zero.any():
        return eig
    n = H.shape[-1]
    flat_H, flat_z = H.reshape(-1, n, n), zero.reshape(-1, n)
    out = eig.reshape(-1, n).copy()
    for pattern in np.unique(flat_z[flat_z.any(axis=1)], axis=0):
        sel = np.all(flat_z == pattern, axis=1)
        keep = np.flatnonzero(~pattern)
        sub = np.linalg.eigvalsh(flat_H[sel][:, keep][:, :, keep]) if keep.size else np.empty((sel.sum(), 0))
        out[sel] = np.sort(np.concatenate([sub, np.zeros((sel.sum(), n - keep.size))], axis=1), axis=1)
    return out.reshape(eig.shape)


def variables(model, learn_w=False):
    """Names of Omega, the Hessian's variables."""
    return family(model, learn_w).HESSIAN_VARIABLES

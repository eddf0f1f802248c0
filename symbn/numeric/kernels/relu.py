"""Gaussian averages of phi(x) = max(0, x) (phi' = H, Heaviside) for the ODEs: I2, I3, I4, J2.

Arguments as in :mod:`symbn.generated.kernels`: the covariance entries of the zero-mean Gaussian
arguments, variances first, then the upper triangle row by row; they broadcast. A repeated
argument (I4(a, a, c, d), I4(a, b, a, b), ...) is a covariance with correlation exactly 1.

I2, I3, J2 are the closed forms of :mod:`symbn.symbolic.integrals` (generated into
``symbn.generated.kernels_relu``). I4 = <H(u) H(v) relu(w) relu(z)> has none. With
relu(x) = x H(x) it is the orthant moment M = E[1{x > 0} x_p x_q] of x = (u, v, w, z), p = w,
q = z, and Stein's lemma twice (E[x_p g] = sum_k C_pk E[d_k g]; d_k 1{x_k > 0} = delta(x_k))
reduces it to orthant probabilities:

    M = C_pq P4(C) + sum_{k != q} sum_{j != k} C_pk / sqrt(2 pi C_kk)
                       * C^k_qj / sqrt(2 pi C^k_jj) * P2(C^{kj})

(C^k: covariance given x_k = 0; C^{kj}: of the remaining pair {a, b} given x_k = x_j = 0). With
the rows l_m of a Cholesky factor (x_m = l_m . g), C_pk / sqrt(C_kk) = l_p . u_k and
C^k_qj / sqrt(C^k_jj) = l^k_q . u^k_j are projections on unit vectors (l^k: projected off u_k),
P2(C^{kj}) = 1/4 + asin(r)/(2 pi) with the partial correlation r = -cos(n_a, n_b) of the cofactor
rows n (normals to the other three l's; adj(C) = cof cof^T), and P4 is the one-dimensional
Plackett integral of :mod:`symbn.numeric.kernels.orthant`.

Repeated arguments. A pair with correlation exactly +1 (x_b = lambda x_a) has H(x_a) H(x_b) = H(x_a):
the redundant Heaviside is dropped by replacing x_b with an independent N(0, 1) (a factor 2), and a
moment variable merged into another one contributes lambda (relu(w) relu(z) = lambda relu(z)^2 for
w = lambda z). A pair with correlation exactly -1 makes the orthant empty: I4 = 0. So every index
pattern evaluates a covariance without exact pairs.

phi'(0) = 0 (the subgradient convention of the common frameworks); it matters only in
simulations, where h = 0 exactly has probability 0 for non-degenerate inputs.

Input. Every entry finite, variances > 0 and every pair a covariance: |correlation| <= 1 + 1e-6
(the ODE's domain slack, :data:`symbn.numeric.ode.domain.DOMAIN_SLACK`; up to it the correlation is clipped
to +-1), or :class:`symbn.errors.ParameterError` (never NaN). That is the ODE's domain, and on it the
kernels are total, as the erf kernels are: the ODE's trial stages near converged states (students
equal to teachers, correlations -> 1) leave the positive semidefinite cone by more than round-off
while every pair stays valid. The documented limit there: I3's closed form needs only the pairs
(u, w) and the coefficients C12, C23, and I4 evaluates the projection of the correlation matrix on
the positive semidefinite cone (negative eigenvalues set to 0, unit diagonal restored), which is
the identity on covariance matrices and moves a slightly indefinite one by about |lambda_min|.

Accuracy of I4 (tests/test_relu.py): <= 1e-12 absolute against an independent 2-d quadrature and
mpmath for every index pattern; near the boundary of the positive semidefinite cone the kernel's
own condition number dominates (the value moves by ~ 1e-16 / sqrt(lambda_min) when an entry moves
by one ulp): <= 1e-10 measured down to lambda_min(correlation) ~ 1e-12 (nearly equal pairs, two
pairs, triples, rank 2 and rank 3 structures), ~3e-10 at 1e-16; exactly repeated arguments are
exact reductions.

Cost of I4 (min of 9 calls with the argument shapes of symbn.numeric.ode.system.System.F, on 2 shared
cores under load 3-4, numpy 2.4): K = M = 2 (3 x 10 elements per call) 1.5-1.9 ms per call
(~60 us per element, mostly numpy call overhead); K = M = 10 (55 x 210 = 11550 elements) 66-86 ms
per call (6-7 us per element); 6.4-8.4 us per element for large calls with four distinct
arguments (P4 ~3.5 us of it, mostly arctan). The vanilla ODE, eta = 0.5: K = M = 2 to t = 200 in
2.9 s; K = M = 3 to t = 600 (eps_g down to round-off) in 20 s (3000 right-hand sides).
"""
from __future__ import annotations

import numpy as np

from symbn.errors import ParameterError
from symbn.generated import kernels_relu
from symbn.numeric.kernels import orthant

SLACK = 1e-6            # accepted excess of a |correlation| over 1 (round-off; the ODE's domain slack)
CHUNK = 16384           # elements per moment() call


def phi(x):
    """relu(x) = max(0, x)."""
    return np.maximum(x, 0.0)


def dphi(x):
    """H(x), with H(0) = 0."""
    return np.greater(x, 0.0).astype(float)


def _arrays(name, entries, d):
    """Broadcast float arrays of the d variances and d(d-1)/2 covariances, checked finite."""
    arrays = np.broadcast_arrays(*(np.asarray(e, dtype=float) for e in entries))
    bad = ~np.isfinite(np.stack(arrays))
    if np.any(bad):
        raise ParameterError(f"{name}: covariance entries must be finite, got {np.stack(arrays)[bad][0]!r}")
    var = np.stack(arrays[:d])
    if np.any(var <= 0):
        raise ParameterError(f"{name}: variances must be > 0 (a zero variance leaves phi'(0) undefined), "
                             f"got {var[var <= 0][0]!r}")
    return arrays


def _clip(name, cii, cjj, cij):
    """Cij clipped to [-g, g], g = sqrt(Cii Cjj) (as the generated code computes it), if within SLACK."""
    g = np.sqrt(cii * cjj)
    over = np.abs(cij) - g
    if np.any(over > SLACK * g):
        k = np.argmax(over / g)
        raise ParameterError(f"{name}: |correlation| = {np.abs(cij).flat[k] / g.flat[k]!r} > 1: "
                             "not a covariance matrix")
    return np.clip(cij, -g, g)


def _square(diag, off):
    """(n, d, d) symmetric matrices from the diagonal and the upper triangle (row by row)."""
    d = len(diag)
    C = np.empty(diag[0].shape + (d, d))
    for a in range(d):
        C[..., a, a] = diag[a]
    pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
    for (a, b), c in zip(pairs, off):
        C[..., a, b] = C[..., b, a] = c
    return C


def _gram(C):
    """The Cholesky rows of C (n, d, d) and their unit rows, C first made positive semidefinite.

    Where a pivot of the correlation matrix R is negative (round-off at a repeated argument, or an
    ODE trial stage outside the cone: pairs within the slack, the whole matrix not), R is replaced
    by its projection on the positive semidefinite cone (negative eigenvalues set to 0, unit
    diagonal restored; the identity on positive semidefinite R). Eigenvalues decide, not pivots: a
    pivot of a nearly singular matrix can lie far below its smallest eigenvalue.
    """
    sd = np.sqrt(np.diagonal(C, axis1=-2, axis2=-1))
    R = C / sd[..., :, None] / sd[..., None, :]
    U, low = orthant.gram(R, pivots=True)
    bad = np.flatnonzero(low < 0)
    if bad.size:
        lam, V = np.linalg.eigh(R[bad])
        P = (V * np.maximum(lam, 0.0)[:, None, :]) @ np.swapaxes(V, -1, -2)
        s = np.sqrt(np.diagonal(P, axis1=-2, axis2=-1))
        U[bad] = orthant.gram(P / s[:, :, None] / s[:, None, :])
    U = U / np.linalg.norm(U, axis=-1, keepdims=True)
    return U * sd[..., :, None], U


def I2(c11, c22, c12):
    """<relu(u) relu(v)> (the arc-cosine kernel; generated closed form, checked input)."""
    c11, c22, c12 = _arrays("I2", (c11, c22, c12), 2)
    return kernels_relu.I2(c11, c22, _clip("I2", c11, c22, c12))


def J2(c11, c22, c12):
    """<H(u) H(v)> = 1/4 + asin(rho)/(2 pi) (generated closed form, checked input)."""
    c11, c22, c12 = _arrays("J2", (c11, c22, c12), 2)
    return kernels_relu.J2(c11, c22, _clip("J2", c11, c22, c12))


def I3(c11, c22, c33, c12, c13, c23):
    """<H(u) v relu(w)> (generated closed form; it needs only valid pairs, see the module docstring)."""
    e = _arrays("I3", (c11, c22, c33, c12, c13, c23), 3)
    diag = e[:3]
    off = [_clip("I3", diag[a], diag[b], c) for (a, b), c in zip([(0, 1), (0, 2), (1, 2)], e[3:])]
    return kernels_relu.I3(*diag, *off)


def I4(c11, c22, c33, c44, c12, c13, c14, c23, c24, c34):
    """<H(u) H(v) relu(w) relu(z)> (module docstring: Stein's lemma down to orthant probabilities,
    P4 by a one-dimensional integral; repeated arguments reduced exactly)."""
    e = _arrays("I4", (c11, c22, c33, c44, c12, c13, c14, c23, c24, c34), 4)
    shape = e[0].shape
    C = _square([x.ravel() for x in e[:4]], [x.ravel() for x in e[4:]])
    d = np.diagonal(C, axis1=1, axis2=2)
    C = _clip("I4", d[:, :, None], d[:, None, :], C)
    C, factor, p = _reduce(C)
    out = np.zeros(C.shape[0])
    live = np.flatnonzero(factor)
    for start in range(0, live.size, CHUNK):         # bounded temporaries (~1 kB per element)
        sel = live[start:start + CHUNK]
        out[sel] = factor[sel] * moment(C[sel], p[sel])
    return out.reshape(shape)


def _reduce(C):
    """Exact pairs out: (C', factor, p) with I4 = factor * E[1{x' > 0} x'_p x'_3], x' ~ N(0, C').

    Pairs with |C_ab| = sqrt(C_aa C_bb) (after clipping) are merged into blocks; each block keeps
    its highest position (so w and z stay when they can), the others become independent N(0, 1)
    (a factor 2 each). A pair with correlation -1 gives factor 0.
    """
    n = C.shape[0]
    d = np.diagonal(C, axis1=1, axis2=2)
    exact = np.abs(C) >= np.sqrt(d[:, :, None] * d[:, None, :])        # the diagonal included
    factor = np.where(np.any(exact & (C < 0), axis=(1, 2)), 0.0, 1.0)
    p = np.full(n, 2)
    some = np.flatnonzero(np.any(exact[:, _ROW, _COL], axis=1))
    if some.size == 0:
        return C, factor, p
    E = exact[some].astype(float)
    for _ in range(2):                                                # transitive closure (4 nodes)
        E = np.minimum(E @ E, 1.0)
    rep = 3 - np.argmax(E[:, :, ::-1], axis=2)                        # highest position in the block
    p[some] = rep[:, 2]                                               # 2, or 3 when w merged into z
    merged = some[rep[:, 2] == 3]
    factor[merged] *= np.sqrt(d[merged, 2] / d[merged, 3])
    dummy = rep != np.arange(4)
    factor[some] *= 2.0 ** np.sum(dummy, axis=1)
    Cs = np.where(dummy[:, :, None] | dummy[:, None, :], np.eye(4), C[some])
    C = C.copy()
    C[some] = Cs
    return C, factor, p


_ROW, _COL = np.triu_indices(4, 1)
_PAIR_OF = np.zeros((4, 4), dtype=int)                                # conditioning pair {k, j} -> 0..5
_PAIR_OF[_ROW, _COL] = _PAIR_OF[_COL, _ROW] = np.arange(6)
_CA, _CB = np.array([[m for m in range(4) if m not in (k, j)] for k, j in zip(_ROW, _COL)]).T   # complements
_J = np.array([[j for j in range(4) if j != k] for k in range(3)])   # j != k for k = 0, 1, 2 (k != q = 3)


def moment(C, p):
    """E[1{x > 0} x_p x_3] for x ~ N(0, C), C (n, 4, 4) positive semidefinite, p (n,) in 0..3.

    The Stein terms need, for k != 3 and j != k: c1 = l_p . u_k, c2 = l^k_3 . u^k_j (l^k: rows
    projected off u_k) and P2 of the complementary pair {a, b} given x_k = x_j = 0, whose
    partial correlation is -cos(n_a, n_b) with n the cofactor rows (:func:`orthant.cofactors`).
    """
    L, U = _gram(C)
    rows = np.arange(C.shape[0])
    cof = orthant.cofactors(U)
    uk = U[:, :3]                                                     # (n, 3, 4), k = 0, 1, 2
    Lk = L[:, None] - orthant.dot(L[:, None], uk[:, :, None])[..., None] * uk[:, :, None]  # given x_k = 0
    c1 = orthant.dot(L[rows, p][:, None], uk)                         # C_pk / sqrt(C_kk)    (n, 3)
    norm = np.sqrt(orthant.dot(Lk, Lk))                               # sqrt(C^k_jj)          (n, 3, 4)
    c2 = orthant.dot(Lk[:, :, 3:], Lk) / np.where(norm > 0, norm, np.inf)   # C^k_3j / sqrt(C^k_jj)
    p2 = 0.25 - orthant.asin_corr(cof[:, _CA], cof[:, _CB]) / (2 * np.pi)   # (n, 6) by pair {k, j}
    inner = np.sum(np.take_along_axis(c2, _J[None], 2) * p2[:, _PAIR_OF[np.arange(3)[:, None], _J]], axis=2)
    stein = np.sum(c1 * inner, axis=1) / (2 * np.pi)
    return C[rows, p, 3] * orthant.p4(U, cof=cof) + stein

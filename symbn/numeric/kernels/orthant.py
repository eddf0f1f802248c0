"""Centred Gaussian orthant probabilities P_d = P(x_1 > 0, ..., x_d > 0), d <= 4, from Gram vectors.

A covariance C = L L^T is given by the rows l_m of L (x_m = l_m . g, g ~ N(0, I)); every quantity
below is a dot product, a projection or a sum of squared minors of these vectors, so a nearly
dependent pair or triple loses accuracy only through the inputs' own round-off (an error
~ 1e-16 / sin(angle), not 1e-16 / sin(angle)^2 as when conditional variances are formed by
subtracting products of covariances).

    P2(x, y)    = 1/4 + asin(rho)/(2 pi),   asin(rho) = atan2(x.y, |x ^ y|)   (Sheppard)
    P3(x, y, z) = 1/8 + (asin rho_xy + asin rho_xz + asin rho_yz)/(4 pi)

P4 has no elementary closed form. Plackett (1954): dP4/drho_ij = phi2(0, 0; rho_ij) P(x_k > 0,
x_l > 0 | x_i = x_j = 0). Integrate along the path on which the correlations of one variable a
with the others shrink to zero, rho_ak(t) = t rho_ak (x_a(t) = t x_a + sqrt(1 - t^2) e, e an
independent N(0, 1)); at t = 0, P4 = P3(others)/2, so (k != a, {i, j} the other two)

    P4 = P3(i, j, k)/2 + sum_k asin(rho_ak)/(8 pi)
         + 1/(4 pi^2) sum_k int_0^1 rho_ak / sqrt(1 - t^2 rho_ak^2) atan2(N_k, X_k) dt,
    N_k = a_ij (1 - t^2 rho_ak^2) - t^2 b_i b_j,
    X_k = sqrt(det R_{-a} (1 - t^2 m_a) (1 - t^2 rho_ak^2)),

with a_ij, b_i = cov(x_i, x_j | x_k), cov(x_i, x_a | x_k) (unit variances) and m_a the squared
multiple correlation of x_a on the others (1 - m_a = det R / det R_{-a}); atan2(N_k, X_k) is the
arcsine of the partial correlation of (x_i, x_j) given (x_a(t), x_k). The integrand is even in t
and its singularities (zeros of principal minors along the path) lie at |t| >= t_c = m_a^(-1/2);
a is the variable that makes t_c largest. Quadrature, by delta = t_c - 1: none if x_a is
independent of the others (an exactly repeated argument's stand-in); Gauss-Legendre on [0, 1]
with 8 nodes for delta >= 1, 12 for delta >= 1/2 (<= 2e-15 measured); otherwise N1 = 10 nodes on
[0, 1/2] and, on [1/2, 1], the map 1 - t = delta (e^s - 1), which sends every singularity beyond
t_c to Im s = pi, with Gauss-Legendre in s on 8-40 nodes (8 + 1.2 x the length of the s range).

Checked (tests/test_relu.py) against 40-digit mpmath quadrature along Plackett's other path (from
the identity): <= 2.4e-11 at lambda_min(R) ~ 1e-13 (rank 3, rank 2, rank 1, pairs, triples), where
the inputs' round-off dominates; the four paths (a = 1..4) agree with each other; through I4,
<= 1e-12 against a 2-d quadrature for well-conditioned R.
"""
from __future__ import annotations

import numpy as np

N1 = 10                                   # Gauss-Legendre nodes on [0, 1/2]
N2 = (8, 12, 16, 20, 24, 32, 40)          # node counts on [1/2, 1], chosen by the s range
DELTA_MIN, DELTA_MAX = 1e-18, 10.0        # distance of the nearest singularity beyond t = 1, clipped
CHUNK = 8192                              # elements per integrand evaluation


def gram(C, pivots=False):
    """Rows of the lower Cholesky factor of positive semidefinite C (..., d, d), pivots^2 < 0 -> 0;
    with ``pivots``, also the smallest pivot^2 before that clipping (...) (< 0: indefinite)."""
    d = C.shape[-1]
    L = np.zeros_like(C)
    low = np.full(C.shape[:-2], np.inf)
    for i in range(d):
        for j in range(i + 1):
            s = C[..., i, j] - np.einsum("...k,...k->...", L[..., i, :j], L[..., j, :j])
            if i == j:
                low = np.minimum(low, s)
                L[..., i, i] = np.sqrt(np.maximum(s, 0.0))
            else:
                piv = L[..., j, j]
                L[..., i, j] = np.where(piv > 0, s / np.where(piv > 0, piv, 1.0), 0.0)
    return (L, low) if pivots else L


def dot(x, y):
    return np.einsum("...c,...c->...", x, y)


def wedge(x, y):
    """|x ^ y| = sqrt(|x|^2 |y|^2 - (x.y)^2) as |x| times the residual of y on x (relative error
    ~ 1e-16 / sin(angle), where the difference of squares would lose 1e-16 / sin(angle)^2)."""
    xx = dot(x, x)
    r = y - (dot(x, y) / np.where(xx > 0, xx, np.inf))[..., None] * x
    return np.sqrt(xx * dot(r, r))


def atan2(y, x):
    """atan2(y, x) for x >= 0 as atan(y / x) (half the cost of numpy's arctan2), 0 at y = x = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.arctan(y / x)
    return np.where(np.isnan(out), 0.0, out)


def asin_corr(x, y):
    """asin of the correlation of x.g and y.g, continuous up to (anti)parallel x, y; 0 if one is 0."""
    return atan2(dot(x, y), wedge(x, y))


def p2(x, y):
    return 0.25 + asin_corr(x, y) / (2 * np.pi)


def p3(U):
    """P3 of the rows of U (..., 3, 4)."""
    return 0.125 + np.sum(asin_corr(U[..., [0, 0, 1], :], U[..., [1, 2, 2], :]), axis=-1) / (4 * np.pi)


def _det3(M):
    return (M[..., 0, 0] * (M[..., 1, 1] * M[..., 2, 2] - M[..., 1, 2] * M[..., 2, 1])
            - M[..., 0, 1] * (M[..., 1, 0] * M[..., 2, 2] - M[..., 1, 2] * M[..., 2, 0])
            + M[..., 0, 2] * (M[..., 1, 0] * M[..., 2, 1] - M[..., 1, 1] * M[..., 2, 0]))


_OTHERS = np.array([[m for m in range(4) if m != a] for a in range(4)])          # (4, 3)
_CO_ROWS = np.repeat(_OTHERS, 4, axis=0)[:, :, None]                             # cofactor (a, c)
_CO_COLS = np.tile(_OTHERS, (4, 1))[:, None, :]
_CO_SIGN = np.array([(-1.0) ** (a + c) for a in range(4) for c in range(4)])
_PI, _PJ = np.triu_indices(4, 1)                                                 # the 6 pairs
_PAIR = np.zeros((4, 4), dtype=int)
_PAIR[_PI, _PJ] = _PAIR[_PJ, _PI] = np.arange(6)
_SINGLE = np.array([[_PAIR[a, k] for k in _OTHERS[a]] for a in range(4)])        # (4, 3): pair (a, k)
_DOUBLE = np.array([[_PAIR[tuple(m2 for m2 in _OTHERS[a] if m2 != m)] for m in _OTHERS[a]]
                    for a in range(4)])                                          # (4, 3): pair {k, l}
_REST = _OTHERS                                                                  # m = the fourth


def cofactors(U):
    """The cofactor matrix of U (n, 4, 4): row a is the normal n_a to the other three rows, with
    n_a . u_b = det U [a = b]; for C = U U^T, adj(C) = cof cof^T, so the partial correlation of
    x_a, x_b given the other two is -cos(n_a, n_b)."""
    return (_det3(U[:, _CO_ROWS, _CO_COLS]) * _CO_SIGN).reshape(U.shape[0], 4, 4)


def _freedom(U, cof):
    """1 - m_a for each a (n, 4): the squared residual of u_a on the other three unit vectors,
    det R / det R_{-a}, capped by its upper bounds (the residuals on each pair {k, l},
    det R_{akl} / det R_{kl}, and on each single u_k, 1 - rho_ak^2) so that round-off in a nearly
    singular R never hides a nearby singularity."""
    det = dot(U[:, 0], cof[:, 0])                              # det U; det R = det U^2
    minor = dot(cof, cof)                                      # det R_{-m}
    sin2 = wedge(U[:, _PI], U[:, _PJ]) ** 2                    # 1 - rho^2 of the 6 pairs
    out = det[:, None] ** 2 / np.where(minor > 0, minor, np.inf)
    out = np.where(minor > 0, out, 1.0)
    double = minor[:, _REST] / np.where(sin2 > 0, sin2, np.inf)[:, _DOUBLE]
    out = np.minimum(out, np.min(np.where(sin2[:, _DOUBLE] > 0, double, 1.0), axis=2))
    out = np.minimum(out, np.min(sin2[:, _SINGLE], axis=2))
    return np.clip(out, 0.0, 1.0), minor


def _legendre(n, lo, hi):
    x, w = np.polynomial.legendre.leggauss(n)
    return lo + (hi - lo) * (x + 1) / 2, w * (hi - lo) / 2


_LOW = _legendre(N1, 0.0, 0.5)
_HIGH = {n: _legendre(n, 0.0, 1.0) for n in N2}
_PLAIN = {1.0: _legendre(8, 0.0, 1.0), 0.5: _legendre(12, 0.0, 1.0)}   # delta >= 1, >= 1/2: one rule
_PERM = np.array([list(_OTHERS[a]) + [a] for a in range(4)])                    # a last
_K, _I, _J = np.array([0, 1, 2]), np.array([1, 0, 0]), np.array([2, 2, 1])      # terms k, {i, j}


def _nodes(delta, n2):
    """(1 - t, weights) on [0, 1] for elements whose nearest singularity is t_c = 1 + delta:
    fixed on [0, 1/2]; 1 - t = delta (e^s - 1) on [1/2, 1] (n2 nodes); shape (n, N1 + n2).
    n2 = 0 or -1: Gauss-Legendre on [0, 1] with 8 or 12 nodes (delta >= 1 or >= 1/2)."""
    if n2 <= 0:
        x, w = _PLAIN[1.0 if n2 == 0 else 0.5]
        return np.broadcast_to(1.0 - x, (len(delta), x.size)), np.broadcast_to(w, (len(delta), x.size))
    span = np.log((0.5 + delta) / delta)             # the s range
    x, w = _HIGH[n2] if n2 in _HIGH else _legendre(n2, 0.0, 1.0)
    s = x[None, :] * span[:, None]
    u = np.concatenate([np.broadcast_to(1.0 - _LOW[0], (len(delta), N1)), delta[:, None] * np.expm1(s)], 1)
    wt = np.concatenate([np.broadcast_to(_LOW[1], (len(delta), N1)),
                         w[None, :] * span[:, None] * delta[:, None] * np.exp(s)], 1)
    return u, wt


def p4(U, a=None, n2=None, cof=None):
    """P(x > 0) for unit Gram vectors U (n, 4, 4) (rows; the correlation matrix is U U^T).

    ``cof``: :func:`cofactors` of U if already computed; ``a`` (n,) forces the path's variable and
    ``n2`` the node count on [1/2, 1] (for checks)."""
    n = U.shape[0]
    free, minor = _freedom(U, cofactors(U) if cof is None else cof)
    a = np.argmax(free, axis=1) if a is None else np.broadcast_to(a, (n,))
    om, d3 = free[np.arange(n), a], minor[np.arange(n), a]       # 1 - m_a, det R_{-a}
    U = np.take_along_axis(U, _PERM[a][:, :, None], axis=1)
    ua, uk = U[:, 3], U[:, _K]                                   # (n, 4), (n, 3, 4)
    rho = dot(ua[:, None], uk)                                   # rho_ak (n, 3)
    pa = ua[:, None] - rho[..., None] * uk                       # projections off u_k
    pi_ = U[:, _I] - dot(U[:, _I], uk)[..., None] * uk
    pj_ = U[:, _J] - dot(U[:, _J], uk)[..., None] * uk
    sin2, aij, bb = dot(pa, pa), dot(pi_, pj_), dot(pi_, pa) * dot(pj_, pa)
    base = p3(U[:, :3]) / 2 + np.sum(atan2(rho, np.sqrt(sin2)), axis=1) / (8 * np.pi)
    root = np.sqrt(1.0 - om)
    with np.errstate(divide="ignore"):
        delta = np.clip(om / (root * (1.0 + root)), DELTA_MIN, DELTA_MAX)   # t_c - 1
    need = 8 + 1.2 * np.log((0.5 + delta) / delta)
    if n2 is None:
        count = np.asarray(N2)[np.minimum(np.searchsorted(N2, need), len(N2) - 1)]
        count = np.where(delta >= 1.0, 0, np.where(delta >= 0.5, -1, count))
        count[om >= 1.0] = -2                         # x_a independent of the others: no integral
    else:
        count = np.full(n, n2)
    integral = np.zeros(n)
    for m in np.unique(count[count > -2]):
        group = np.flatnonzero(count == m)
        for start in range(0, group.size, CHUNK):        # bounded temporaries (n, 3, nodes)
            sel = group[start:start + CHUNK]
            u, wt = _nodes(delta[sel], m)
            low = (u * (2.0 - u))[:, None, :]                   # 1 - t^2 without cancellation
            tau = 1.0 - low
            r2 = low + tau * sin2[sel, :, None]                 # 1 - t^2 rho_ak^2
            N = aij[sel, :, None] * r2 - tau * bb[sel, :, None]
            X = np.sqrt(d3[sel, None, None] * (low + tau * om[sel, None, None]) * r2)
            f = np.sum(rho[sel, :, None] / np.sqrt(r2) * atan2(N, X), axis=1)
            integral[sel] = np.sum(wt * f, axis=1)
    return base + integral / (4 * np.pi**2)

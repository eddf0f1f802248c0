"""The exact order-parameter sampler's step loop compiled with numba: many SGD steps of S seeds in one
call, for every model, normaliser, activation and network option of :mod:`symbn.numeric.sgd.rules`.

Same algorithm and the same random numbers as :class:`symbn.numeric.sgd.sampler.OrderEngine.step`
(whose NumPy code stays the reference: the two agree to round-off, ``tests/test_compiled_sampler.py``),
one step per seed being

    L L^T = Gamma,  proj = z L^T,  (c, d, dg, dbeta, dw) = the rule on proj (rules.coefficients),
    c^T G c = (c^T z)(c^T z)^T + tau (F A)(F A)^T,   Gamma' = gram_update(Gamma, proj, c, d, c^T G c),

with the draws z, A (Bartlett or Gaussian), the label noise pre-drawn per block of steps. What the
loop saves is NumPy's per-call overhead (~40 calls of ~1 us per step for one seed): the cost per
step becomes that of the arithmetic, O(b (K+M)^2 + K^3).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

ACTIVATIONS = {"erf": 0, "linear": 1, "relu": 2}
"""Activation codes of the loop (phi, phi' of :mod:`symbn.numeric.kernels.activations`)."""
BLAS_BATCH = 16
"""Batch size from which the loop's b-long products (z L^T, c^T z, proj^T c, c^T c) go to BLAS: at
b = 100, K = M = 5 a step of one seed, random numbers included, takes 43 us instead of 59; below
~16 the call overhead outweighs the loop."""
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)


@njit(inline="always", cache=True)
def phi(x, act):
    if act == 0:
        return math.erf(x * INV_SQRT_2)
    if act == 1:
        return x
    return x if x > 0.0 else 0.0


@njit(inline="always", cache=True)
def dphi(x, act):
    if act == 0:
        return SQRT_2_OVER_PI * math.exp(-0.5 * x * x)
    if act == 1:
        return 1.0
    return 1.0 if x > 0.0 else 0.0


@njit(inline="always", cache=True)
def cross(A, B, out):
    """out[i, j] = sum_u A[u, i] B[u, j], i.e. A^T B for the loop's small matrices (summed in u order)."""
    for i in range(A.shape[1]):
        for j in range(B.shape[1]):
            acc = 0.0
            for u in range(A.shape[0]):
                acc += A[u, i] * B[u, j]
            out[i, j] = acc


@njit(inline="always", cache=True)
def cholesky(G, L, tol, semidefinite):
    """Cholesky into L; a pivot <= tol G_jj stops it (False), or with ``semidefinite`` gives a zero column."""
    L[:] = 0.0
    for j in range(G.shape[0]):
        s = G[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > tol * G[j, j]:
            if not semidefinite:
                return False
            continue
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, G.shape[0]):
            t = G[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / L[j, j]
    return True


@njit(inline="always", cache=True)
def product(A, B, out, blas):
    """out = A^T B: by BLAS (A^T and B contiguous) for large batches, else :func:`cross`."""
    if blas:
        np.dot(A.T, B, out)
    else:
        cross(A, B, out)


@njit(cache=True)
def psd_factor(G, L, tol):
    """L (overwritten) with L L^T = G: Cholesky, or where a pivot is <= tol G_jj the semidefinite
    Cholesky with such pivots as zero columns (:func:`symbn.numeric.sgd.sampler.psd_factor`)."""
    if not cholesky(G, L, tol, False):
        cholesky(G, L, tol, True)


@njit(inline="always", cache=True)
def factor(c, ctc, F, A, FA, tol, blas):
    """FA = F A with F F^T = c^T c: F = c^T for b <= K, else the factor of c^T c (into F)."""
    if c.shape[0] <= c.shape[1]:
        cross(c, A, FA)
    else:
        product(c, c, ctc, blas)
        psd_factor(ctc, F, tol)
        cross(F.T, A, FA)


@njit(cache=True)
def steps(G, g, beta, w, v, z, label, chi, off, gauss, rows, cols, K, tau, eta, kappa, lr, lr_w, decay_w, normalized,
          project, centered, population, act, learn_w, n_wishart, tol, marks, G_at, g_at, beta_at, w_at):
    """Advance G (S, r, r), g, beta, w (S, K) by z.shape[1] steps in place.

    z (S, n, b, r) scaled batch coordinates; label (S, n, b) output noise (n = 0: none); chi (S, n, k),
    off (S, n, k(k-1)/2) Bartlett draws, or gauss (S, n, k, m) Gaussian factors (k = min(b, K));
    rows/cols the strict lower triangle's indices; n_wishart = N - r; lr = eta / N, lr_w = eta_w / N,
    decay_w = kappa / N (a learned w's rate and decay per step); tol the semidefinite Cholesky's pivot
    tolerance (:data:`symbn.numeric.sgd.sampler.PIVOT_TOL`); after step index marks[j] (increasing) G, g, beta,
    w are copied into G_at[:, j], g_at[:, j], beta_at[:, j], w_at[:, j]."""
    S, n, b, r = z.shape
    M = r - K
    k = min(b, K)
    bartlett = chi.shape[2] > 0
    proj = np.empty((b, r))
    h = np.empty((b, K))
    xhat = np.empty((b, K))
    ph = np.empty((b, K))
    c = np.empty((b, K))
    d = np.zeros(K)
    dg = np.zeros(K)
    dbeta = np.zeros(K)
    dw = np.zeros(K)
    sd = np.ones(K)
    delta = np.empty(b)
    cz = np.empty((K, r))
    cGc = np.empty((K, K))
    A = np.zeros((k, k))
    FAAF = np.empty((K, K))
    L = np.empty((r, r))
    PtC = np.empty((r, K))
    blas = b >= BLAS_BATCH
    ctc = np.empty((K, K))
    F = np.empty((K, K))
    FA = np.empty((K, k if bartlett else gauss.shape[3]))
    mark = 0
    for t in range(n):
        for s in range(S):
            Gs = G[s]
            psd_factor(Gs, L, tol)
            zz = z[s, t]
            product(zz.T, L.T, proj, blas)                      # proj = z L^T
            # the forward map
            for i in range(K):
                if not normalized:
                    sd[i] = 1.0
                    for u in range(b):
                        xhat[u, i] = proj[u, i]
                        h[u, i] = proj[u, i]
                    continue
                mu = 0.0
                if centered and not population:
                    for u in range(b):
                        mu += proj[u, i]
                    mu /= b
                if population:
                    sd[i] = math.sqrt(tau * Gs[i, i])
                else:
                    acc = 0.0
                    for u in range(b):
                        acc += (proj[u, i] - mu) ** 2
                    sd[i] = math.sqrt(acc / b)
                for u in range(b):
                    xhat[u, i] = (proj[u, i] - mu) / sd[i]
                    h[u, i] = g[s, i] * xhat[u, i] + (beta[s, i] if centered else 0.0)
            # the error and the rule's coefficients
            for u in range(b):
                teacher = 0.0
                for m in range(M):
                    teacher += v[m] * phi(proj[u, K + m], act)
                student = 0.0
                for i in range(K):
                    ph[u, i] = phi(h[u, i], act)
                    student += w[s, i] * ph[u, i]
                delta[u] = (teacher - student + (label[s, t, u] if label.shape[1] else 0.0)) / b
            for i in range(K):
                dw[i] = 0.0
                dg[i] = 0.0
                dbeta[i] = 0.0
                for u in range(b):
                    c[u, i] = dphi(h[u, i], act) * delta[u] * w[s, i]
                    dw[i] += ph[u, i] * delta[u]
                    dg[i] += c[u, i] * xhat[u, i]
                    dbeta[i] += c[u, i]
                d[i] = 0.0
                if normalized:
                    if project and not population:
                        for u in range(b):
                            c[u, i] -= xhat[u, i] * dg[i] / b + (dbeta[i] / b if centered else 0.0)
                    elif project:
                        d[i] = -g[s, i] * dg[i] / Gs[i, i]
                    for u in range(b):
                        c[u, i] *= g[s, i] / sd[i]
                d[i] -= kappa / eta
            # c^T G c = (c^T z)(c^T z)^T + tau (F A)(F A)^T
            product(c, zz, cz, blas)
            cross(cz.T, cz.T, cGc)
            if n_wishart > 0:
                if bartlett:
                    for a in range(k):
                        for e in range(k):
                            A[a, e] = 0.0
                        A[a, a] = math.sqrt(chi[s, t, a])
                    for q in range(rows.size):
                        A[rows[q], cols[q]] = off[s, t, q]
                    factor(c, ctc, F, A, FA, tol, blas)
                else:
                    factor(c, ctc, F, gauss[s, t], FA, tol, blas)
                cross(FA.T, FA.T, FAAF)
                for i in range(K):
                    for j in range(K):
                        cGc[i, j] += tau * FAAF[i, j]
            # Gamma' (sampler.gram_update)
            product(proj, c, PtC, blas)                         # [X^T c; (c^T Y)^T]
            for i in range(K):
                Di = 1.0 + lr * d[i]
                for j in range(K):
                    PtC[i, j] *= Di                             # D X^T c
                for m in range(M):
                    Gs[i, K + m] = Di * Gs[i, K + m] + lr * PtC[K + m, i]
                    Gs[K + m, i] = Gs[i, K + m]
            for i in range(K):
                for j in range(i, K):
                    q = ((1.0 + lr * d[i]) * Gs[i, j] * (1.0 + lr * d[j]) + lr * (PtC[i, j] + PtC[j, i])
                         + lr * lr * 0.5 * (cGc[i, j] + cGc[j, i]))
                    Gs[i, j] = q
                    Gs[j, i] = q
            # gains, bias, second layer (engines.Engine.apply_gains)
            for i in range(K):
                if normalized:
                    g[s, i] += lr * dg[i]
                if centered:
                    beta[s, i] += lr * dbeta[i]
                if learn_w:
                    w[s, i] += lr_w * dw[i] - decay_w * w[s, i]
        if mark < marks.size and marks[mark] == t:
            G_at[:, mark] = G
            g_at[:, mark] = g
            beta_at[:, mark] = beta
            w_at[:, mark] = w
            mark += 1

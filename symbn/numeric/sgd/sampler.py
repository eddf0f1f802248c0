"""Exact finite-N SGD in order-parameter space (``method="order"``): cost per step independent of N.

State: the Gram matrix Gamma = V V^T of V = [J; B] ((K+M) x N), i.e. [[Q, R], [R^T, T]],
plus the gains g (and bias beta). With e_1..e_r an orthonormal basis of span(V)
(r = K+M, Gamma = L L^T, V = L E), a batch input splits as xi^u = z_u E + rem_u with

  z_u ~ N(0, tau I_r)                   (coordinates in span(V); projections V xi^u = L z_u),
  rem_u ~ N(0, tau P_perp) independent  (so W = [rem_u . rem_v] ~ Wishart_b(N - r, tau I)).

Every model's update is J' = D J + (eta/N) c^T xi with D = diag(1 + (eta/N) d) and c (b x K),
d depending only on the projections (:func:`symbn.numeric.sgd.rules.coefficients`). Hence
(:func:`gram_update`), with X = J xi^T, Y = B xi^T (the projections) and lr = eta/N,

  Q' = D Q D + lr [D X^T c + (D X^T c)^T] + lr^2 c^T G c,   R' = D R + lr c^T Y,   T' = T,

where G = xi xi^T = z z^T + W is the batch Gram matrix. Only c^T W c is needed, and given c
it is Wishart_K(N - r, tau c^T c) (W is independent of z), sampled as tau F A A^T F^T with
F F^T = c^T c and A A^T ~ Wishart_K'(N - r, I), K' = min(b, K): F = c^T if b <= K (then
A A^T is W/tau itself), else F = Cholesky(c^T c) (Bartlett: A lower triangular,
A_ii^2 ~ chi2(N - r - i), A_ij ~ N(0, 1) below the diagonal; Gaussian K' x (N - r) if N - r < K').
Random numbers per step: b r + K'(K'+1)/2, independent of N. Needs N >= K + M.
"""
from __future__ import annotations

import importlib.util
import math

import numpy as np

from symbn.errors import ParameterError
from symbn.numeric.sgd.engines import Engine
from symbn.numeric.sgd.noise import Noise


def gram_update(G, proj, u, cGc, K, lr):
    """Gram matrix after J' = D J + lr c^T xi (module docstring); G (S, r, r), proj (S, b, r).

    ``u`` is the :class:`~symbn.numeric.sgd.rules.Update`, ``cGc`` = c^T (xi xi^T) c (S, K, K).
    """
    X, Y = proj[..., :K], proj[..., K:]
    ct = u.c.swapaxes(-1, -2)
    A = (ct @ X).swapaxes(-1, -2)  # X^T c
    Q = G[..., :K, :K]
    R = G[..., :K, K:]
    if u.d is not None:
        D = 1 + lr * u.d
        A = D[..., :, None] * A
        Q = D[..., :, None] * Q * D[..., None, :]
        R = D[..., :, None] * R
    Q = Q + lr * (A + A.swapaxes(-1, -2)) + (lr * lr) * cGc
    R = R + lr * (ct @ Y)
    out = G.copy()
    out[..., :K, :K] = 0.5 * (Q + Q.swapaxes(-1, -2))
    out[..., :K, K:] = R
    out[..., K:, :K] = R.swapaxes(-1, -2)
    return out


PIVOT_TOL = 1e-13
"""Semidefinite Cholesky: a pivot at most PIVOT_TOL G_jj counts as zero (its column of L is zero).
L L^T then misses G by at most PIVOT_TOL G_jj, and no entry of L is a round-off residue divided by
the square root of a round-off pivot (which a pivot of ~1e-30 would make O(1e-7)). The price: a
weight direction outside the span of the others with squared norm below PIVOT_TOL G_jj is not
seen by the inputs, so a converging run settles at eps_g ~ 1e-14 (K = M = 1: 1.7e-14) instead of
its round-off floor. Choosing it: before this, a singular Gamma (every run that converges) took
an eigen-decomposition per step, 4x the cost of the whole step (vanilla, K = 2, b = 1)."""


def semidefinite_cholesky(G):
    """L lower triangular with L L^T = G for one positive semidefinite G (r, r): column by column,
    L_jj = sqrt(s_j), L_ij = (G_ij - L_i,<j . L_j,<j) / L_jj with s_j = G_jj - |L_j,<j|^2, and a zero
    column where s_j <= PIVOT_TOL G_jj (the direction is already spanned). Any L with L L^T = G is
    V's coordinates in an orthonormal basis of an r-dimensional space containing span(V), which is
    all the sampler needs (module docstring)."""
    r = G.shape[0]
    L = np.zeros_like(G)
    for j in range(r):
        s = G[j, j] - L[j, :j] @ L[j, :j]
        if s > PIVOT_TOL * G[j, j]:
            L[j, j] = math.sqrt(s)
            L[j + 1:, j] = (G[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return L


def psd_factor(G):
    """L with L L^T = G ((..., r, r)): Cholesky, or for a matrix with a pivot at most PIVOT_TOL G_jj
    (G singular to round-off, e.g. a student that has learned its teacher) :func:`semidefinite_cholesky`."""
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:
        L = None
    d = np.diagonal(G, axis1=-2, axis2=-1)
    bad = np.ones(d.shape[:-1], bool) if L is None else np.any(
        np.diagonal(L, axis1=-2, axis2=-1) ** 2 <= PIVOT_TOL * d, axis=-1)
    if not np.any(bad):
        return L
    flat = G.reshape((-1,) + G.shape[-2:])
    out = np.empty(flat.shape) if L is None else L.reshape(flat.shape)
    for s in np.flatnonzero(bad.ravel()):          # the others keep LAPACK's factor
        try:
            out[s] = np.linalg.cholesky(flat[s])
            if np.any(np.diagonal(out[s]) ** 2 <= PIVOT_TOL * np.diagonal(flat[s])):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            out[s] = semidefinite_cholesky(flat[s])
    return out.reshape(G.shape)


class WishartFactor:
    """Per step a factor A (S, k, m) with A A^T ~ Wishart_k(n, I) (Bartlett if n >= k, else Gaussian k x n)."""

    def __init__(self, k, n, normal_rngs, chi_rngs):
        self.k, self.n = k, n
        self.bartlett = n >= k
        if self.bartlett:
            self.rows, self.cols = np.tril_indices(k, -1)
            self.off = Noise(normal_rngs, (len(self.rows),)) if len(self.rows) else None
            self.chi = Noise(chi_rngs, (k,), kind="chisquare", df=n - np.arange(k))
        else:
            self.gauss = Noise(normal_rngs, (k, n)) if n else None

    def next(self):
        if not self.bartlett:
            if self.gauss is None:
                return None
            return self.gauss.next()
        chi = self.chi.next()
        A = np.zeros(chi.shape + (self.k,))
        i = np.arange(self.k)
        A[:, i, i] = np.sqrt(chi)
        if self.off is not None:
            A[:, self.rows, self.cols] = self.off.next()
        return A


class OrderEngine(Engine):
    """Exact sampler of (Gamma, g, beta) over S seeds; see the module docstring."""

    def __init__(self, model, normalizer, G, N, K, tau, eta, b, g, beta, train_rngs, test_rngs, normal_rngs,
                 chi_rngs, fast=None, **kw):
        """G (S, K+M, K+M) initial Gram matrices; one Generator per seed for batches, test sets,
        Wishart normals and Wishart chi-squares; ``fast``: :meth:`advance` by the compiled loop
        (:mod:`symbn.numeric.sgd.compiled`; default when numba is installed), else by
        :meth:`step`, the NumPy reference; ``kw``: :class:`~symbn.numeric.sgd.engines.Engine`'s
        training, second layers and output-noise generators."""
        S, r, _ = G.shape
        if N < r:
            raise ParameterError(f"method='order' needs N >= K + M = {r}, got N={N}")
        super().__init__(model, normalizer, N, K, r - K, tau, eta, b, g, beta, **kw)
        self.G = np.array(G, dtype=float)
        self.z = Noise(train_rngs, (b, r), scale=math.sqrt(tau))
        self.wishart = WishartFactor(min(b, K), N - r, normal_rngs, chi_rngs)
        self.test_rngs = test_rngs
        self.fast = importlib.util.find_spec("numba") is not None if fast is None else bool(fast)

    def gram(self):
        return self.G.copy()

    def keep(self, mask):
        self.G = self.G[super().keep(mask)]

    def noises(self):
        w = self.wishart
        return [n for n in (self.z, self.label, getattr(w, "off", None), getattr(w, "chi", None),
                            getattr(w, "gauss", None)) if n is not None]

    def step(self):
        """One exact SGD step in order-parameter space (module docstring)."""
        L = psd_factor(self.G)
        z = self.z.next()
        proj = z @ L.swapaxes(-1, -2)
        u = self.rule(proj, self.population_norms())
        ct = u.c.swapaxes(-1, -2)
        cz = ct @ z
        cGc = cz @ cz.swapaxes(-1, -2)
        A = self.wishart.next()
        if A is not None:
            # F F^T = c^T c: F = c^T (K x b) if b <= K, else a Cholesky-type factor of c^T c.
            FA = (ct if self.b <= self.K else psd_factor(ct @ u.c)) @ A
            cGc += self.tau * (FA @ FA.swapaxes(-1, -2))
        self.G = gram_update(self.G, proj, u, cGc, self.K, self.lr)
        self.apply_gains(u)

    def advance(self, n, marks=()):
        """``n`` steps: the compiled loop on the next ``n`` steps' draws (the numbers ``step`` would
        use), or ``step`` ``n`` times without numba; frames after the steps ``marks`` (Engine.advance)."""
        if not self.fast:
            return super().advance(n, marks)
        from symbn.numeric.sgd import compiled as compiled_sampler

        S, K, b, w = self.G.shape[0], self.K, self.b, self.wishart
        none = np.empty((S, n, 0))
        take = lambda noise, absent: absent if noise is None else np.ascontiguousarray(noise.take(n))  # noqa: E731
        k = min(b, K)
        if w.bartlett:
            chi, off, gauss, rows, cols = take(w.chi, none), take(w.off, none), np.empty((S, n, k, 0)), w.rows, w.cols
        else:
            chi, off, rows, cols = none, none, np.empty(0, np.int64), np.empty(0, np.int64)
            gauss = take(w.gauss, np.empty((S, n, k, 0)))
        marks = np.asarray(marks, dtype=np.int64)
        out = (np.empty((S, marks.size) + self.G.shape[1:]),) + tuple(np.empty((S, marks.size, K)) for _ in range(3))
        t = self.training
        compiled_sampler.steps(
            self.G, self.g, self.beta, self.w, np.ascontiguousarray(self.v, dtype=float), take(self.z, None),
            take(self.label, np.empty((S, 0, b))), chi, off, gauss, rows.astype(np.int64), cols.astype(np.int64),
            K, self.tau, self.eta, t.weight_decay, self.lr, t.eta_w / self.N, t.weight_decay / self.N,
            self.model.normalized, self.model.project, self.model.centered, self.normalizer == "population",
            compiled_sampler.ACTIVATIONS[t.activation], t.eta_w > 0, self.N - self.G.shape[1], PIVOT_TOL, marks, *out)
        return [tuple(a[:, j] for a in out) for j in range(marks.size)]

    def test_error(self, P):
        """Test-set eps_g on P fresh inputs per seed, sampled through their projections L z."""
        L = psd_factor(self.G)
        z = np.stack([rng.standard_normal((P, L.shape[-1])) for rng in self.test_rngs]) * math.sqrt(self.tau)
        return self.test_loss(z @ np.swapaxes(L, -1, -2), self.population_norms())

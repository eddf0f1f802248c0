"""Simulation engines: the state of S seeds and one SGD step of it.

An engine holds the gains g (S, K), biases beta (S, K) and its own representation of the
weights; ``step()`` applies one update of :func:`symbn.numeric.rules.coefficients`,
``gram()`` returns the Gram matrices [[Q, R], [R^T, T]] (S, K+M, K+M). Two engines:
:class:`DirectEngine` here (weights as N-vectors, the reference) and
:class:`symbn.numeric.sampler.OrderEngine` (the exact order-parameter sampler).
"""
from __future__ import annotations

import math

import numpy as np

from symbn.numeric.noise import Noise
from symbn.numeric.rules import coefficients


class Engine:
    """Shared state handling: gains g (S, K), bias beta (S, K), the model and parameters."""

    def __init__(self, model, normalizer, N, K, M, tau, eta, b, g, beta):
        self.model, self.normalizer = model, normalizer
        self.N, self.K, self.M, self.tau, self.eta, self.b = N, K, M, tau, eta, b
        self.lr = eta / N
        self.g = np.array(g, dtype=float)
        self.beta = np.array(beta, dtype=float)

    def noises(self):
        return [v for v in vars(self).values() if isinstance(v, Noise)]

    def limit(self, steps):
        """Prefetch at most ``steps`` steps of random numbers."""
        for n in self.noises():
            n.limit(steps)

    def apply_gains(self, u):
        """g <- g + (eta/N) dg, beta <- beta + (eta/N) dbeta (where the rule has them)."""
        if u.dg is not None:
            self.g += self.lr * u.dg
        if u.dbeta is not None:
            self.beta += self.lr * u.dbeta

    def test_loss(self, proj, qdiag):
        """Mean of (t - s)^2/2 over test projections proj (S, P, K+M), in groups of b for batch BN."""
        S, P, r = proj.shape
        group = self.b if (self.model.normalized and self.normalizer == "batch") else P
        proj = proj.reshape(S, P // group, group, r)
        qd = None if qdiag is None else qdiag[:, None, :]
        u = coefficients(self.model, self.normalizer, proj, self.K, self.g[:, None, :],
                         self.beta[:, None, :], qd, self.tau)
        return u.loss.mean(axis=-1)

    def population_norms(self):
        """|J_i|^2 (S, K) when the population normaliser needs it, else None."""
        if self.model.normalized and self.normalizer == "population":
            return np.diagonal(self.gram(), axis1=-2, axis2=-1)[..., : self.K].copy()
        return None


class DirectEngine(Engine):
    """Direct simulation: weights V = [J; B] (S, K+M, N) as N-vectors, vectorised over seeds."""

    def __init__(self, model, normalizer, V, tau, eta, b, g, beta, K, train_rngs, test_rngs=None):
        S, r, N = V.shape
        super().__init__(model, normalizer, N, K, r - K, tau, eta, b, g, beta)
        self.V = np.array(V, dtype=float)
        self.noise = Noise(train_rngs, (b, N), scale=math.sqrt(tau))
        self.test_rngs = test_rngs

    @property
    def J(self):
        return self.V[:, : self.K]

    def gram(self):
        return np.matmul(self.V, np.swapaxes(self.V, -1, -2))

    def population_norms(self):
        if self.model.normalized and self.normalizer == "population":
            return np.einsum("skn,skn->sk", self.J, self.J)
        return None

    def step(self):
        """J_i <- J_i + (eta/N) [sum_u c_ui xi^u + d_i J_i] on a fresh batch xi (S, b, N)."""
        xi = self.noise.next()
        proj = xi @ self.V.swapaxes(-1, -2)
        u = coefficients(self.model, self.normalizer, proj, self.K, self.g, self.beta,
                         self.population_norms(), self.tau)
        dJ = u.c.swapaxes(-1, -2) @ xi
        if u.d is not None:
            dJ += u.d[..., None] * self.J
        self.V[:, : self.K] += self.lr * dJ
        self.apply_gains(u)

    def test_error(self, P, chunk=1 << 21):
        """Test-set eps_g of the actual network on P fresh inputs per seed (drawn in chunks)."""
        S, r, N = self.V.shape
        rows = max(1, chunk // N)
        if self.model.normalized and self.normalizer == "batch":
            rows = max(self.b, rows - rows % self.b)
        proj = np.empty((S, P, r))
        for s, rng in enumerate(self.test_rngs):
            for lo in range(0, P, rows):
                hi = min(P, lo + rows)
                xi = rng.standard_normal((hi - lo, N)) * math.sqrt(self.tau)
                proj[s, lo:hi] = xi @ self.V[s].T
        return self.test_loss(proj, self.population_norms())

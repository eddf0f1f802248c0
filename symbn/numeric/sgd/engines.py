"""Simulation engines: the state of S seeds and one SGD step of it.

An engine holds the gains g (S, K), biases beta (S, K), the student's second layer w (S, K)
and the teacher's v (M,), and its own representation of the first-layer weights; ``step()``
applies one update of :func:`symbn.numeric.sgd.rules.coefficients` (weight decay folded into the
J_i coefficient d_i), ``gram()`` returns the Gram matrices [[Q, R], [R^T, T]] (S, K+M, K+M).
Two engines: :class:`DirectEngine` here (weights as N-vectors, the reference) and
:class:`symbn.numeric.sgd.sampler.OrderEngine` (the exact order-parameter sampler).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symbn.numeric.sgd.noise import Noise
from symbn.numeric.sgd.rules import Update, coefficients


@dataclass(frozen=True)
class Training:
    """What the update needs besides the model: activation, second-layer rate eta_w (0: w fixed),
    output-noise sd sigma, weight decay kappa (per unit time: (kappa / N) per step)."""

    activation: str = "erf"
    eta_w: float = 0.0
    noise: float = 0.0
    weight_decay: float = 0.0


class Engine:
    """Shared state handling: gains, bias, second layers; the update rule with decay and noise."""

    def __init__(self, model, normalizer, N, K, M, tau, eta, b, g, beta, training=Training(), w=None, v=None,
                 label_rngs=None):
        self.model, self.normalizer, self.training = model, normalizer, training
        self.N, self.K, self.M, self.tau, self.eta, self.b = N, K, M, tau, eta, b
        self.lr = eta / N
        self.g = np.array(g, dtype=float)
        self.beta = np.array(beta, dtype=float)
        self.w = np.ones_like(self.g) if w is None else np.array(w, dtype=float, order="C")  # one compiled signature
        self.v = np.ones(M) if v is None else np.array(v, dtype=float)
        self.label = Noise(label_rngs, (b,), scale=training.noise) if training.noise else None
        self.test_rngs = None            # per-seed generators of test sets (set by an engine that has them)

    def noises(self):
        return [v for v in vars(self).values() if isinstance(v, Noise)]

    def frame(self):
        """Copies of (Gram matrix, g, beta, w): the state a record keeps."""
        return self.gram(), self.g.copy(), self.beta.copy(), self.w.copy()

    def advance(self, n, marks=()):
        """``n`` SGD steps; returns :meth:`frame` after each step index in ``marks`` (0-based,
        increasing). An engine with a compiled loop overrides this."""
        frames, marks = [], set(int(m) for m in marks)
        for t in range(n):
            self.step()
            if t in marks:
                frames.append(self.frame())
        return frames

    def keep(self, mask):
        """Drop the seeds where ``mask`` (S,) is False; the others go on with the numbers they would
        have drawn anyway (per-seed streams). Subclasses drop their own per-seed state too."""
        mask = np.asarray(mask, dtype=bool)
        self.g, self.beta, self.w = self.g[mask], self.beta[mask], self.w[mask]
        for n in self.noises():
            n.keep(mask)
        if self.test_rngs is not None:
            self.test_rngs = [rng for rng, k in zip(self.test_rngs, mask) if k]
        return mask

    def limit(self, steps):
        """Prefetch at most ``steps`` steps of random numbers."""
        for n in self.noises():
            n.limit(steps)

    def rule(self, proj, qdiag):
        """The Update of one step on projections proj (S, b, K+M): output noise drawn, weight
        decay folded in (d_i -= kappa / eta, so J_i gains -(kappa / N) J_i)."""
        t = self.training
        u = coefficients(self.model, self.normalizer, proj, self.K, self.g, self.beta, qdiag, self.tau,
                         activation=t.activation, w=self.w, v=self.v,
                         noise=None if self.label is None else self.label.next(), learn_w=t.eta_w > 0)
        if t.weight_decay:
            decay = np.full(self.g.shape, -t.weight_decay / self.eta)
            u = u._replace(d=decay if u.d is None else u.d + decay)
        return u

    def apply_gains(self, u: Update):
        """g, beta, w moved by their rates (and w decayed) after the J update."""
        if u.dg is not None:
            self.g += self.lr * u.dg
        if u.dbeta is not None:
            self.beta += self.lr * u.dbeta
        if u.dw is not None:
            self.w += (self.training.eta_w / self.N) * u.dw - (self.training.weight_decay / self.N) * self.w

    def test_loss(self, proj, qdiag):
        """Mean of (t - s)^2/2 over test projections proj (S, P, K+M) (noiseless teacher), in
        groups of b for batch BN."""
        S, P, r = proj.shape
        group = self.b if (self.model.normalized and self.normalizer == "batch") else P
        proj = proj.reshape(S, P // group, group, r)
        qd = None if qdiag is None else qdiag[:, None, :]
        u = coefficients(self.model, self.normalizer, proj, self.K, self.g[:, None, :], self.beta[:, None, :],
                         qd, self.tau, activation=self.training.activation, w=self.w[:, None, :], v=self.v)
        return u.loss.mean(axis=-1)

    def population_norms(self):
        """|J_i|^2 (S, K) when the population normaliser needs it, else None."""
        if self.model.normalized and self.normalizer == "population":
            return np.diagonal(self.gram(), axis1=-2, axis2=-1)[..., : self.K].copy()
        return None


class DirectEngine(Engine):
    """Direct simulation: weights V = [J; B] (S, K+M, N) as N-vectors, vectorised over seeds."""

    def __init__(self, model, normalizer, V, tau, eta, b, g, beta, K, train_rngs, test_rngs=None, **kw):
        S, r, N = V.shape
        super().__init__(model, normalizer, N, K, r - K, tau, eta, b, g, beta, **kw)
        self.V = np.array(V, dtype=float)
        self.noise = Noise(train_rngs, (b, N), scale=math.sqrt(tau))
        self.test_rngs = test_rngs

    def keep(self, mask):
        self.V = self.V[super().keep(mask)]

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
        u = self.rule(proj, self.population_norms())
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

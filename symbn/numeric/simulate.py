"""Online mini-batch SGD of soft committee machines: direct N-dimensional simulation.

Teacher ``B`` (M x N), student ``J`` (K x N), weights iid N(0, 1/N); inputs
xi in R^N iid N(0, tau); phi(x) = erf(x / sqrt 2); second layer fixed to 1.
Teacher t = sum_n phi(y_n), y_n = B_n . xi; student s = sum_i phi(h_i) with
x_i = J_i . xi and, per model,

====================  ===========================================================
``vanilla``           h_i = x_i
``bn-paper``          h_i = g_i x_i / sd_i; the paper's rule (Eqs. 2-3): the
                      normaliser sd_i is treated as a constant in the gradient
``bn-exact``          h_i = g_i x_i / sd_i; exact gradient through sd_i
``bn-full``           h_i = g_i (x_i - mu_i) / sd_i + beta_i (usual BN layer:
                      centring, gain, bias); exact gradient
====================  ===========================================================

Normaliser (BN models): ``"batch"`` uses the mini-batch statistics,
mu_i = mean_u x_i^u and sd_i = sqrt(mean_u (x_i^u - mu_i)^2) (mu_i = 0 except for
``bn-full``); ``"population"`` uses the large-b limit mu_i = 0,
sd_i = sqrt(tau Q_ii) = sqrt(tau) |J_i| (the limit the ODEs describe).

Degenerate batch statistics (allowed, but J does not learn): bn-exact/bn-paper with the
batch normaliser and b = 1 give h_i = g_i sign(x_i) (bn-exact's J-gradient is exactly 0;
bn-paper's update is not a gradient of anything then), and bn-full with b = 2 gives
centred xhat = +-1, so its J-gradient is 0. bn-full with b = 1 is rejected (sd = 0).

One SGD step on a fresh batch of b inputs: loss L = (1/b) sum_u (t_u - s_u)^2 / 2,
J <- J - (eta/N) dL/dJ, g <- g - (eta/N) dL/dg, beta <- beta - (eta/N) dL/dbeta;
one step is dt = 1/N of ODE time, alpha = steps / N.

Every update has the form (:func:`coefficients`)
    J_i <- J_i + (eta/N) [ sum_u c_ui xi^u + d_i J_i ]
with c, d depending only on the projections (x, y) of the batch, which is what
makes the exact order-parameter sampler (:mod:`symbn.numeric.sampler`) possible.

Recorded ``eps_g`` is the population error from the order parameters
(:func:`population_eps_g`). For BN models this is the *large-b form*: the network
evaluated with population statistics (mu = 0, sd = sqrt(tau Q_ii)), i.e. BN in
inference mode, whatever normaliser was used for training. The optional
test-set estimate instead evaluates the actual network as trained (batch
normaliser: on test batches of size b).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from symbn.numeric.orderparams import eps_g as _eps_g_orderparams
from symbn.validate import ParameterError, count, model as _check_model, positive

MODELS = ("vanilla", "bn-paper", "bn-exact", "bn-full")
NORMALIZERS = ("batch", "population")
METHODS = ("direct", "order")

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def phi(x):
    """phi(x) = erf(x / sqrt 2) = 2 Phi(x) - 1 (ndtr is about twice as fast as erf)."""
    return 2.0 * ndtr(x) - 1.0


def dphi(x):
    """phi'(x) = sqrt(2/pi) exp(-x^2/2)."""
    return _SQRT_2_OVER_PI * np.exp(-0.5 * x * x)


class Spec(NamedTuple):
    """What distinguishes the models: normalised?, exact gradient?, centring + bias?"""

    bn: bool
    exact: bool
    center: bool


SPECS = {
    "vanilla": Spec(bn=False, exact=True, center=False),
    "bn-paper": Spec(bn=True, exact=False, center=False),
    "bn-exact": Spec(bn=True, exact=True, center=False),
    "bn-full": Spec(bn=True, exact=True, center=True),
}


class Update(NamedTuple):
    """Negative batch-loss gradient: -dL/dJ_i = sum_u c[u, i] xi^u + d[i] J_i; -dL/dg = dg; -dL/dbeta = dbeta.

    For ``bn-paper`` (c, d, dg) is the paper's rule rather than a gradient.
    ``d``/``dg``/``dbeta`` are None when absent. ``loss`` is the batch loss.
    """

    c: np.ndarray
    d: np.ndarray | None
    dg: np.ndarray | None
    dbeta: np.ndarray | None
    loss: np.ndarray


def forward(spec, normalizer, x, g, beta, qdiag, tau):
    """Student pre-activations h (..., b, K) from projections x (..., b, K).

    h = x (vanilla) or h = g (x - mu)/sd [+ beta]; returns (h, xhat, sd) with
    xhat = (x - mu)/sd. ``g``, ``beta``, ``qdiag`` = |J_i|^2 have shape (..., K).
    """
    if not spec.bn:
        return x, x, None
    if normalizer == "population":
        sd = np.sqrt(tau * qdiag)[..., None, :]
        xc = x
    else:
        b = x.shape[-2]
        xc = x - x.sum(axis=-2, keepdims=True) * (1.0 / b) if spec.center else x
        sd = np.sqrt((xc * xc).sum(axis=-2, keepdims=True) * (1.0 / b))
    xhat = xc / sd
    h = g[..., None, :] * xhat
    if spec.center:
        h = h + beta[..., None, :]
    return h, xhat, sd


def coefficients(spec, normalizer, proj, K, g, beta, qdiag, tau):
    """The update of one SGD step as coefficients on the batch (see :class:`Update`).

    proj (..., b, K+M): columns x_i^u = J_i . xi^u then y_n^u = B_n . xi^u.
    With a_ui = delta_u phi'(h_ui) / b, delta = t - s (so a = -dL/dh):
      vanilla:              c = a
      bn (paper rule):      c = (g/sd) a                       dg = sum_u a xhat
      bn-exact, batch sd:   c = (g/sd) (a - xhat dg / b)       (dh/dx through sd)
      bn-full,  batch:      c = (g/sd) (a - dbeta/b - xhat dg / b),  dbeta = sum_u a
      exact, population sd: c = (g/sd) a,  d = -g dg / |J|^2   (sd = sqrt(tau)|J|)
    """
    x, y = proj[..., :K], proj[..., K:]
    h, xhat, sd = forward(spec, normalizer, x, g, beta, qdiag, tau)
    delta = phi(y).sum(axis=-1) - phi(h).sum(axis=-1)
    b = proj.shape[-2]
    loss = (0.5 / b) * (delta * delta).sum(axis=-1)
    a = dphi(h) * (delta * (1.0 / b))[..., :, None]
    if not spec.bn:
        return Update(a, None, None, None, loss)
    dg = (a * xhat).sum(axis=-2)
    dbeta = a.sum(axis=-2) if spec.center else None
    scale = g[..., None, :] / sd
    d = None
    if spec.exact and normalizer == "batch":
        a = a - xhat * (dg[..., None, :] / b)
        if spec.center:
            a = a - dbeta[..., None, :] / b
    elif spec.exact:
        d = -g * dg / qdiag
    return Update(scale * a, d, dg, dbeta, loss)


# --------------------------------------------------------------------------- population error

_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


def _pair_mean(Caa, Cbb, Cab, ma, mb):
    """E[phi(u + ma) phi(v + mb)] for (u, v) ~ N(0, [[Caa, Cab], [Cab, Cbb]]).

    = 4 Phi2(ha, hb; rho) - 2 Phi(ha) - 2 Phi(hb) + 1, ha = ma/sqrt(1+Caa),
    rho = Cab / sqrt((1+Caa)(1+Cbb)), with the bivariate normal CDF from Plackett's
    identity, Phi2 = Phi(ha)Phi(hb) + (1/2pi) int_0^asin(rho)
    exp(-(ha^2 - 2 ha hb sin t + hb^2) / (2 cos^2 t)) dt (64-point Gauss-Legendre).
    Reduces to (2/pi) asin(rho) at ma = mb = 0.
    """
    sa, sb = np.sqrt(1 + Caa), np.sqrt(1 + Cbb)
    ha, hb = ma / sa, mb / sb
    top = np.arcsin(np.clip(Cab / (sa * sb), -1.0, 1.0))
    t = 0.5 * top[..., None] * (_GL_X + 1)
    s, c2 = np.sin(t), np.cos(t) ** 2
    ha_, hb_ = ha[..., None], hb[..., None]
    integrand = np.exp(-(ha_ * ha_ - 2 * ha_ * hb_ * s + hb_ * hb_) / (2 * c2))
    integral = 0.5 * top * (integrand * _GL_W).sum(axis=-1) / (2 * np.pi)
    Pa, Pb = ndtr(ha), ndtr(hb)
    return 4 * (Pa * Pb + integral) - 2 * Pa - 2 * Pb + 1


def population_eps_g(model, Q, R, T, tau, g=None, beta=None):
    """Population eps_g = E[(t - s)^2]/2 from the order parameters (batch axes lead).

    vanilla: :func:`symbn.numeric.orderparams.eps_g` with g=None; bn-paper/bn-exact:
    the same with the gains (large-b form, sd_i = sqrt(tau Q_ii)); bn-full: with the
    bias beta as well, eps_g = (1/2) sum_pq w_p w_q E[phi(h_p + m_p) phi(h_q + m_q)]
    over (students, teachers), w = (-1.., +1..), m = (beta, 0), via :func:`_pair_mean`.
    """
    spec = SPECS[model]
    if not spec.bn:
        return _eps_g_orderparams(Q, R, T, tau)
    if not spec.center or beta is None or not np.any(beta):
        return _eps_g_orderparams(Q, R, T, tau, g)
    Q, R, T, g, beta = (np.asarray(a, dtype=float) for a in (Q, R, T, g, beta))
    scale = g / np.sqrt(np.diagonal(Q, axis1=-2, axis2=-1))
    Qp = scale[..., :, None] * Q * scale[..., None, :]
    Rp = math.sqrt(tau) * scale[..., :, None] * R
    C = np.concatenate([np.concatenate([Qp, Rp], -1),
                        np.concatenate([np.swapaxes(Rp, -1, -2), tau * T], -1)], -2)
    m = np.concatenate([beta, np.zeros(T.shape[:-1])], -1)
    w = np.concatenate([-np.ones(Q.shape[-1]), np.ones(T.shape[-1])])
    dC = np.diagonal(C, axis1=-2, axis2=-1)
    E = _pair_mean(dC[..., :, None], dC[..., None, :], C, m[..., :, None], m[..., None, :])
    return 0.5 * np.einsum("p,q,...pq->...", w, w, E)


# --------------------------------------------------------------------------- seeds and noise

def seed_streams(seed, index, n):
    """``n`` independent Generators for seed ``index``: children of SeedSequence(seed).spawn(index+1)[index].

    Seed k's run therefore does not depend on which or how many other seeds run with it.
    Children: 0 init weights, 1 training batches, 2 test sets, 3-4 auxiliary (order sampler's
    Wishart normals and chi-squares: one kind per stream, so blocking never interleaves kinds).
    """
    parent = np.random.SeedSequence(seed, spawn_key=(int(index),))
    return [np.random.default_rng(s) for s in parent.spawn(n)]


def init_weights(rng, N, K, M):
    """J (K x N) then B (M x N), iid N(0, 1/N) entries, drawn from ``rng``."""
    J = rng.standard_normal((K, N)) / math.sqrt(N)
    B = rng.standard_normal((M, N)) / math.sqrt(N)
    return J, B


class Noise:
    """Per-seed standard normals in blocks of steps: ``next()`` -> (S, *shape) for one step.

    Drawing a block of c steps from a Generator gives the same numbers as c single
    draws, so results do not depend on the block size (hence on the number of seeds).
    """

    BUDGET = 1 << 23  # floats held per block across all seeds (64 MB)

    def __init__(self, rngs, shape, scale=1.0, kind="normal", df=None, max_block=4096):
        self.rngs, self.shape, self.scale, self.kind, self.df = rngs, tuple(shape), scale, kind, df
        per = max(1, int(np.prod(self.shape)) * len(rngs))
        self.block = max(1, min(max_block, self.BUDGET // per))
        self.buf, self.pos = None, 0

    def limit(self, steps):
        """Never prefetch more than ``steps`` steps (block size does not change the numbers)."""
        if self.buf is None:
            self.block = max(1, min(self.block, int(steps)))

    def _fill(self):
        if self.buf is None:
            self.buf = np.empty((len(self.rngs), self.block) + self.shape)
        for s, rng in enumerate(self.rngs):
            if self.kind == "normal":
                rng.standard_normal(out=self.buf[s])
            else:
                self.buf[s] = rng.chisquare(self.df, size=(self.block,) + self.shape)
        if self.scale != 1.0:
            self.buf *= self.scale
        self.pos = 0

    def next(self):
        if self.buf is None or self.pos == self.block:
            self._fill()
        out = self.buf[:, self.pos]
        self.pos += 1
        return out


# --------------------------------------------------------------------------- engines

class _Engine:
    """Shared state handling: gains g (S, K), bias beta (S, K), the model and parameters."""

    def __init__(self, model, normalizer, N, K, M, tau, eta, b, g, beta):
        self.model, self.spec, self.normalizer = model, SPECS[model], normalizer
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

    def _apply_gains(self, u):
        if u.dg is not None:
            self.g += self.lr * u.dg
        if u.dbeta is not None:
            self.beta += self.lr * u.dbeta

    def _test_from_proj(self, proj, qdiag):
        """Mean of (t - s)^2/2 over test projections proj (S, P, K+M), in groups of b for batch BN."""
        S, P, r = proj.shape
        group = self.b if (self.spec.bn and self.normalizer == "batch") else P
        proj = proj.reshape(S, P // group, group, r)
        qd = None if qdiag is None else qdiag[:, None, :]
        u = coefficients(self.spec, self.normalizer, proj, self.K, self.g[:, None, :],
                         self.beta[:, None, :], qd, self.tau)
        return u.loss.mean(axis=-1)


class DirectEngine(_Engine):
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

    def _qdiag(self):
        if self.spec.bn and self.normalizer == "population":
            return np.einsum("skn,skn->sk", self.J, self.J)
        return None

    def step(self):
        """J_i <- J_i + (eta/N) [sum_u c_ui xi^u + d_i J_i] on a fresh batch xi (S, b, N)."""
        xi = self.noise.next()
        proj = xi @ self.V.swapaxes(-1, -2)
        u = coefficients(self.spec, self.normalizer, proj, self.K, self.g, self.beta, self._qdiag(), self.tau)
        dJ = u.c.swapaxes(-1, -2) @ xi
        if u.d is not None:
            dJ += u.d[..., None] * self.J
        self.V[:, : self.K] += self.lr * dJ
        self._apply_gains(u)

    def test_error(self, P, chunk=1 << 21):
        """Test-set eps_g of the actual network on P fresh inputs per seed (drawn in chunks)."""
        S, r, N = self.V.shape
        rows = max(1, chunk // N)
        if self.spec.bn and self.normalizer == "batch":
            rows = max(self.b, rows - rows % self.b)
        proj = np.empty((S, P, r))
        for s, rng in enumerate(self.test_rngs):
            for lo in range(0, P, rows):
                hi = min(P, lo + rows)
                xi = rng.standard_normal((hi - lo, N)) * math.sqrt(self.tau)
                proj[s, lo:hi] = xi @ self.V[s].T
        return self._test_from_proj(proj, self._qdiag())


# --------------------------------------------------------------------------- results

@dataclass
class Trajectory:
    """Recorded run. Arrays have a leading seeds axis S and a times axis (len(steps)).

    eps_g (S, times): population error from the order parameters (:func:`population_eps_g`);
    eps_test (S, times) or None: test-set estimate of the actual network;
    Q (S, times, K, K), R (S, times, K, M), T (S, times, M, M), g, beta (S, times, K);
    Q0, R0, T0, g0, beta0: the initial order parameters (S, ...).
    """

    model: str
    method: str
    normalizer: str
    N: int
    K: int
    M: int
    tau: float
    eta: float
    b: int
    seed: int
    seeds: np.ndarray
    steps: np.ndarray
    eps_g: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    T: np.ndarray
    g: np.ndarray
    beta: np.ndarray
    Q0: np.ndarray
    R0: np.ndarray
    T0: np.ndarray
    g0: np.ndarray
    beta0: np.ndarray
    eps_test: np.ndarray | None = None
    elapsed: float = field(default=0.0, compare=False)

    @property
    def alpha(self):
        """alpha = steps / N (ODE time)."""
        return self.steps / self.N

    def init_dict(self, seed=0):
        """Initial state of seed position ``seed`` as the ODE ``--init`` JSON dict (keys Q, R, T, g; beta for bn-full)."""
        d = {"Q": self.Q0[seed].tolist(), "R": self.R0[seed].tolist(), "T": self.T0[seed].tolist(),
             "g": self.g0[seed].tolist()}
        if SPECS[self.model].center:
            d["beta"] = self.beta0[seed].tolist()
        return d


# --------------------------------------------------------------------------- driver

class _Progress:
    """Progress to stderr (``True``) or a callback ``f(done, total)``; at most ~4 updates/s."""

    def __init__(self, total, how, label):
        self.total, self.how, self.label = total, how, label
        self.t0 = self.last = time.perf_counter()

    def __call__(self, done):
        if not self.how:
            return
        if callable(self.how):
            self.how(done, self.total)
            return
        now = time.perf_counter()
        if done < self.total and now - self.last < 0.25:
            return
        self.last = now
        frac = done / self.total if self.total else 1.0
        bar = "#" * int(30 * frac)
        rate = done / max(now - self.t0, 1e-9)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {100 * frac:5.1f}% {done}/{self.total} steps {rate:,.0f} steps/s")
        if done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def close(self):
        if self.how is True:
            sys.stderr.write("\n")
            sys.stderr.flush()


def record_steps(steps, record=None, every=None):
    """Sorted unique step counts in [0, steps]: ``record`` if given, else 0, every, 2 every, ..., steps."""
    if record is not None:
        rec = np.unique(np.asarray([count("record step", r, low=0) for r in np.ravel(record)], dtype=int))
        if rec.size == 0 or rec[-1] > steps:
            raise ParameterError(f"record steps must lie in [0, steps={steps}], got {record!r}")
        return rec
    every = max(1, steps // 100) if every is None else count("every", every)
    return np.unique(np.append(np.arange(0, steps + 1, every), steps))


def _seed_indices(seeds):
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return np.arange(count("seeds", seeds))
    idx = np.asarray([count("seed index", s, low=0) for s in np.ravel(seeds)], dtype=int)
    if idx.size == 0:
        raise ParameterError("seeds must name at least one seed")
    return idx


def check_params(model, N, K, M, steps, tau, eta, b, normalizer, method, test_size):
    """Validate inputs; returns them normalised (ints, floats)."""
    _check_model(model, "simulate")
    if normalizer not in NORMALIZERS:
        raise ParameterError(f"unknown normalizer {normalizer!r}; choose one of {', '.join(NORMALIZERS)}")
    if method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    N, K, M, b = count("N", N), count("K", K), count("M", M), count("b", b)
    steps, test_size = count("steps", steps, low=0), count("test_size", test_size, low=0)
    tau, eta = float(positive("tau", tau)), float(positive("eta", eta))
    spec = SPECS[model]
    if spec.bn and spec.center and normalizer == "batch" and b < 2:
        raise ParameterError("bn-full with the batch normaliser needs b >= 2 (the centred batch sd of one sample is 0)")
    if method == "order" and N < K + M:
        raise ParameterError(f"method='order' needs N >= K + M = {K + M}, got N={N}")
    if test_size and spec.bn and normalizer == "batch" and test_size % b:
        raise ParameterError(f"test_size must be a multiple of b={b} for the batch normaliser, got {test_size}")
    return N, K, M, steps, tau, eta, b, test_size


def simulate(model, N, K, M, steps, *, tau=1.0, eta=1.0, b=1, normalizer="batch", method="direct",
             seeds=1, seed=0, record=None, every=None, test_size=0, progress=False):
    """Run online SGD for ``steps`` steps; returns a :class:`Trajectory`.

    model: one of MODELS; normalizer: "batch" | "population" (BN models; ignored for vanilla);
    method: "direct" (N-vectors, the reference) or "order" (exact order-parameter sampler,
    :mod:`symbn.numeric.sampler`, cost per step independent of N, needs N >= K + M);
    seeds: number of seeds (indices 0..seeds-1) or a list of seed indices; seed: base seed;
    record/every: step counts to record (see :func:`record_steps`);
    test_size: if > 0, also record a test-set estimate on that many fresh inputs;
    progress: True for a bar on stderr, or a callable ``f(done, total)``.
    Initial weights are drawn as N-vectors by both methods from the same stream, so a
    given (seed, index) starts from the same order parameters in either method.
    """
    N, K, M, steps, tau, eta, b, test_size = check_params(
        model, N, K, M, steps, tau, eta, b, normalizer, method, test_size)
    idx = _seed_indices(seeds)
    rec = record_steps(steps, record, every)
    streams = [seed_streams(seed, k, 5) for k in idx]
    S, r = len(idx), K + M
    g0, beta0 = np.ones((S, K)), np.zeros((S, K))
    if method == "direct":
        V = np.empty((S, r, N))
        for s, st in enumerate(streams):
            V[s, :K], V[s, K:] = init_weights(st[0], N, K, M)
        eng = DirectEngine(model, normalizer, V, tau, eta, b, g0, beta0, K,
                           [st[1] for st in streams], [st[2] for st in streams])
    else:
        from symbn.numeric.sampler import OrderEngine

        G = np.empty((S, r, r))
        for s, st in enumerate(streams):
            J, B = init_weights(st[0], N, K, M)
            V = np.concatenate([J, B])
            G[s] = V @ V.T
        eng = OrderEngine(model, normalizer, G, N, K, tau, eta, b, g0, beta0,
                          *([st[i] for st in streams] for i in (1, 2, 3, 4)))

    eng.limit(steps)
    nt = len(rec)
    out = {"Q": np.empty((S, nt, K, K)), "R": np.empty((S, nt, K, M)), "T": np.empty((S, nt, M, M)),
           "g": np.empty((S, nt, K)), "beta": np.empty((S, nt, K))}
    eps_test = np.empty((S, nt)) if test_size else None
    G = eng.gram()
    init = {"Q0": G[:, :K, :K].copy(), "R0": G[:, :K, K:].copy(), "T0": G[:, K:, K:].copy(),
            "g0": eng.g.copy(), "beta0": eng.beta.copy()}
    bar = _Progress(steps, progress, f"simulate {model} ({method})")
    t0 = time.perf_counter()
    done = 0
    try:
        for j, target in enumerate(rec):
            while done < target:
                eng.step()
                done += 1
                if progress and (done & 63 == 0 or done == steps):
                    bar(done)
            G = eng.gram()
            out["Q"][:, j], out["R"][:, j], out["T"][:, j] = G[:, :K, :K], G[:, :K, K:], G[:, K:, K:]
            out["g"][:, j], out["beta"][:, j] = eng.g, eng.beta
            if test_size:
                eps_test[:, j] = eng.test_error(test_size)
        if progress:
            bar(steps)
    except KeyboardInterrupt:
        if progress is True:
            bar.close()
        raise
    out["Q"] = 0.5 * (out["Q"] + np.swapaxes(out["Q"], -1, -2))
    eps = population_eps_g(model, out["Q"], out["R"], out["T"], tau, out["g"], out["beta"])
    return Trajectory(model=model, method=method, normalizer=normalizer, N=N, K=K, M=M, tau=tau, eta=eta,
                      b=b, seed=int(seed), seeds=idx, steps=rec, eps_g=eps, eps_test=eps_test,
                      elapsed=time.perf_counter() - t0, **out, **init)


# --------------------------------------------------------------------------- plateau

@dataclass
class Plateau:
    """Per-seed plateau height and exit time (alpha); exit is ``inf`` if never reached."""

    height: np.ndarray
    exit_alpha: np.ndarray


def plateau(alpha, eps_g, *, height=None, window=None, fraction=0.5):
    """Plateau height and exit time per seed.

    height: the plateau height, e.g. eps_g at the symmetric fixed point (scalar or per
    seed); if None, the median of each seed's eps_g over alpha in ``window = (a0, a1)``.
    Exit time: the first recorded alpha with eps_g < fraction * height (default one
    half), searched from the start of the run (or from the window start when the height
    is measured over a window). If eps_g never drops below it, the exit time is ``inf``
    (a right-censored value: it orders correctly, so medians and rank tests remain valid).
    """
    alpha = np.asarray(alpha, dtype=float)
    eps = np.atleast_2d(np.asarray(eps_g, dtype=float))
    if eps.shape[-1] != alpha.size:
        raise ParameterError(f"eps_g has {eps.shape[-1]} times but alpha has {alpha.size}")
    start = np.zeros(alpha.size, dtype=bool)
    if height is None:
        if window is None:
            raise ParameterError("give the plateau height or a window (a0, a1) to measure it")
        a0, a1 = window
        inside = (alpha >= a0) & (alpha <= a1)
        if not inside.any():
            raise ParameterError(f"no recorded alpha in the window {window!r}")
        height = np.median(eps[:, inside], axis=-1)
        start = alpha < a0
    height = np.broadcast_to(np.asarray(height, dtype=float), eps.shape[:1]).copy()
    below = (eps < fraction * height[:, None]) & ~start
    first = np.argmax(below, axis=-1)
    exit_alpha = np.where(below.any(axis=-1), alpha[first], np.inf)
    return Plateau(height=height, exit_alpha=exit_alpha)

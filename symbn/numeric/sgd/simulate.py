"""Online mini-batch SGD of two-layer networks: the driver of both simulation methods.

``simulate`` draws each seed's initial weights (J, B iid N(0, 1/N), g = 1, beta = 0), runs
the model's update rule (:mod:`symbn.numeric.sgd.rules`) with an engine, directly in N
dimensions (``method="direct"``, :class:`~symbn.numeric.sgd.engines.DirectEngine`, the
reference) or with the exact order-parameter sampler (``method="order"``,
:class:`~symbn.numeric.sgd.sampler.OrderEngine`, cost per step independent of N), and records
the order parameters and eps_g as a :class:`~symbn.numeric.trajectory.Trajectory`.
One step advances alpha = steps / N by 1/N.

Recorded ``eps_g`` is the population error from the order parameters
(:func:`symbn.numeric.kernels.orderparams.eps_g`). For BN models this is the *large-b form*: the
network evaluated with population statistics (mu = 0, sd = sqrt(tau Q_ii)), i.e. BN in
inference mode, whatever normaliser was used for training. The optional test-set
estimate instead evaluates the actual network as trained (batch normaliser: on test
batches of size b).

Degenerate batch statistics (allowed, but J does not learn): bn-exact/bn-paper with the
batch normaliser and b = 1 give h_i = g_i sign(x_i) (bn-exact's J-gradient is exactly 0;
bn-paper's update is not a gradient of anything then), and bn-full with b = 2 gives
centred xhat = +-1, so its J-gradient is 0. bn-full with b = 1 is rejected (sd = 0).
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from symbn import defaults, models, validate
from symbn.errors import ParameterError
from symbn.numeric.sgd.engines import DirectEngine, Training
from symbn.numeric.sgd.noise import STREAMS, init_weights, seed_streams
from symbn.numeric.kernels.orderparams import eps_g as eps_g_orderparams
from symbn.numeric.sgd.rules import NORMALIZERS
from symbn.numeric.sgd.sampler import OrderEngine
from symbn.numeric.trajectory import Trajectory

METHODS = defaults.SIMULATION_METHODS
CHUNK = 512          # steps per engine call between progress updates (and chances to interrupt)
DEFAULTS = defaults.SIMULATE


def record_steps(steps, record=None, every=None):
    """Sorted unique step counts in [0, steps]: ``record`` if given, else 0, every, 2 every, ..., steps."""
    if record is not None:
        rec = np.unique(np.asarray([validate.count("record step", r, low=0) for r in np.ravel(record)], dtype=int))
        if rec.size == 0 or rec[-1] > steps:
            raise ParameterError(f"record steps must lie in [0, steps={steps}], got {record!r}")
        return rec
    every = max(1, steps // 100) if every is None else validate.count("every", every)
    return np.unique(np.append(np.arange(0, steps + 1, every), steps))


def seed_indices(seeds):
    """Seed indices: 0..seeds-1 for a count, or the given list of indices."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return np.arange(validate.count("seeds", seeds))
    idx = np.asarray([validate.count("seed index", s, low=0) for s in np.ravel(seeds)], dtype=int)
    if idx.size == 0:
        raise ParameterError("seeds must name at least one seed")
    return idx


def check_params(model, K, M, N, steps, tau, eta, b, normalizer, method, test_size):
    """Validated inputs: (Model, K, M, N, steps, tau, eta, b, test_size)."""
    m = validate.model(model, "simulate")
    validate.choice("normalizer", normalizer, NORMALIZERS)
    validate.choice("method", method, METHODS)
    K, N, b = validate.count("K", K), validate.count("N", N), validate.count("b", b)
    M = K if M is None else validate.count("M", M)
    steps, test_size = validate.count("steps", steps, low=0), validate.count("test_size", test_size, low=0)
    tau, eta = float(validate.positive("tau", tau)), float(validate.positive("eta", eta))
    if m.centered and normalizer == "batch" and b < 2:
        raise ParameterError(f"{m.name} with the batch normaliser needs b >= 2 (the centred batch sd of one sample is 0)")
    if method == "order" and N < K + M:
        raise ParameterError(f"method='order' needs N >= K + M = {K + M}, got N={N}")
    if test_size and m.normalized and normalizer == "batch" and test_size % b:
        raise ParameterError(f"test_size must be a multiple of b={b} for the batch normaliser, got {test_size}")
    return m, K, M, N, steps, tau, eta, b, test_size


def training(model, activation, eta_w, noise, weight_decay):
    """Validated :class:`~symbn.numeric.sgd.engines.Training` (a learned second layer, noise and weight
    decay for the models with the erf/linear machinery; bn-full keeps the paper's network)."""
    t = Training(models.activation(activation), float(validate.at_least("eta_w", eta_w, 0.0)),
                 float(validate.at_least("noise", noise, 0.0)),
                 float(validate.at_least("weight_decay", weight_decay, 0.0)))
    if model.centered and t != Training():
        raise ParameterError(f"{model.name} simulates the paper's network only (erf, fixed second layers, "
                             "no noise, no weight decay)")
    return t


def _engine(model, method, normalizer, streams, N, K, M, tau, eta, b, train, w, v, fast=None):
    S, r = len(streams), K + M
    V = np.empty((S, r, N))
    for s, st in enumerate(streams):
        V[s, :K], V[s, K:] = init_weights(st[STREAMS.index("init")], N, K, M)
    g0, beta0, w0 = np.ones((S, K)), np.zeros((S, K)), np.broadcast_to(w, (S, K))
    rngs = {name: [st[k] for st in streams] for k, name in enumerate(STREAMS)}
    kw = dict(training=train, w=w0, v=v, label_rngs=rngs["label"])
    if method == "direct":
        return DirectEngine(model, normalizer, V, tau, eta, b, g0, beta0, K, rngs["train"], rngs["test"], **kw)
    return OrderEngine(model, normalizer, V @ np.swapaxes(V, -1, -2), N, K, tau, eta, b, g0, beta0,
                       rngs["train"], rngs["test"], rngs["normal"], rngs["chisquare"], fast=fast, **kw)


def _snapshot(frame, K, model, learn_w):
    """The record of one Engine.frame (Gram matrix, g, beta, w): Q, R, T and what the model has."""
    G, g, beta, w = frame
    out = {"Q": 0.5 * (G[:, :K, :K] + np.swapaxes(G[:, :K, :K], -1, -2)), "R": G[:, :K, K:], "T": G[:, K:, K:]}
    if model.normalized:
        out["g"] = g
    if model.centered:
        out["beta"] = beta
    if learn_w:
        out["w"] = w
    return out


def stack(frames):
    """Snapshots (a list of dicts of (S, ...)) as one dict of (S, len(frames), ...)."""
    return {key: np.stack([f[key] for f in frames], axis=1) for key in frames[0]}


class Records:
    """The records of S seeds at n times as they come, each for the seeds still running, and their
    eps_g (``score`` of a stacked state: at once when they decide a stop, else when asked for, outside
    the timed loop); a seed that stopped reads NaN from the record after its stop on."""

    def __init__(self, S, n, score):
        self.S, self.n, self.score = S, n, score
        self.parts = []                  # (first record index, running positions, {key: (S_run, m, ...)})
        self.end = np.full(S, n)         # a seed's records from this index on are NaN

    def add(self, k, frames, running, threshold=None):
        """Snapshots of records k, k+1, ... of the seeds at ``running``; returns which of those seeds go
        on: all, or with a threshold (the snapshots are then scored at once) the ones whose eps_g stayed
        above it (the others end at their first record below)."""
        go_on = np.ones(running.size, dtype=bool)
        if frames:
            state = stack(frames)
            self.parts.append((k, running, state))
            if threshold is not None:
                state["eps_g"] = self.score(state)
                below = state["eps_g"] < threshold
                go_on = ~below.any(axis=1)
                self.end[running[~go_on]] = k + np.argmax(below[~go_on], axis=1) + 1
        return go_on

    def add_test(self, k, values, running):
        """Test-set estimates (S_run,) at record k."""
        self.parts.append((k, running, {"eps_test": values[:, None]}))

    def get(self, key):
        """``key`` over the records, (S, n, ...): NaN where a seed had stopped."""
        for _, _, part in self.parts:
            if key == "eps_g" and "Q" in part and key not in part:
                part[key] = self.score(part)
        parts = [(k, running, part[key]) for k, running, part in self.parts if key in part]
        out = np.full((self.S, self.n) + parts[0][2].shape[2:], np.nan)
        for k, running, values in parts:
            out[running, k:k + values.shape[1]] = values
        out[np.arange(self.n)[None, :] >= self.end[:, None]] = np.nan
        return out

    def state(self):
        """{key: (S, n, ...)} of the recorded order parameters."""
        return {key: self.get(key) for key in self.parts[0][2] if key != "eps_g"}


def _bar(progress, total, label):
    """A tqdm bar (``progress=True``), a callback wrapper (callable), or None."""
    if callable(progress):
        return lambda done: progress(done, total)
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=label, unit="step", leave=True, mininterval=0.25)

        def update(done):
            bar.update(done - bar.n)
            if done >= total:
                bar.close()
        update.close = bar.close
        return update
    return None


def simulate(model, K, M=None, *, N=DEFAULTS["N"], steps=DEFAULTS["steps"], tau=DEFAULTS["tau"],
             eta=DEFAULTS["eta"], b=DEFAULTS["b"], normalizer=DEFAULTS["normalizer"], method=DEFAULTS["method"],
             seeds=DEFAULTS["seeds"], seed=DEFAULTS["seed"], activation=DEFAULTS["activation"],
             eta_w=DEFAULTS["eta_w"], noise=DEFAULTS["noise"], weight_decay=DEFAULTS["weight_decay"],
             w=1.0, v=1.0, record=None, every=None, test_size=0, progress=False, fast=None,
             stop_below=None) -> Trajectory:
    """Run online SGD of ``model`` with K students, M teachers (default K); returns a Trajectory.

    N: input dimension; steps: SGD steps (alpha = steps / N); normalizer: "batch" | "population"
    (BN models); method: "order" (exact order-parameter sampler, needs N >= K + M) or "direct";
    seeds: number of seeds (indices 0..seeds-1) or a list of seed indices; seed: base seed.
    The network: activation (erf, linear); the student's second layer w (initial value, K or a
    scalar) learns at eta_w (0: fixed); the teacher's v (M or a scalar); output noise sigma =
    ``noise``; weight decay kappa = ``weight_decay`` (J and a learned w lose (kappa / N) of
    themselves per step). record/every: step counts to record (:func:`record_steps`); test_size:
    if > 0, also record a test-set estimate on that many fresh inputs; progress: True for a bar on
    stderr, or a callable ``f(done, total)``. Both methods draw the initial weights as N-vectors
    from the same stream, so a seed starts from the same order parameters in either. fast: the
    order sampler's compiled step loop (default when numba is installed; False: the NumPy
    reference, same random numbers). stop_below: a seed stops at its first record with eps_g
    below this value (e.g. a plateau exit threshold); its later records are NaN, the other seeds
    go on with the numbers they would have drawn anyway, and the run ends when all have stopped.
    """
    m, K, M, N, steps, tau, eta, b, test_size = check_params(
        model, K, M, N, steps, tau, eta, b, normalizer, method, test_size)
    train = training(m, activation, eta_w, noise, weight_decay)
    w, v = validate.vector("w", w, K), validate.vector("v", v, M)
    if m.normalized and not m.centered and normalizer == "batch" and b == 1:
        warnings.warn(f"{m.name} with batch statistics of one sample: h_i = g_i sign(x_i) and J does not learn "
                      "(use b > 1 or normalizer='population')", stacklevel=2)
    idx = seed_indices(seeds)
    rec = record_steps(steps, record, every)
    eng = _engine(m, method, normalizer, [seed_streams(seed, k) for k in idx], N, K, M, tau, eta, b, train, w, v,
                  fast)
    eng.limit(steps)
    learn = train.eta_w > 0
    initial = _snapshot(eng.frame(), K, m, learn)
    if "w" not in initial and np.any(w != 1):      # a fixed second layer other than ones
        initial["w"] = eng.w.copy()
    if np.any(v != 1):
        initial["v"] = np.broadcast_to(v, (len(idx), M)).copy()
    if stop_below is not None:
        stop_below = float(validate.finite("stop_below", stop_below))
    score = lambda st: eps_g_orderparams(st["Q"], st["R"], st["T"], tau, st.get("g"), st.get("beta"),  # noqa: E731
                                         w=st.get("w", w), v=v, activation=train.activation)
    recs = Records(len(idx), rec.size, score)
    running = np.arange(len(idx))                        # positions (in idx) of the seeds still running
    bar = _bar(progress, steps, f"simulate {m.name} ({method})")
    eng.advance(0)                                       # loads a compiled loop outside the timed part
    t0 = time.perf_counter()
    done, k = 0, 0
    try:
        while k < rec.size and running.size:
            if rec[k] == done:                               # a record before any step of the chunk
                new = [_snapshot(eng.frame(), K, m, learn)]
            else:
                # a chunk of steps, its records taken inside the loop; with a test set, stop at each record
                n = min(CHUNK, (rec[k] if test_size else rec[-1]) - done)
                inside = rec[k:][rec[k:] <= done + n]
                new = [_snapshot(f, K, m, learn) for f in eng.advance(n, inside - done - 1)]
                done += n
                if bar:
                    bar(done)
            go_on = recs.add(k, new, running, stop_below)
            if test_size and new:
                recs.add_test(k, eng.test_error(test_size), running)
            if not go_on.all():
                eng.keep(go_on)
                running = running[go_on]
            k += len(new)
        if bar:
            bar(steps)
    except KeyboardInterrupt:
        getattr(bar, "close", lambda: None)()
        raise
    elapsed = time.perf_counter() - t0
    eps = recs.get("eps_g")
    state = recs.state()
    params = dict(K=K, M=M, tau=tau, eta=eta, b=b, N=N, method=method, normalizer=normalizer, seed=int(seed),
                  activation=train.activation, eta_w=train.eta_w, noise=train.noise,
                  weight_decay=train.weight_decay, w=w.tolist(), v=v.tolist())
    if stop_below is not None:                     # the NaNs after each seed's stop come from it
        params["stop_below"] = stop_below
    return Trajectory(model=m.name, alpha=rec / N, eps_g=eps, state=state, params=params, initial=initial,
                      seeds=idx, eps_test=recs.get("eps_test") if test_size else None, elapsed=elapsed)

"""Direct SGD simulator: gradients, population error, reproducibility, recording, errors, plateau."""
import io
import json
import math
import sys

import numpy as np
import pytest
from scipy.special import erf

from symbn import models
from symbn.errors import ParameterError
from symbn.numeric.sgd.engines import DirectEngine
from symbn.numeric.kernels.orderparams import eps_g, pair_mean
from symbn.numeric.analysis.plateau import exit_threshold, plateau
from symbn.numeric.analysis.plateau import exits as plateau_exits
from symbn.numeric.sgd.rules import coefficients
from symbn.numeric.sgd.simulate import simulate
from symbn.numeric.trajectory import Trajectory

MODELS = models.names("simulate")
CASES = [(m, n) for m in MODELS for n in (("batch",) if m == "vanilla" else ("batch", "population"))]


# ----------------------------------------------------------------------------- gradients

def batch_loss(J, B, g, beta, xi, model, normalizer, tau, frozen_sd=None):
    """Batch loss (1/b) sum_u (t_u - s_u)^2 / 2 written out independently of the package.

    ``frozen_sd`` replaces the normaliser by a constant (the paper's rule differentiates that).
    """
    phi = lambda v: erf(v / math.sqrt(2))
    x = xi @ J.T
    t = phi(xi @ B.T).sum(axis=1)
    if model == "vanilla":
        h = x
    else:
        xc = x
        if model == "bn-full" and normalizer == "batch":
            xc = x - x.mean(axis=0)
        if frozen_sd is not None:
            sd = frozen_sd
        elif normalizer == "batch":
            sd = np.sqrt((xc ** 2).mean(axis=0))
        else:
            sd = np.sqrt(tau * (J ** 2).sum(axis=1))
        h = g * xc / sd + (beta if model == "bn-full" else 0)
    s = phi(h).sum(axis=1)
    return 0.5 * np.mean((t - s) ** 2)


def central_diff(f, p, h=1e-6):
    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        old = p[idx]
        p[idx] = old + h
        fp = f()
        p[idx] = old - h
        fm = f()
        p[idx] = old
        grad[idx] = (fp - fm) / (2 * h)
    return grad


@pytest.mark.parametrize("model,normalizer", CASES)
@pytest.mark.parametrize("b", [1, 5])
def test_update_is_the_batch_loss_gradient(model, normalizer, b):
    """-(c^T xi + d J), dg, dbeta equal central differences of the batch loss.

    bn-paper: equal to the gradient with the normaliser frozen at its current value (paper
    Eqs. 2-3). Tolerance 1e-7 (absolute, gradients are O(0.1-1)): central differences with
    h = 1e-6 have truncation O(h^2 f''') ~ 1e-12 and round-off O(eps L / h) ~ 1e-10.
    """
    if model == "bn-full" and normalizer == "batch" and b == 1:
        pytest.skip("the centred batch sd of one sample is 0 (rejected by simulate)")
    rng = np.random.default_rng(11)
    N, K, M, tau = 7, 3, 2, 1.7
    J = rng.standard_normal((K, N))
    B = rng.standard_normal((M, N)) / math.sqrt(N)
    g = 1 + 0.3 * rng.standard_normal(K)
    beta = 0.2 * rng.standard_normal(K)
    xi = math.sqrt(tau) * rng.standard_normal((b, N))
    spec = models.get(model)
    proj = xi @ np.concatenate([J, B]).T
    u = coefficients(spec, normalizer, proj, K, g, beta, (J ** 2).sum(axis=1), tau)
    dJ = u.c.T @ xi + (0 if u.d is None else u.d[:, None] * J)
    frozen = None
    if model == "bn-paper":
        frozen = (np.sqrt((proj[:, :K] ** 2).mean(axis=0)) if normalizer == "batch"
                  else np.sqrt(tau * (J ** 2).sum(axis=1)))
    loss = lambda: batch_loss(J, B, g, beta, xi, model, normalizer, tau, frozen)
    assert u.loss == pytest.approx(loss(), rel=1e-13)
    np.testing.assert_allclose(-dJ, central_diff(loss, J), atol=1e-7)
    if spec.normalized:
        np.testing.assert_allclose(-u.dg, central_diff(loss, g), atol=1e-7)
    if spec.centered:
        np.testing.assert_allclose(-u.dbeta, central_diff(loss, beta), atol=1e-7)


def test_bn_exact_population_update_is_orthogonal_to_J():
    """With sd = sqrt(tau)|J_i| the loss is invariant under J_i -> c J_i, so dJ_i . J_i = 0 (to 1e-12)."""
    rng = np.random.default_rng(3)
    N, K, M, b = 9, 2, 2, 4
    V = rng.standard_normal((K + M, N))
    xi = rng.standard_normal((b, N))
    J = V[:K]
    u = coefficients(models.get("bn-exact"), "population", xi @ V.T, K, np.ones(K), np.zeros(K), (J ** 2).sum(1), 1.0)
    dJ = u.c.T @ xi + u.d[:, None] * J
    np.testing.assert_allclose((dJ * J).sum(axis=1), 0, atol=1e-12)


# ----------------------------------------------------------------------------- population error

def test_pair_mean_matches_gauss_hermite():
    """E[phi(u+ma) phi(v+mb)] (Plackett + 64-point Gauss-Legendre) vs a 100x100 Gauss-Hermite
    product rule on the 2-d Gaussian: both are converged far below the 1e-9 tolerance."""
    xg, wg = np.polynomial.hermite_e.hermegauss(100)
    wg = wg / wg.sum()
    for Caa, Cbb, Cab, ma, mb in [(1.0, 1.0, 0.3, 0.4, -0.7), (2.5, 0.5, -0.9, 0.0, 1.2),
                                  (0.7, 0.7, 0.69, -1.5, -1.5), (1.0, 2.0, 0.0, 0.3, 0.0)]:
        L = np.linalg.cholesky([[Caa, Cab], [Cab, Cbb]])
        u = L[0, 0] * xg[:, None] + 0 * xg[None, :]
        v = L[1, 0] * xg[:, None] + L[1, 1] * xg[None, :]
        ref = (wg[:, None] * wg[None, :] * erf((u + ma) / math.sqrt(2)) * erf((v + mb) / math.sqrt(2))).sum()
        got = pair_mean(np.array(Caa), np.array(Cbb), np.array(Cab), np.array(ma), np.array(mb))
        assert got == pytest.approx(ref, abs=1e-9)


def gauss_hermite_eps_g(C, K, n=120):
    """(1/2) sum_pq w_p w_q E[phi(h_p) phi(h_q)], w = (-1 students, +1 teachers), each pair mean a
    2-d Gauss-Hermite product rule on the covariance C of (h, y): written from the definition
    eps_g = <(t - s)^2>/2, sharing no code with the package's closed form."""
    xg, wg = np.polynomial.hermite_e.hermegauss(n)
    wg = wg / wg.sum()
    phi = lambda v: erf(v / math.sqrt(2))
    w = np.r_[-np.ones(K), np.ones(C.shape[0] - K)]
    total = 0.0
    for p in range(C.shape[0]):
        for q in range(C.shape[0]):
            a, c, d = C[p, p], C[p, q], C[q, q]
            l11 = math.sqrt(a)
            l21, l22 = c / l11, math.sqrt(max(d - (c / l11) ** 2, 0.0))
            u = l11 * xg[:, None] + 0 * xg[None, :]
            v = l21 * xg[:, None] + l22 * xg[None, :]
            total += w[p] * w[q] * (wg[:, None] * wg[None, :] * phi(u) * phi(v)).sum()
    return 0.5 * total


@pytest.mark.parametrize("normalized", [False, True])
def test_eps_g_equals_quadrature_of_the_network(normalized):
    """The closed-form eps_g (asin sums of the primed covariances) equals (t - s)^2/2 averaged by
    Gauss-Hermite quadrature over the pre-activations, whose covariance is built here from
    Q, R, T (and g: h_i = g_i x_i / sqrt(tau Q_ii)). 120 nodes per dimension converge these smooth
    integrands far below the 1e-10 tolerance (checked: 80 nodes change the result by < 1e-13)."""
    rng = np.random.default_rng(5)
    K, M, tau = 2, 3, 1.3
    for _ in range(3):
        A = rng.standard_normal((K + M, 7)) / math.sqrt(7)
        G = A @ A.T
        g = 1 + 0.3 * rng.standard_normal(K) if normalized else None
        s = np.ones(K + M) * math.sqrt(tau)
        if normalized:
            s[:K] = g / np.sqrt(np.diag(G)[:K])
        C = s[:, None] * G * s[None, :]
        ref = gauss_hermite_eps_g(C, K)
        assert eps_g(G[:K, :K], G[:K, K:], G[K:, K:], tau, g) == pytest.approx(ref, abs=1e-10)
        # power: the other model's forward map (BN scales dropped or added) is far off
        wrong = None if normalized else np.ones(K)
        assert abs(eps_g(G[:K, :K], G[:K, K:], G[K:, K:], tau, wrong) - ref) > 1e-3


def test_eps_g_bias_path_reduces_to_the_closed_form():
    """With a negligible bias the Plackett-quadrature path (pair_mean) equals the asin closed form (1e-9)."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3, 5, 7))
    G = A @ A.swapaxes(-1, -2) / 7
    Q, R, T = G[:, :2, :2], G[:, :2, 2:], G[:, 2:, 2:]
    g = 1 + 0.2 * rng.standard_normal((3, 2))
    np.testing.assert_allclose(eps_g(Q, R, T, 1.3, g, np.full((3, 2), 1e-13)), eps_g(Q, R, T, 1.3, g), rtol=1e-9)


def test_population_eps_g_with_bias_matches_monte_carlo():
    """bn-full with a bias: the population-normalised network's error on 4e5 fresh inputs
    (the direct engine's test-set estimate) agrees within 4 standard errors."""
    rng = np.random.default_rng(8)
    N, K, M, tau = 6, 2, 2, 1.4
    V = rng.standard_normal((1, K + M, N)) / math.sqrt(N)
    g, beta = np.array([[1.3, 0.8]]), np.array([[0.5, -0.9]])
    eng = DirectEngine(models.get("bn-full"), "population", V, tau, 1.0, 1, g, beta, K, [np.random.default_rng(1)],
                       [np.random.default_rng(2)])
    P = 400_000
    G = eng.gram()
    exact = eps_g(G[:, :K, :K], G[:, :K, K:], G[:, K:, K:], tau, g, beta)[0]
    # per-sample losses for the standard error
    xi = np.random.default_rng(2).standard_normal((P, N)) * math.sqrt(tau)
    proj = xi @ V[0].T
    sd = np.sqrt(tau * (V[0, :K] ** 2).sum(1))
    s = erf((g[0] * proj[:, :K] / sd + beta[0]) / math.sqrt(2)).sum(1)
    t = erf(proj[:, K:] / math.sqrt(2)).sum(1)
    per = 0.5 * (t - s) ** 2
    est = eng.test_error(P)[0]
    assert est == pytest.approx(per.mean(), rel=1e-12)  # same test stream, same network
    se = per.std() / math.sqrt(P)
    assert abs(est - exact) < 4 * se
    # not vacuous: ignoring the bias would be off by many standard errors
    assert abs(exact - eps_g(G[:, :K, :K], G[:, :K, K:], G[:, K:, K:], tau, g)[0]) > 20 * se


# ----------------------------------------------------------------------------- runs

@pytest.mark.parametrize("method", ["direct", "order"])
def test_seed_k_does_not_depend_on_the_other_seeds(method):
    """Seed index 2 run alone equals seed index 2 run among four (float reassociation only: 1e-12)."""
    kw = dict(b=3, eta=1.5, steps=200, every=50, seed=7, method=method)
    many = simulate("bn-exact", 2, 2, N=20, seeds=4, **kw)
    one = simulate("bn-exact", 2, 2, N=20, seeds=[2], **kw)
    for name in ("Q", "R", "T", "g", "eps_g"):
        np.testing.assert_allclose(getattr(many, name)[2], getattr(one, name)[0], rtol=1e-12, atol=1e-14)
    again = simulate("bn-exact", 2, 2, N=20, seeds=4, **kw)
    np.testing.assert_array_equal(many.Q, again.Q)


@pytest.mark.parametrize("method", ["direct", "order"])
def test_prefetch_block_size_does_not_change_the_numbers(method):
    """Random numbers are prefetched in blocks of at most ``steps`` steps; a run of 70 steps
    and a run of 45 steps agree bitwise at step 45 (bn-full: every noise stream is used)."""
    kw = dict(b=3, eta=1.0, seeds=2, method=method, normalizer="batch")
    long = simulate("bn-full", 2, 2, N=12, steps=70, record=[45, 70], **kw)
    short = simulate("bn-full", 2, 2, N=12, steps=45, record=[45], **kw)
    np.testing.assert_array_equal(long.Q[:, 0], short.Q[:, -1])
    np.testing.assert_array_equal(long.beta[:, 0], short.beta[:, -1])


@pytest.mark.parametrize("method", ["direct", "order"])
def test_records_taken_inside_a_chunk_equal_records_at_its_end(method):
    """Records inside a chunk of steps are copied out by the engine's loop; with a test set the run
    stops at every record instead. Same states bit for bit, records at 0, 1, and across the chunk
    boundary (CHUNK = 512), the learned w and the gains included."""
    from symbn.numeric.sgd.simulate import CHUNK

    rec = [0, 1, 7, CHUNK - 1, CHUNK, CHUNK + 1, 1300]
    kw = dict(N=20, steps=1300, b=3, eta=1.2, seeds=2, seed=3, method=method, record=rec, eta_w=0.5)
    inner = simulate("bn-exact", 2, 2, **kw)
    stops = simulate("bn-exact", 2, 2, test_size=6, **kw)
    assert inner.Q.shape[1] == len(rec) and stops.eps_test.shape == (2, len(rec))
    for name in ("Q", "R", "g", "w"):
        np.testing.assert_array_equal(getattr(inner, name), getattr(stops, name))
    assert not np.array_equal(inner.Q[:, 3], inner.Q[:, 4])       # the records are distinct states


@pytest.mark.parametrize("method,fast,test_size", [("order", None, 0), ("order", False, 0), ("direct", None, 6)])
def test_a_seed_stops_at_its_exit_and_the_others_go_on(method, fast, test_size):
    """stop_below: each seed's records up to its first eps_g below the threshold are those of the full
    run bit for bit, NaN after; the seeds still running after another one stopped keep their own random
    numbers (per-seed streams; Engine.keep drops the stopped seeds' rows), the learned w included."""
    kw = dict(N=20, steps=1500, b=3, eta=1.5, seeds=4, seed=3, every=5, method=method, test_size=test_size,
              eta_w=0.2)
    if fast is not None:
        kw["fast"] = fast
    threshold = exit_threshold("bn-exact", 2, 1.0)
    full = simulate("bn-exact", 2, 2, **kw)
    stopped = simulate("bn-exact", 2, 2, stop_below=threshold, **kw)
    exits = plateau_exits(full)
    np.testing.assert_array_equal(plateau_exits(stopped), exits)
    assert stopped.params["stop_below"] == threshold and "stop_below" not in full.params
    finite = np.sort(exits[np.isfinite(exits)])
    assert finite.size >= 2 and finite[0] < finite[-1] and not np.isfinite(exits).all()   # the case tested
    n = full.alpha.size
    for s in range(4):
        below = np.flatnonzero(full.eps_g[s] < threshold)
        last = below[0] if below.size else n - 1
        for name in ("Q", "R", "g", "w", "eps_g") + (("eps_test",) if test_size else ()):
            a, b = getattr(full, name)[s], getattr(stopped, name)[s]
            np.testing.assert_array_equal(b[: last + 1], a[: last + 1])
            assert np.isnan(b[last + 1:]).all()


def test_same_seed_same_initial_state_in_both_methods():
    a = simulate("vanilla", 3, 2, N=30, steps=10, seeds=3, method="direct", seed=4)
    b = simulate("vanilla", 3, 2, N=30, steps=10, seeds=3, method="order", seed=4)
    assert set(a.initial) == {"Q", "R", "T"}
    for name in ("Q", "R", "T"):
        np.testing.assert_allclose(a.initial[name], b.initial[name], rtol=1e-13)


def test_trajectory_layout_and_initial_state():
    tr = simulate("bn-full", 3, 2, N=40, steps=100, b=4, every=30, seeds=2, test_size=8)
    assert isinstance(tr, Trajectory)
    np.testing.assert_array_equal(tr.steps, [0, 30, 60, 90, 100])
    np.testing.assert_allclose(tr.alpha, tr.steps / 40)
    assert tr.eps_g.shape == tr.eps_test.shape == (2, 5)
    assert tr.Q.shape == (2, 5, 3, 3) and tr.R.shape == (2, 5, 3, 2) and tr.T.shape == (2, 5, 2, 2)
    assert tr.g.shape == tr.beta.shape == (2, 5, 3)
    np.testing.assert_allclose(tr.Q[:, 0], tr.initial["Q"], rtol=1e-14)
    np.testing.assert_array_equal(tr.T, np.broadcast_to(tr.initial["T"][:, None], tr.T.shape))  # teacher fixed
    np.testing.assert_array_equal(tr.g[:, 0], 1.0)
    assert np.all(tr.beta[:, -1] != 0)
    assert (tr.N, tr.tau, tr.b, tr.method) == (40, 1.0, 4, "order")
    d = json.loads(json.dumps(tr.initial_state(1)))
    assert set(d) == {"Q", "R", "T", "g", "beta"}
    np.testing.assert_allclose(d["R"], tr.initial["R"][1])
    van = simulate("vanilla", 2, 1, N=10, steps=0)
    assert set(van.initial_state()) == {"Q", "R", "T"} and van.g is None
    np.testing.assert_array_equal(simulate("vanilla", 2, 1, N=10, steps=7, record=[5, 0, 5]).steps, [0, 5])


def test_direct_step_matches_a_hand_written_sgd_step():
    """One vanilla step from the engine equals J += eta/(N b) sum_u delta_u phi'(x_u) xi_u (1e-13)."""
    N, K, M, b, tau, eta = 12, 2, 3, 4, 0.8, 1.3
    rng = np.random.default_rng(0)
    V = rng.standard_normal((1, K + M, N)) / math.sqrt(N)
    eng = DirectEngine(models.get("vanilla"), "batch", V, tau, eta, b, np.ones((1, K)), np.zeros((1, K)), K,
                       [np.random.default_rng(9)], None)
    xi = np.random.default_rng(9).standard_normal((b, N)) * math.sqrt(tau)
    J, B = V[0, :K], V[0, K:]
    x = xi @ J.T
    delta = erf(xi @ B.T / math.sqrt(2)).sum(1) - erf(x / math.sqrt(2)).sum(1)
    Jn = J + eta / (N * b) * (delta[:, None] * math.sqrt(2 / math.pi) * np.exp(-x ** 2 / 2)).T @ xi
    eng.step()
    np.testing.assert_allclose(eng.V[0, :K], Jn, rtol=1e-13)
    np.testing.assert_array_equal(eng.V[0, K:], B)


def test_vanilla_learns_the_teacher():
    """Sanity: K = M = 2, tau = 1, eta = 1, N = 50, alpha = 200: eps_g falls from ~0.6 to < 1e-3 on every seed."""
    tr = simulate("vanilla", 2, 2, N=50, steps=10_000, b=2, seeds=3, every=10_000, method="order")
    assert np.all(tr.eps_g[:, 0] > 0.3) and np.all(tr.eps_g[:, -1] < 1e-3)


@pytest.mark.parametrize("kwargs,match", [
    (dict(N=0), "N must be"), (dict(K=0), "K must be"), (dict(M=0), "M must be"), (dict(b=0), "b must be"),
    (dict(steps=-1), "steps must be"), (dict(eta=0.0), "eta must be > 0"), (dict(tau=-1.0), "tau must be > 0"),
    (dict(tau=float("nan")), "tau must be finite"), (dict(eta=float("inf")), "eta must be finite"),
    (dict(N=2.5), "N must be an integer"), (dict(model="bn"), "choose one of vanilla, bn-paper, bn-exact, bn-full"),
    (dict(model="bn-fast"), "unknown model 'bn-fast'; choose one of vanilla, bn-paper, bn-exact, bn-full"),
    (dict(normalizer="layer"), "unknown normalizer"), (dict(method="fast"), "unknown method"),
    (dict(method="order", N=3), "N >= K \\+ M"), (dict(model="bn-full", b=1), "b >= 2"),
    (dict(model="bn-exact", b=4, test_size=6), "multiple of b"), (dict(seeds=0), "seeds must be"),
    (dict(record=[5, 500]), "record steps"), (dict(stop_below=float("nan")), "stop_below must be finite"),
])
def test_bad_input_is_a_clear_error(kwargs, match):
    args = dict(model="vanilla", N=10, K=2, M=2, steps=100)
    args.update(kwargs)
    with pytest.raises(ParameterError, match=match):
        simulate(args.pop("model"), args.pop("K"), args.pop("M"), **args)


def test_progress_callback_bar_and_interrupt(monkeypatch):
    calls = []
    simulate("vanilla", 2, 2, N=10, steps=300, every=100, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (300, 300) and all(t == 300 for _, t in calls)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    simulate("vanilla", 2, 2, N=10, steps=100, progress=True)
    assert "100/100" in err.getvalue() and err.getvalue().endswith("\n")

    def stop(done, total):
        if done >= 128:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        simulate("vanilla", 2, 2, N=10, steps=1000, progress=stop)


# ----------------------------------------------------------------------------- plateau

def test_plateau_rule():
    alpha = np.arange(6.0)
    eps = np.array([[0.5, 0.1, 0.1, 0.1, 0.04, 0.01],
                    [0.5, 0.1, 0.1, 0.1, 0.06, 0.05],
                    [0.5, 0.2, 0.2, 0.2, 0.2, 0.2]])
    p = plateau(alpha, eps, height=0.1)
    np.testing.assert_array_equal(p.exit_alpha, [4.0, np.inf, np.inf])  # strictly below 0.05
    p = plateau(alpha, eps, window=(1, 3))
    np.testing.assert_array_equal(p.height, [0.1, 0.1, 0.2])
    np.testing.assert_array_equal(p.exit_alpha, [4.0, np.inf, np.inf])
    p = plateau(alpha, eps, window=(1, 3), fraction=0.7)
    np.testing.assert_array_equal(p.exit_alpha, [4.0, 4.0, np.inf])
    with pytest.raises(ParameterError):
        plateau(alpha, eps)
    with pytest.raises(ParameterError):
        plateau(alpha, eps, window=(10, 20))

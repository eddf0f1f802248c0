"""Exact order-parameter sampler: algebra, Wishart draws, and agreement in distribution with the direct simulation.

Statistical tests use fixed seeds (deterministic). Each block of comparisons has a stated
family-wise level of 1% (Bonferroni: each p-value must exceed 0.01 / number of tests),
so a correct sampler fails a given block with probability <= 1% over seed choices.
"""
import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from scipy.special import erf

from symbn import models
from symbn.errors import ParameterError
from symbn.numeric.sgd.engines import DirectEngine, Training
from symbn.numeric.kernels.orderparams import eps_g
from symbn.numeric.analysis.plateau import plateau
from symbn.numeric.sgd.rules import coefficients
from symbn.numeric.sgd.sampler import OrderEngine, WishartFactor, gram_update, psd_factor
from symbn.numeric.sgd.simulate import simulate

CASES = [(m, n) for m in models.names("simulate") for n in (("batch",) if m == "vanilla" else ("batch", "population"))]
LEVEL = 0.01


def _state(seed, K, M, N):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((K + M, N)) / math.sqrt(N)


@pytest.mark.parametrize("model,normalizer", CASES)
@pytest.mark.parametrize("b", [1, 2, 5])
def test_gram_update_is_exact_given_the_batch(model, normalizer, b):
    """Feeding the real projections and c^T (xi xi^T) c into gram_update reproduces the Gram
    matrix of the direct update to 1e-12 (relative): the update algebra is exact."""
    if model == "bn-full" and normalizer == "batch" and b == 1:
        pytest.skip("bn-full batch normaliser needs b >= 2")
    N, K, M, tau, eta = 11, 3, 2, 1.3, 2.0
    V = _state(1, K, M, N)[None]
    rng = np.random.default_rng(2)
    g, beta = 1 + 0.2 * rng.standard_normal((1, K)), 0.3 * rng.standard_normal((1, K))
    eng = DirectEngine(models.get(model), normalizer, V, tau, eta, b, g, beta, K, [np.random.default_rng(3)], None)
    xi = np.random.default_rng(3).standard_normal((1, b, N)) * math.sqrt(tau)
    proj = xi @ V.swapaxes(-1, -2)
    u = coefficients(models.get(model), normalizer, proj, K, g, beta, (V[:, :K] ** 2).sum(-1), tau)
    ct = u.c.swapaxes(-1, -2)
    cGc = ct @ xi @ xi.swapaxes(-1, -2) @ u.c
    G = V @ V.swapaxes(-1, -2)
    got = gram_update(G, proj, u, cGc, K, eta / N)
    eng.step()
    want = eng.gram()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # Degenerate batch statistics: bn-exact with b = 1 (xhat = sign x) and bn-full with b = 2
    # (centred xhat = +-1) make h independent of J, so the exact J-gradient vanishes.
    degenerate = normalizer == "batch" and ((model == "bn-exact" and b == 1) or (model == "bn-full" and b == 2))
    assert np.allclose(got, G, rtol=1e-13, atol=1e-15) == degenerate


@pytest.mark.parametrize("k,n", [(2, 7), (3, 2), (1, 4)])
def test_wishart_factor_distribution(k, n):
    """A A^T ~ Wishart_k(n, I): for unit v, v^T A A^T v ~ chi2(n). KS on 4000 draws for the
    coordinate axes and (e_i +- e_j)/sqrt 2 (all entries enter), Bonferroni at 1%. Covers the
    Bartlett path (n >= k) and the Gaussian path (n < k)."""
    wf = WishartFactor(k, n, [np.random.default_rng(10)], [np.random.default_rng(11)])
    W = np.array([(lambda A: A @ A.swapaxes(-1, -2))(wf.next())[0] for _ in range(4000)])
    dirs = [np.eye(k)[i] for i in range(k)]
    dirs += [(np.eye(k)[i] + s * np.eye(k)[j]) / math.sqrt(2) for i in range(k) for j in range(i) for s in (1, -1)]
    pvals = [stats.kstest(np.einsum("i,sij,j->s", v, W, v), stats.chi2(n).cdf).pvalue for v in dirs]
    assert min(pvals) > LEVEL / len(pvals), pvals


def test_psd_factor_handles_singular_matrices():
    G = np.array([[[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.5], [0.5, 1.0]]])
    L = psd_factor(G)
    np.testing.assert_allclose(L @ L.swapaxes(-1, -2), G, atol=1e-12)


def test_psd_factor_is_cholesky_and_semidefinite_cholesky_where_a_pivot_vanishes():
    # a Gram matrix of 5 vectors spanning 3 dimensions (a student that has learned its teacher is
    # such a matrix), next to positive definite ones in the same batch
    rng = np.random.default_rng(4)
    V = rng.standard_normal((5, 30))
    V[3], V[4] = V[0], 0.6 * V[1] - 0.8 * V[2]
    singular = V @ V.T / 30
    pd = [A @ A.T / 30 for A in rng.standard_normal((2, 5, 30))]
    G = np.stack([pd[0], singular, pd[1]])
    L = psd_factor(G)
    for s in (0, 2):                                    # untouched: LAPACK's factor, bit for bit
        assert np.array_equal(L[s], np.linalg.cholesky(G[s]))
    assert np.allclose(np.triu(L[1], 1), 0.0) and np.sum(np.diagonal(L[1]) > 0) == 3
    np.testing.assert_allclose(L[1] @ L[1].T, singular, rtol=0, atol=1e-13 * singular.max())
    assert np.allclose(L[1][:, 3:], 0.0)                # columns of the dependent directions are zero


def _engines(model, normalizer, N, K, M, b, tau, eta, S, seed=0, training=Training()):
    """Direct and order engines started from the same state, S independent replicas each
    (``training``: a learned second layer, output noise, weight decay; w starts away from 1)."""
    V = np.broadcast_to(_state(seed, K, M, N), (S, K + M, N))
    rng = np.random.default_rng(seed + 1)
    g = np.broadcast_to(1 + 0.3 * rng.standard_normal(K), (S, K))
    beta = np.broadcast_to(0.2 * rng.standard_normal(K), (S, K))
    w = np.broadcast_to(1 + 0.3 * rng.standard_normal(K), (S, K))
    v = 1 + 0.3 * rng.standard_normal(M)
    ss = np.random.SeedSequence(seed + 2).spawn(6 * S)
    r = [np.random.default_rng(s) for s in ss]
    model = models.get(model)
    kw = dict(training=training, w=w, v=v) if training != Training() else {}
    direct = DirectEngine(model, normalizer, V, tau, eta, b, g, beta, K, r[:S], None, label_rngs=r[4 * S:5 * S], **kw)
    order = OrderEngine(model, normalizer, V @ V.swapaxes(-1, -2), N, K, tau, eta, b, g, beta, r[S:2 * S],
                        None, r[2 * S:3 * S], r[3 * S:4 * S], label_rngs=r[5 * S:], **kw)
    return direct, order


def _summaries(eng, K):
    G = eng.gram()
    cols = [G[:, 0, 0], G[:, 0, 1], G[:, 0, K], G[:, 1, K + 1], G[:, 0, K + 1]]
    if eng.model.normalized:
        cols.append(eng.g[:, 0])
    if eng.model.centered:
        cols.append(eng.beta[:, 1])
    if eng.training.eta_w > 0:
        cols += [eng.w[:, 0], eng.w[:, 1]]
    return cols


@pytest.mark.parametrize("model,normalizer,N,b,steps", [
    ("vanilla", "batch", 6, 3, 1), ("vanilla", "batch", 6, 1, 15), ("vanilla", "batch", 5, 3, 1),
    ("bn-paper", "batch", 6, 3, 15), ("bn-paper", "population", 6, 1, 15),
    ("bn-exact", "batch", 6, 3, 1), ("bn-exact", "batch", 6, 3, 15), ("bn-exact", "population", 6, 2, 15),
    ("bn-full", "batch", 6, 3, 15), ("bn-full", "population", 7, 4, 15),
])
def test_few_steps_from_a_common_state_agree_in_distribution(model, normalizer, N, b, steps):
    """From one state (small N, large eta, so the Wishart remainder and the N-dependence matter),
    3000 replicas per method: two-sample KS on Q_11, Q_12, R_11, R_22, R_12 (and g_1, beta_2)
    after 1 or 15 steps, Bonferroni at 1%. N = 5 = K+M+1 exercises the N - r < K' Wishart path."""
    direct, order = _engines(model, normalizer, N, 2, 2, b, 1.2, 3.0, 3000)
    for _ in range(steps):
        direct.step()
        order.step()
    pvals = [stats.ks_2samp(a, o).pvalue for a, o in zip(_summaries(direct, 2), _summaries(order, 2))]
    assert min(pvals) > LEVEL / len(pvals), pvals


NETWORK = Training(eta_w=2.0, noise=0.7, weight_decay=0.5)


@pytest.mark.parametrize("model,normalizer,activation", [("vanilla", "batch", "erf"), ("bn-exact", "population", "erf"),
                                                         ("bn-paper", "batch", "linear")])
def test_general_network_steps_agree_in_distribution(model, normalizer, activation):
    """As above with a learned second layer (eta_w = 2), teacher v != 1, output noise sigma = 0.7 and
    weight decay 0.5: the noise is one more Gaussian per sample, w moves with the projections; 15 steps,
    3000 replicas, KS on Q, R, g and w_1, w_2, Bonferroni at 1%."""
    direct, order = _engines(model, normalizer, 6, 2, 2, 3, 1.2, 1.5 if activation == "erf" else 0.4, 3000,
                             training=dataclasses.replace(NETWORK, activation=activation))
    for _ in range(15):
        direct.step()
        order.step()
    pvals = [stats.ks_2samp(a, o).pvalue for a, o in zip(_summaries(direct, 2), _summaries(order, 2))]
    assert min(pvals) > LEVEL / len(pvals), pvals


def test_the_few_step_test_detects_missing_output_noise():
    """Power: the order sampler without the label noise is rejected by the same test."""
    direct, order = _engines("vanilla", "batch", 6, 2, 2, 3, 1.2, 1.5, 3000, training=NETWORK)
    order.label = None
    for _ in range(15):
        direct.step()
        order.step()
    pvals = [stats.ks_2samp(a, o).pvalue for a, o in zip(_summaries(direct, 2), _summaries(order, 2))]
    assert min(pvals) < LEVEL / len(pvals)


def test_the_few_step_test_detects_a_wrong_wishart_dimension(monkeypatch):
    """Power check: a sampler that uses N instead of N - (K+M) remainder dimensions fails the
    test above (so it is not vacuous)."""
    direct, order = _engines("vanilla", "batch", 6, 2, 2, 3, 1.2, 3.0, 3000)
    order.wishart = WishartFactor(2, 6, [np.random.default_rng(1)], [np.random.default_rng(2)])
    direct.step()
    order.step()
    pvals = [stats.ks_2samp(a, o).pvalue for a, o in zip(_summaries(direct, 2), _summaries(order, 2))]
    assert min(pvals) < LEVEL / len(pvals)


LONG = [("vanilla", "batch"), ("bn-paper", "batch"), ("bn-exact", "batch"), ("bn-full", "batch"),
        ("bn-exact", "population")]


@pytest.mark.parametrize("model,normalizer", LONG)
def test_long_runs_agree_in_distribution(model, normalizer):
    """40 seeds per method (independent base seeds), N = 40, K = M = 2, tau = 1, eta = 1.5, b = 4,
    alpha up to 150 (6000 steps). At alpha = 25, 75, 150: Welch t-test (mean), Brown-Forsythe
    (spread) and two-sample KS (distribution) of eps_g; plateau exit time (height = median eps_g
    over alpha in [5, 15], exit = first alpha below half of it, censored at the run's end) by
    Mann-Whitney U. 10 tests, Bonferroni at family-wise 1%."""
    kw = dict(b=4, eta=1.5, seeds=40, every=100, normalizer=normalizer)
    d = simulate(model, 2, 2, N=40, steps=6000, method="direct", seed=101, **kw)
    o = simulate(model, 2, 2, N=40, steps=6000, method="order", seed=202, **kw)
    pvals = []
    for a in (25, 75, 150):
        j = int(np.flatnonzero(d.alpha == a)[0])
        x, y = d.eps_g[:, j], o.eps_g[:, j]
        pvals += [stats.ttest_ind(x, y, equal_var=False).pvalue,
                  stats.levene(x, y, center="median").pvalue,
                  stats.ks_2samp(x, y).pvalue]
    ex = [np.minimum(plateau(t.alpha, t.eps_g, window=(5, 15)).exit_alpha, 1e9) for t in (d, o)]
    pvals.append(stats.mannwhitneyu(*ex).pvalue)
    assert min(pvals) > LEVEL / len(pvals), np.round(pvals, 4)


def test_order_method_errors():
    with pytest.raises(ParameterError, match="N >= K \\+ M"):
        simulate("vanilla", 3, 2, N=4, steps=10, method="order")
    with pytest.raises(ParameterError, match="N >= K \\+ M"):
        OrderEngine(models.get("vanilla"), "batch", np.eye(5)[None], 4, 3, 1.0, 1.0, 1, np.ones((1, 3)), np.zeros((1, 3)),
                    [None], [None], [None], [None])


def test_test_set_estimate_matches_population_error():
    """Population normaliser: the order engine's test-set estimate (fresh inputs through their
    projections) on 2e5 inputs agrees with the population eps_g within 4 standard errors. The
    standard error is the sample one, std(l) / sqrt(P) of the per-sample loss l = (t - s)^2 / 2,
    estimated from P independent inputs drawn here from each seed's final state. Power: eps_g
    without the BN scales (the vanilla forward map) is rejected on every seed."""
    P = 200_000
    tau = 1.0
    tr = simulate("bn-exact", 2, 2, N=30, steps=300, normalizer="population", seeds=3, every=300, test_size=P)
    rng = np.random.default_rng(4)
    K = 2
    for s in range(3):
        G, g = np.block([[tr.Q[s, -1], tr.R[s, -1]], [tr.R[s, -1].T, tr.T[s, -1]]]), tr.g[s, -1]
        z = rng.standard_normal((P, 2 * K)) @ np.linalg.cholesky(tau * G).T
        h = g * z[:, :K] / np.sqrt(tau * np.diag(G)[:K])
        loss = 0.5 * (erf(z[:, K:] / math.sqrt(2)).sum(1) - erf(h / math.sqrt(2)).sum(1)) ** 2
        se = loss.std(ddof=1) / math.sqrt(P)
        assert abs(tr.eps_test[s, -1] - tr.eps_g[s, -1]) < 4 * se
        wrong = eps_g(tr.Q[s, -1], tr.R[s, -1], tr.T[s, -1], tau)
        assert abs(tr.eps_test[s, -1] - wrong) > 10 * se

"""The compiled order-sampler loop (symbn.numeric.sgd.compiled) against the NumPy reference
(OrderEngine.step, fast=False) on the same random numbers, and in distribution where the two may
take different square roots of a singular c^T c."""
import warnings

import numpy as np
import pytest
from scipy import stats

from symbn.numeric.sgd import sampler
from symbn.numeric.sgd.noise import Noise
from symbn.numeric.sgd.simulate import simulate

pytest.importorskip("symbn.numeric.sgd.compiled")

NET = dict(eta_w=0.5, noise=0.3, weight_decay=0.1, w=[0.8, 1.2], v=[1.1, 0.9, 1.0])


def both(model, M=3, K=2, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # the degenerate batch-of-one BN cases are included on purpose
        return [simulate(model, K, M, fast=f, **kw) for f in (True, False)]


def worst(a, r):
    """Largest difference of any recorded order parameter, relative to max(1, |value|)."""
    return max(np.max(np.abs(a.state[k] - r.state[k]) / np.maximum(1.0, np.abs(r.state[k]))) for k in r.state)


@pytest.mark.parametrize("model", ["vanilla", "bn-paper", "bn-exact"])
@pytest.mark.parametrize("normalizer", ["batch", "population"])
@pytest.mark.parametrize("activation", ["erf", "linear", "relu"])
def test_same_path_as_the_reference_when_b_le_K(model, normalizer, activation):
    # b <= K: the Wishart factor is c^T itself, no square root to choose: the same path up to
    # round-off. 1e-8: bn-paper with one-sample batch statistics and phi linear lets |J|^2 grow
    # to ~1e3 in 300 steps, amplifying round-off to 4e-9 (every other case: < 1e-12).
    for b in (1, 2):
        a, r = both(model, N=40, steps=300, tau=1.3, eta=0.7, b=b, normalizer=normalizer, seeds=2, seed=5,
                    activation=activation, every=100, **NET)
        assert worst(a, r) < 1e-8


@pytest.mark.parametrize("model", ["vanilla", "bn-paper", "bn-exact", "bn-full"])
@pytest.mark.parametrize("b", [5, 20])
def test_same_path_as_the_reference_for_erf_with_b_gt_K(model, b):
    # erf: c^T c is positive definite, both take its Cholesky factor; b = 20 >= BLAS_BATCH: the loop's
    # batch products by BLAS
    from symbn.numeric.sgd import compiled as compiled_sampler

    assert 5 < compiled_sampler.BLAS_BATCH <= 20
    net = {} if model == "bn-full" else NET
    for normalizer in ("batch", "population"):
        a, r = both(model, M=2 if model == "bn-full" else 3, N=40, steps=300, tau=1.3, eta=0.7, b=b,
                    normalizer=normalizer, seeds=2, seed=5, every=100, **net)
        assert worst(a, r) < 1e-10


def test_psd_factor_same_as_the_reference_on_singular_and_near_singular_matrices():
    from symbn.numeric.sgd import compiled as compiled_sampler

    rng = np.random.default_rng(7)
    for eps in (0.0, 1e-15, 1e-9, 1e-3):              # exactly dependent, below / above the pivot tolerance
        V = rng.standard_normal((4, 50))
        V[3] = V[0] - 0.5 * V[1] + eps * rng.standard_normal(50)
        G = V @ V.T / 50
        ref, got = sampler.psd_factor(G[None])[0], np.empty((4, 4))
        compiled_sampler.psd_factor(G, got, sampler.PIVOT_TOL)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(got @ got.T, G, rtol=0, atol=1e-12)


def test_same_path_as_the_reference_through_convergence():
    # K = M = 1 has no plateau to amplify round-off: the student learns its teacher to eps_g ~ 1e-14,
    # so Gamma becomes singular to round-off and both take the semidefinite Cholesky (the factor
    # of the dependent direction is round-off / sqrt(pivot tolerance) ~ 3e-10 relative, hence 1e-6).
    for b in (1, 3):
        a, r = both("vanilla", M=1, K=1, N=20, steps=6000, tau=1.0, eta=1.0, b=b, seeds=2, seed=3, every=500)
        assert np.all(a.eps_g[:, -1] < 1e-12) and np.all(r.eps_g[:, -1] < 1e-12)
        schur = (a.Q - a.R ** 2 / a.T)[..., 0, 0] / a.Q[..., 0, 0]      # Gamma's last pivot, relative
        assert np.sum(schur < 3 * sampler.PIVOT_TOL) >= 4               # the semidefinite branch ran
        assert worst(a, r) < 1e-6


def test_singular_ctc_same_distribution_as_the_reference_with_power(monkeypatch):
    # linear phi: c_ui = delta_u w_i, so c^T c has rank 1 and its factor is defined up to a rotation:
    # the paths differ, the distributions must not. eps_g after 60 steps, 400 seeds each from
    # different base seeds, two-sample KS at 1 %. Power: the reference without the c^T W c term (the
    # part that uses the factor) is rejected by the same test (p ~ 1e-100).
    kw = dict(N=30, steps=60, tau=1.0, eta=0.8, b=4, seeds=400, activation="linear", every=60)
    fast = simulate("vanilla", 2, 2, fast=True, seed=1, **kw).eps_g[:, -1]
    ref = simulate("vanilla", 2, 2, fast=False, seed=2, **kw).eps_g[:, -1]
    monkeypatch.setattr(sampler.WishartFactor, "next", lambda self: None)
    wrong = simulate("vanilla", 2, 2, fast=False, seed=3, **kw).eps_g[:, -1]
    assert stats.ks_2samp(fast, ref).pvalue > 0.01
    assert stats.ks_2samp(fast, wrong).pvalue < 0.01


def test_noise_take_gives_the_numbers_of_next():
    make = lambda: Noise([np.random.default_rng(s) for s in (1, 2)], (3,), max_block=7)  # noqa: E731
    a, b = make(), make()
    taken = np.concatenate([a.take(5), a.take(11), a.take(1)], axis=1)
    stepped = np.stack([b.next() for _ in range(17)], axis=1)
    assert np.array_equal(taken, stepped)


def test_one_compiled_signature_for_every_run():
    # every run hands the loop arrays of the same layout, so numba compiles it once (~18 s) and loads it
    # from its cache afterwards; a broadcast w had made an F-ordered copy and a second compilation
    from symbn.numeric.sgd import compiled as compiled_sampler

    before = len(compiled_sampler.steps.signatures)
    for K, M, S, net in ((2, 2, 1, {}), (5, 3, 4, dict(w=[0.5, 1, 1, 1, 2])), (3, 2, 3, dict(eta_w=0.5, noise=0.1))):
        simulate("bn-exact", K, M, N=30, steps=3, b=4, seeds=S, **net)
    assert len(compiled_sampler.steps.signatures) == max(before, 1)


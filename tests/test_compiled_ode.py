"""The compiled right-hand side (symbn.numeric.ode.compiled) against the NumPy reference (System with
fast=False), for every model, activation with a compiled path and network option; its asin against
NumPy's; the parallel path; and the same domain failures."""
import numpy as np
import pytest

from symbn.errors import ParameterError
from symbn.numeric.ode import initial
from symbn.numeric.ode import full as ode
from symbn.numeric.ode.system import FAST_ACTIVATIONS, System

compiled = pytest.importorskip("symbn.numeric.ode.compiled")


def test_asin_is_within_two_ulp_of_numpy():
    # fdlibm's rational approximation: ~1 ulp; 2 ulp allows the branch x > 1/2 (pi/2 - 2 (s + s R)).
    x = np.concatenate([np.linspace(-1, 1, 400_001), [0.5, -0.5, np.nextafter(0.5, 1), 1e-300, -0.0, 1.0, -1.0]])
    got, ref = compiled.asin_array(x), np.arcsin(x)
    assert np.all(np.abs(got - ref) <= 2 * np.spacing(np.abs(ref)))
    assert got[-1] == -np.pi / 2 and got[-2] == np.pi / 2


def pair(model, K, M, activation, rng, **net):
    init = initial.random(K, M, N=1000, seed=3)
    kw = dict(tau=1.7, eta=0.8, b=3, activation=activation, **net)
    fast, ref = (System(model, K, M, init.T, fast=f, **kw) for f in (True, False))
    g = rng.uniform(0.7, 1.3, K) if fast.model.normalized else None
    return fast, ref, fast.pack(init.Q, init.R, g)


@pytest.mark.parametrize("model", ["vanilla", "bn-paper", "bn-exact"])
@pytest.mark.parametrize("activation", ["erf", "linear"])
@pytest.mark.parametrize("K,M", [(1, 1), (2, 2), (3, 5), (7, 4)])
def test_compiled_rhs_equals_the_reference(model, activation, K, M):
    rng = np.random.default_rng(K * 10 + M)
    nets = [{}, dict(w=rng.uniform(0.5, 1.5, K), v=rng.uniform(0.5, 1.5, M), eta_w=0.3, noise=0.4, weight_decay=0.05)]
    for net in nets:
        fast, ref, y = pair(model, K, M, activation, rng, **net)
        assert fast._fast is not None and ref._fast is None
        got, want = fast(0.0, y), ref(0.0, y)
        # 1e-12 of the largest component: both sum the same terms in a different order (observed 1e-15)
        assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))


@pytest.mark.parametrize("model", ["vanilla", "bn-paper", "bn-exact"])
def test_compiled_flow_and_parts_equal_the_reference(model):
    # flow (eta -> 0, rho wdrift) and parts (first, second): what the Jacobians, eta_max and the
    # plateau-length exits differentiate and integrate; the same 1e-12 criterion
    rng = np.random.default_rng(5)
    for activation in ("erf", "linear"):
        for net in ({}, dict(w=rng.uniform(0.5, 1.5, 3), v=rng.uniform(0.5, 1.5, 2), eta_w=0.3, noise=0.4)):
            fast, ref, y = pair(model, 3, 2, activation, rng, **net)
            pairs = [(fast.flow(y, rho), ref.flow(y, rho)) for rho in (0.0, 0.6)] + list(zip(fast.parts(y), ref.parts(y)))
            for got, want in pairs:
                assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))
            assert not np.allclose(pairs[0][1], pairs[1][1]) or not net     # rho matters with a learned w


def test_the_parallel_pair_loop_equals_the_reference():
    fast, ref, y = pair("bn-exact", 24, 26, "erf", np.random.default_rng(0), noise=0.2)
    assert fast.nq * fast.L * (fast.L + 1) // 2 > compiled.PARALLEL_WORK
    got, want = fast(0.0, y), ref(0.0, y)
    assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))


def test_outside_the_domain_both_paths_fail_with_the_same_reason():
    for bad in ("correlation", "negative", "nan"):
        fast, ref, y = pair("vanilla", 2, 2, "erf", np.random.default_rng(1))
        y = y.copy()
        if bad == "correlation":
            y[1] = 2.0 * np.sqrt(y[0] * y[2])          # Q_01^2 > Q_00 Q_11
        elif bad == "negative":
            y[0] = -0.1
        else:
            y[3] = np.nan
        assert np.all(np.isnan(fast(0.0, y))) and np.all(np.isnan(ref(0.0, y)))
        assert fast.last_failure == ref.last_failure is not None


def test_relu_has_no_compiled_path():
    init = initial.random(2, 2, N=100, seed=0)
    assert System("vanilla", 2, 2, init.T, activation="relu")._fast is None
    with pytest.raises(ParameterError, match="compiled"):
        System("vanilla", 2, 2, init.T, activation="relu", fast=True)


def test_fast_activations_are_the_compiled_codes():
    assert set(FAST_ACTIVATIONS) == set(compiled.CODES)


def test_an_integration_is_unchanged_by_the_compiled_path():
    kw = dict(K=3, M=3, tau=1.0, eta=0.5, b=1, times=np.linspace(0, 100, 11), N=500, seed=2)
    fast, ref = (ode.integrate("bn-exact", **kw, fast=f) for f in (True, False))
    # the solver takes the same steps: differences are round-off carried through 100 time units
    assert np.allclose(fast.eps_g, ref.eps_g, rtol=1e-9, atol=0)

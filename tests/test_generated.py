"""Generated NumPy functions equal SymPy's own expressions evaluated with mpmath at 30 digits.

Tolerance 1e-12 relative: the generated code evaluates the same closed forms in
float64 (CSE'd), so agreement should be within a few hundred ulps; zero entries
must be exactly zero.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp

from symbn.generated import bn, vanilla
from symbn.symbolic import symbols as sy

GEN = {"vanilla": vanilla, "bn": bn}
GRID = [(K, tau) for K in (1, 2, 3, 7, 20, 150) for tau in (0.01, 0.5, 1.0, 3.0, 100.0)]


def mp_eval(expr, subs):
    with mpmath.workdps(30):
        exact = {k: (sp.Integer(int(v)) if k in (sy.K, sy.b) else sp.Float(v, 40)) for k, v in subs.items()}
        return sp.N(expr.xreplace(exact), 30)


def assert_close(got, ref, rtol=1e-12):
    """Relative agreement; a reference that is zero to the 30-digit evaluation's own
    cancellation noise (|ref| < 1e-25 on O(1) terms, e.g. eps_g* at K = 1) must be
    zero to float64 round-off."""
    ref = float(ref)
    if abs(ref) < 1e-25:
        assert abs(got) <= 1e-15, (got, ref)
    else:
        assert abs(got - ref) <= rtol * abs(ref), (got, ref)


@pytest.mark.parametrize("name", ["vanilla", "bn"])
def test_fixed_point_gradient_hessian(name, family):
    f, gen = family(name), GEN[name]
    K = np.array([k for k, _ in GRID], dtype=float)
    tau = np.array([t for _, t in GRID])
    fp, G, H, e = gen.fixed_point(K, tau), gen.gradient(K, tau), gen.hessian(K, tau), gen.eps_g_star(K, tau)
    assert fp.shape == (len(GRID), len(gen.STATE)) and H.shape == (len(GRID), 4, 4)
    for n, (k, t) in enumerate(GRID):
        subs = {sy.K: k, sy.tau: t}
        for j, s in enumerate(gen.STATE):
            assert_close(fp[n, j], mp_eval(f["point"][sp.Symbol(s, **sy.REDUCED[s].assumptions0)], subs))
        for i in range(4):
            assert_close(G[n, i], mp_eval(f["G"][i], subs))
            for j in range(4):
                assert_close(H[n, i, j], mp_eval(f["H"][i, j], subs))
        # eps_g* is generated in the cancellation-free form (K/pi)[asinm(a) - K asinm(a/K)],
        # so 1e-12 relative holds down to tau = 0.01 where the naive form loses 5e-12.
        assert_close(e[n], mp_eval(f["eps"].xreplace(f["point"]), subs))


@pytest.mark.parametrize("name", ["vanilla", "bn"])
def test_reduced_rhs_and_eps_g(name, family):
    f, gen = family(name), GEN[name]
    rng = np.random.default_rng(7)
    for _ in range(6):
        k = int(rng.integers(1, 12))
        state = {sy.R: rng.uniform(0.1, 0.9), sy.S: rng.uniform(-0.2, 0.4), sy.Q: rng.uniform(0.6, 1.5),
                 sy.C: rng.uniform(-0.2, 0.4), sy.g: rng.uniform(0.5, 2.0)}
        params = {sy.K: k, sy.tau: rng.uniform(0.2, 4), sy.eta: rng.uniform(0.1, 2), sy.b: int(rng.integers(1, 50))}
        subs = {**state, **params}
        args = [subs[sy.REDUCED[s]] for s in gen.STATE] + [subs[sy.K], subs[sy.tau]]
        assert_close(gen.eps_g(*args), mp_eval(f["eps"], subs))
        for fn, exprs in f["rhs"].items():
            got = getattr(gen, fn)(*args, subs[sy.eta], subs[sy.b])
            for j, ex in enumerate(exprs):
                assert_close(got[j], mp_eval(ex, subs), rtol=1e-11)


def test_outputs_broadcast_with_matrix_axes_last():
    K = np.arange(1, 5)[:, None]
    tau = np.geomspace(0.1, 10, 3)[None, :]
    assert vanilla.hessian(K, tau).shape == (4, 3, 4, 4)
    assert bn.fixed_point(K, tau).shape == (4, 3, 5)
    assert bn.gradient(2, 1.0).shape == (4,)
    H = vanilla.hessian(K, tau)
    assert np.allclose(H, np.swapaxes(H, -1, -2), rtol=0, atol=0)
    # Same numbers on a grid as point by point (up to SIMD vs scalar libm ulps).
    np.testing.assert_allclose(H[2, 1], vanilla.hessian(3, tau[0, 1]), rtol=1e-14, atol=0)


def test_asinm_helper_matches_mpmath():
    # asin(y) - y across the series/direct switch at |y| = 0.1 and down to 1e-8; 1e-13 relative
    # (the direct branch loses at most 6/y^2 <= 600 ulps).
    ys = np.concatenate([-np.geomspace(1e-8, 0.999, 300), np.geomspace(1e-8, 0.999, 300), [0.0999999, 0.1]])
    got = vanilla._asinm(ys)
    with mpmath.workdps(40):
        ref = np.array([float(mpmath.asin(mpmath.mpf(y)) - mpmath.mpf(y)) for y in ys])
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=0)

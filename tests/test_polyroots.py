"""Real roots of real-rooted quartics (symbn.numeric.symmetric.polyroots) from coefficients rounded from 50 digits.

Tolerance 1e-13 relative per root: coefficients rounded to float64 carry <= 1/2 ulp, and a
root moves by that times cond = sum_k |a_k x^k| / |x p'(x)| <= 16 / g^3 = 128 for roots with
relative gaps g >= 0.5 (the test polynomials; measured max cond 8.8), i.e. <= 1.4e-14;
1e-13 leaves room for the solver's own few-ulp rounding.
"""
import mpmath
import numpy as np
import pytest

from symbn.numeric.symmetric import polyroots


def coefficients(roots):
    """(a1..a4) of prod(x - r), at 50 digits, rounded once."""
    with mpmath.workdps(50):
        c = [mpmath.mpf(1)]
        for r in roots:
            c = [x - mpmath.mpf(r) * y for x, y in zip(c + [0], [0] + c)]
        return [float(v) for v in c[1:]]


def random_roots(rng, n):
    """n sets of 4 roots, signs random, magnitudes log-uniform over 30 decades, relative gaps >= 0.5."""
    out = []
    while len(out) < n:
        r = np.sign(rng.standard_normal(4)) * 10.0 ** rng.uniform(-25, 5, 4)
        s = np.sort(r)
        gap = np.abs(np.diff(s)) / np.maximum(np.abs(s[1:]), np.abs(s[:-1]))
        if gap.min() >= 0.5:
            out.append(s)
    return np.array(out)


def test_roots_spanning_30_decades_are_accurate_to_ulps():
    roots = random_roots(np.random.default_rng(0), 2000)
    a = np.array([coefficients(r) for r in roots])
    got, ok = polyroots.quartic(a)
    assert ok.all()
    rel = np.abs(got - roots) / np.abs(roots)
    assert rel.max() <= 1e-13, rel.max()


def test_hessian_like_spectra():
    # the shapes met in practice: one large root and a cluster of tiny ones (BN, K = 1000, tau = 1e-3),
    # and two roots of equal size and opposite sign (vanilla, large K)
    for roots in ([-6.3e-4, -6.3e-19, -3.2e-25, 6.4e5], [-0.45, -1.6e-7, -6.3e-10, 0.449]):
        got, ok = polyroots.quartic(np.array(coefficients(roots)))
        assert ok and np.all(np.abs(got - roots) <= 1e-13 * np.abs(roots)), got


def test_exact_zero_roots_stay_exact():
    # p = x^2 (x + 2)(x - 3) and x (x + 1)(x + 5)(x - 7): exact zeros, no negative zero
    for roots in ([-2.0, 0.0, 0.0, 3.0], [-5.0, -1.0, 0.0, 7.0]):
        got, ok = polyroots.quartic(np.array(coefficients(roots)))
        assert ok and np.array_equal(got, roots) and not np.signbit(got[roots.index(0.0)])


def test_multiple_roots_are_flagged():
    # near-double and double roots: ill conditioned in the coefficients (cond ~ 1e9 and infinite)
    for roots in ([-1.0, 1.0, 1.0 + 1e-9, 4.0], [-1.0, 2.0, 2.0, 3.0], [-1.0, 1.0, 1.2, 4.0]):
        _, ok = polyroots.quartic(np.array(coefficients(roots)))
        assert not ok
    # relative gap 0.25 is the limit: cond <= 16 / 0.25^3 = 1024
    _, ok = polyroots.quartic(np.array(coefficients([-1.0, 1.0, 1.34, 4.0])))
    assert ok


def test_cubic_and_seeds_are_normwise_accurate():
    rng = np.random.default_rng(1)
    r = np.sort(rng.uniform(-10, 10, (500, 3)), axis=-1)
    b = np.stack([-r.sum(-1), r[:, 0] * r[:, 1] + r[:, 0] * r[:, 2] + r[:, 1] * r[:, 2], -r.prod(-1)], -1)
    got = np.sort(polyroots.cubic(*b.T).T, axis=-1)
    # normwise, not relative; sqrt(eps) near-double roots of the trigonometric form
    assert np.all(np.abs(got - r) <= 1e-6 * np.abs(r).max(axis=-1, keepdims=True))
    roots = random_roots(rng, 500)
    a = np.array([coefficients(x) for x in roots]).T
    seeds = polyroots.quartic_seeds(*a)
    # what quartic() relies on: the largest-magnitude seed is accurate (measured 2.3e-15 relative) ...
    big = roots[np.arange(len(roots)), np.argmax(np.abs(roots), axis=-1)]
    assert seeds.shape == (4, len(roots))
    assert np.all(np.abs(polyroots._largest(seeds) - big) <= 1e-13 * np.abs(big))
    # ... while a cluster of m tiny roots is only resolved to eps^(1/m) x max|x| (6e-6 for m = 3)
    err = np.abs(np.sort(seeds.T, axis=-1) - roots).max(axis=-1) / np.abs(roots).max(axis=-1)
    assert err.max() <= 1e-5, err.max()


@pytest.mark.parametrize("shape", [(), (3,), (2, 5)])
def test_broadcasting(shape):
    roots = np.array([-3.0, -0.5, 1e-3, 2.0])
    a = np.broadcast_to(np.array(coefficients(roots)), shape + (4,))
    got, ok = polyroots.quartic(a)
    assert got.shape == shape + (4,) and ok.shape == shape and ok.all()
    assert np.all(np.abs(got - roots) <= 1e-13 * np.abs(roots))

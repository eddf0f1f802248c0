"""ReLU's I4 where two arguments are exactly proportional with a factor other than 1 (the merged-block
branch of ``relu._reduce``), against Monte Carlo of the literal average.

I4 = <H(u) H(v) relu(w) relu(z)> over a singular 4 x 4 covariance: one argument is lambda times another
(lambda > 0, drawn at random), the rest a random positive-definite block. Monte Carlo draws the
non-degenerate part and builds the proportional argument exactly, so it never touches the kernel's
reduction. Tolerance: 5 standard errors of the sample mean (n = 400,000; SE ~ 1e-3 of the value),
where an inverted merged-block factor sqrt(d2/d3) moves I4 by O(1) (0.975 -> 0.244 at w = 2z).
"""
import numpy as np
import pytest

import symbn

# (which argument is proportional, to which): u..z = 0..3
PATTERNS = [(3, 2), (1, 0), (3, 0), (2, 1)]


def _case(pattern, seed):
    rng = np.random.default_rng(seed)
    dep, src = pattern
    free = [a for a in range(4) if a != dep]
    A = rng.normal(size=(3, 3))
    S = A @ A.T + 0.3 * np.eye(3)                 # covariance of the three free arguments
    lam = float(rng.uniform(0.3, 3.0))
    if abs(lam - 1) < 0.2:
        lam += 0.5
    P = np.zeros((4, 3))                          # the four arguments as linear maps of the free ones
    for k, a in enumerate(free):
        P[a, k] = 1.0
    P[dep] = lam * P[src]
    return P @ S @ P.T, S, P, lam


def _monte_carlo(S, P, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.multivariate_normal(np.zeros(3), S, size=n) @ P.T    # (n, 4): u, v, w, z
    f = (x[:, 0] > 0) * (x[:, 1] > 0) * np.maximum(x[:, 2], 0) * np.maximum(x[:, 3], 0)
    return f.mean(), f.std(ddof=1) / np.sqrt(n)


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("seed", [1, 2])
def test_relu_I4_with_proportional_arguments_matches_monte_carlo(pattern, seed):
    C, S, P, lam = _case(pattern, seed)
    iu = np.triu_indices(4, 1)
    value = float(symbn.kernels("relu").I4(*np.diagonal(C), *C[iu]))
    mc, se = _monte_carlo(S, P, 400_000, 100 + seed)
    assert se < 0.01 * max(abs(mc), 1e-3) + 1e-4          # the check is sharp enough to mean something
    assert abs(value - mc) < 5 * se, (pattern, lam, value, mc, se)


"""Hessian and gradient of eps_g at the fixed point against finite differences.

The reference is independent of SymPy's differentiation: central differences of
the reduced eps_g evaluated with mpmath at 40 digits, step h = 1e-12, so the
truncation error O(h^2) ~ 1e-24 and rounding ~ 1e-40 / h^2 ~ 1e-16 are far
below the 1e-12 relative tolerance.
"""
import mpmath
import numpy as np
import pytest
import sympy as sp

from symbn.generated import bn, vanilla
from symbn.symbolic import symbols as sy

GEN = {"vanilla": vanilla, "bn": bn}


@pytest.mark.parametrize("name", ["vanilla", "bn"])
@pytest.mark.parametrize("K,tau", [(1, 1.0), (2, 1.0), (3, 0.2), (10, 5.0), (50, 1.0)])
def test_hessian_matches_finite_differences(name, K, tau, family):
    f, gen = family(name), GEN[name]
    omega = f["omega"]
    fn = sp.lambdify(omega + (sy.K, sy.tau), f["eps_hess"], modules="mpmath")
    with mpmath.workdps(40):
        x0 = [mpmath.mpf(v) for v in gen.fixed_point(K, tau)[[gen.STATE.index(str(s)) for s in omega]]]
        # Use the exact fixed point (float64 -> 40 digits would leave 1e-17 offsets; harmless at 1e-12).
        h = mpmath.mpf("1e-12")

        def e(dx):
            return fn(*[x + d for x, d in zip(x0, dx)], K, mpmath.mpf(tau))

        def unit(i, s):
            return [s * h if k == i else 0 for k in range(4)]

        grad = [(e(unit(i, 1)) - e(unit(i, -1))) / (2 * h) for i in range(4)]
        hess = [[(e([a + c for a, c in zip(unit(i, 1), unit(j, 1))])
                  - e([a + c for a, c in zip(unit(i, 1), unit(j, -1))])
                  - e([a + c for a, c in zip(unit(i, -1), unit(j, 1))])
                  + e([a + c for a, c in zip(unit(i, -1), unit(j, -1))])) / (4 * h * h)
                 for j in range(4)] for i in range(4)]
    G, H = gen.gradient(K, tau), gen.hessian(K, tau)
    scale = max(abs(float(v)) for row in hess for v in row)
    for i in range(4):
        assert float(grad[i]) == pytest.approx(G[i], rel=1e-12, abs=1e-15 * scale)
        for j in range(4):
            assert float(hess[i][j]) == pytest.approx(H[i, j], rel=1e-10, abs=1e-13 * scale)


def test_gradient_is_not_zero_at_the_fixed_point():
    # A fixed point of the dynamics, not a stationary point of eps_g(Omega).
    for gen in (vanilla, bn):
        assert np.all(np.linalg.norm(gen.gradient(np.arange(2, 20), 1.0), axis=-1) > 1e-3)

"""Jacobian of the reduced flow at the symmetric fixed point vs finite differences of the generated RHS.

The eta^1 part of the RHS is extracted exactly as A = (rhs(eta=1) - rhs(eta=-1)) / 2 (the RHS is
eta A + eta^2 B). Central differences with h = 1e-6 in float64: truncation O(h^2 |A'''|) ~ 1e-12
and rounding ~ 1e-16 |A| / h ~ 1e-10, so 1e-7 of max |J| is a safe bound.
"""
import numpy as np
import pytest

from symbn.generated import bn, vanilla

CASES = [(2, 1.0), (3, 0.3), (5, 4.0), (10, 1.0)]
RULES = [("vanilla", vanilla.rhs, vanilla.jacobian, False),
         ("bn-paper", bn.rhs_paper, bn.jacobian_paper, True),
         ("bn-exact", bn.rhs_exact, bn.jacobian_exact, True)]


def _point(normalized, K, tau, Q0):
    return bn.fixed_point_family(K, tau, Q0) if normalized else vanilla.fixed_point(K, tau)


def _drift(rhs, x, K, tau):
    return (rhs(*x, K, tau, 1.0, 1.0) - rhs(*x, K, tau, -1.0, 1.0)) / 2


@pytest.mark.parametrize("name,rhs,jac,normalized", RULES, ids=[r[0] for r in RULES])
@pytest.mark.parametrize("K,tau", CASES)
@pytest.mark.parametrize("Q0", [0.7, 3.0])
def test_jacobian_matches_finite_differences(name, rhs, jac, normalized, K, tau, Q0):
    if not normalized and Q0 != 0.7:
        pytest.skip("vanilla has no family parameter")
    x0 = _point(normalized, K, tau, Q0)
    J = jac(K, tau, Q0) if normalized else jac(K, tau)
    n = len(x0)
    h = 1e-6
    fd = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        fd[:, j] = (_drift(rhs, x0 + e, K, tau) - _drift(rhs, x0 - e, K, tau)) / (2 * h)
    np.testing.assert_allclose(J, fd, rtol=0, atol=1e-7 * np.abs(J).max())


@pytest.mark.parametrize("Q0", [0.3, 1.0, 5.0])
def test_the_bn_family_is_stationary(Q0):
    for rhs in (bn.rhs_paper, bn.rhs_exact):
        for K, tau in CASES:
            x = bn.fixed_point_family(K, tau, Q0)
            assert np.abs(_drift(rhs, x, K, tau)).max() < 1e-13


def test_closure_member_equals_the_fixed_point():
    K, tau = np.arange(1, 30), 1.7
    g = bn.fixed_point(K, tau)[..., 4]
    np.testing.assert_allclose(bn.fixed_point_family(K, tau, 1 / g**2), bn.fixed_point(K, tau), rtol=1e-14)


def test_bn_escape_rate_is_vanilla_rate_times_effective_learning_rate():
    # Observed and asserted: the positive eigenvalue of the BN flow equals the vanilla one times
    # s*^2 = g*^2 / (tau Q0), the squared BN scale g / (sigma sqrt Q): the effective learning
    # rate of a scale-invariant unit. Tolerance 1e-7: LAPACK's nonsymmetric eigensolver on
    # matrices whose entries span ~6 decades (K = 40, tau = 0.1) loses digits of the small root.
    for K in (2, 3, 5, 10, 40):
        for tau in (0.1, 1.0, 10.0):
            lam_v = np.linalg.eigvals(vanilla.jacobian(K, tau)).real.max()
            g2 = bn.fixed_point(K, tau)[4] ** 2
            for Q0 in (0.5, 1.0, 1 / g2):
                for jac in (bn.jacobian_paper, bn.jacobian_exact):
                    lam_b = np.linalg.eigvals(jac(K, tau, Q0)).real.max()
                    assert lam_b == pytest.approx(lam_v * g2 / (tau * Q0), rel=1e-7)

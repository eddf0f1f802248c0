"""The fixed point SymPy finds satisfies the reduced ODEs, symbolically and at 30 digits."""
import mpmath
import numpy as np
import pytest
import sympy as sp

from symbn.generated import bn, vanilla
from symbn import models
from symbn.symbolic import fixedpoint
from symbn.symbolic import symbols as sy


@pytest.mark.parametrize("model", [models.get(n) for n in models.names("ode")], ids=models.names("ode"))
def test_residual_simplifies_to_zero(model, family):
    point = family("bn" if model.normalized else "vanilla")["point"]
    assert fixedpoint.residual(model, point) == [0] * len(point)


@pytest.mark.parametrize("model", [models.get(n) for n in models.names("ode")], ids=models.names("ode"))
def test_residual_vanishes_at_30_digits(model, family):
    point = family("bn" if model.normalized else "vanilla")["point"]
    lead = [fixedpoint.leading(e).xreplace(point) for e in __import__("symbn.symbolic.symmetric",
                                                                       fromlist=["rhs"]).rhs(model)]
    with mpmath.workdps(30):
        for K in (1, 2, 5, 40, 1000):
            for tau in (1e-3, 0.3, 1, 7, 1e3):
                for e in lead:
                    v = sp.N(e.xreplace({sy.K: K, sy.tau: sp.Float(tau, 40)}), 30)
                    assert abs(v) < 1e-26, (model.name, K, tau, v)


def test_saad_solla_at_tau_one():
    K = np.arange(1, 30)
    R, S, Q, C = np.moveaxis(vanilla.fixed_point(K, 1.0), -1, 0)
    np.testing.assert_allclose(Q, 1 / (2 * K - 1), rtol=1e-15)
    np.testing.assert_allclose(C, 1 / (2 * K - 1), rtol=1e-15)
    np.testing.assert_allclose(R, 1 / np.sqrt(K * (2 * K - 1)), rtol=1e-15)
    np.testing.assert_allclose(S, R, rtol=0)


def test_closed_forms_of_the_paper_section_3_2(family):
    K, tau = sy.K, sy.tau
    u = K + (K - 1) * tau
    van, bnp = family("vanilla")["point"], family("bn")["point"]
    expected_van = {sy.Q: 1 / u, sy.C: 1 / u, sy.R: 1 / sp.sqrt(K * u), sy.S: 1 / sp.sqrt(K * u)}
    expected_bn = {sy.R: sp.sqrt(u / (tau * K)), sy.S: sp.sqrt(u / (tau * K)), sy.Q: u / tau,
                   sy.C: u / tau, sy.g: sp.sqrt(tau / u)}
    kp = sp.Symbol("kp", nonnegative=True)
    for got, want in ((van, expected_van), (bnp, expected_bn)):
        for k, v in want.items():
            assert sp.simplify((got[k] - v).xreplace({K: kp + 1})) == 0


def test_bn_fixed_point_is_vanilla_in_effective_variables():
    # Same pre-activation covariances: g*^2 = tau Q*_vanilla, sqrt(tau) g* R*_bn / sqrt(Q*_bn) = tau R*_vanilla.
    K, tau = np.meshgrid(np.arange(1, 50), np.geomspace(1e-3, 1e3, 13))
    Rv, _, Qv, _ = np.moveaxis(vanilla.fixed_point(K, tau), -1, 0)
    Rb, _, Qb, _, g = np.moveaxis(bn.fixed_point(K, tau), -1, 0)
    np.testing.assert_allclose(g**2, tau * Qv, rtol=1e-13)
    np.testing.assert_allclose(np.sqrt(tau) * g * Rb / np.sqrt(Qb), tau * Rv, rtol=1e-13)
    np.testing.assert_allclose(Qb, 1 / g**2, rtol=1e-13)
    np.testing.assert_allclose(vanilla.eps_g_star(K, tau), bn.eps_g_star(K, tau), rtol=1e-12)

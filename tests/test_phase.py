"""The symmetric phase computed numerically from the full ODE (symbn.numeric.analysis.phase), for any activation.

erf: it must reproduce the generated closed forms -- the plateau to 1e-12, the Jacobian to 1e-8 of its
largest entry (central / one-sided differences with h = 1e-5: truncation ~1e-10), the Hessian to 1e-5
of its largest entry (one-sided second differences in Q and C with h = 1e-3: ~h^2).
ReLU (no closed form): the plateau zeroes the flow; batch norm's escape rate is the vanilla one times
g*^2 / (tau Q0), as for erf (the scale invariance, not the activation, fixes it); the escape rate
matches the rate fitted from the full ODE started 1e-7 from the plateau.
"""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from symbn.generated import bn, vanilla
from symbn.numeric.analysis.phase import Phase


@pytest.mark.parametrize("K,tau", [(2, 1.0), (3, 0.5)])
def test_erf_reproduces_the_generated_closed_forms(K, tau):
    ph = Phase("vanilla", K, tau)
    p = ph.plateau()
    np.testing.assert_allclose([p[k] for k in ph.names], vanilla.fixed_point(K, tau), rtol=1e-12)
    J = vanilla.jacobian(K, tau)
    assert np.max(np.abs(ph.jacobian(p) - J)) <= 1e-8 * np.max(np.abs(J))
    H = vanilla.hessian(K, tau)
    assert np.max(np.abs(ph.hessian(p) - H)) <= 1e-5 * np.max(np.abs(H))
    for model, jac in (("bn-paper", bn.jacobian_paper), ("bn-exact", bn.jacobian_exact)):
        phb = Phase(model, K, tau)
        pb = phb.plateau(Q0=1.0)
        np.testing.assert_allclose([pb[k] for k in phb.names], bn.fixed_point_family(K, tau, 1.0), rtol=1e-12)
        Jb = jac(K, tau, 1.0)
        assert np.max(np.abs(phb.jacobian(pb) - Jb)) <= 1e-8 * np.max(np.abs(Jb))
    closure = phb.plateau(Q0=(K + (K - 1) * tau) / tau)
    Hb = bn.hessian(K, tau)
    assert np.max(np.abs(phb.hessian(closure) - Hb)) <= 1e-5 * np.max(np.abs(Hb))


@pytest.mark.parametrize("K", [2, 3])
def test_relu_plateau_and_the_bn_escape_law(K):
    tau = 1.0
    ph = Phase("vanilla", K, tau, "relu")
    p = ph.plateau()
    assert np.max(np.abs(ph.flow([p[k] for k in ph.names]))) < 1e-10
    assert p["Q"] == pytest.approx(K * p["R"] ** 2, rel=1e-8)          # J_i = r sum_n B_n on the plateau
    e = ph.escape(p)
    assert e["escape_rate"] > 0.5 and e["spread_rate"] > 0.5          # both transverse modes unstable
    for model in ("bn-paper", "bn-exact"):
        phb = Phase(model, K, tau, "relu")
        for Q0 in (0.5, 1.0, 3.0):
            pb = phb.plateau(Q0=Q0)
            ratio = pb["g"] ** 2 / (tau * Q0)
            eb = phb.escape(pb)
            assert eb["escape_rate"] == pytest.approx(e["escape_rate"] * ratio, rel=1e-6)
            assert eb["spread_rate"] == pytest.approx(e["spread_rate"] * ratio, rel=1e-6)


def test_relu_escape_rate_matches_the_full_ode():
    """The full ODE's eta^1 flow started 1e-7 from the plateau along R_ii += d (specializing), fitted growth
    over the last quarter of a 1e3 growth window: the largest transverse rate to 1e-3."""
    K, tau = 2, 1.0
    ph = Phase("vanilla", K, tau, "relu")
    p = ph.plateau()
    top = max(ph.escape(p)["escape_rate"], ph.escape(p)["spread_rate"])
    s = ph.system
    Q, R, _ = ph.matrices([p[k] for k in ph.names])
    y0 = s.pack(Q, R)
    a0 = s.flow(y0)
    d = np.zeros(y0.size)
    d[s.nq] = d[s.nq + K * K - 1] = 1.0                                  # R_11 and R_22 up
    T = np.log(1e3) / top
    sol = solve_ivp(lambda t, x: s.flow(y0 + x) - a0, (0, T), 1e-7 * d, rtol=1e-10, atol=1e-16, dense_output=True)
    t = np.linspace(0.75 * T, T, 50)
    rate = np.polyfit(t, np.log(np.linalg.norm(sol.sol(t), axis=0)), 1)[0]
    assert rate == pytest.approx(top, rel=1e-3)

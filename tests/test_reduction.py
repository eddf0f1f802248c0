"""The general ODE (fixed K = M) on the symmetric ansatz equals the reduced ODE (K symbolic)."""
import numpy as np
import pytest

from symbn.generated import bn, vanilla
from symbn import models
from symbn.symbolic import dynamics
from symbn.symbolic import symbols as sy


@pytest.mark.parametrize("name", models.names("ode"))
@pytest.mark.parametrize("K", [1, 2, 3])
def test_general_on_symmetric_ansatz_equals_reduced(name, K):
    model = models.get(name)
    space, rhs = dynamics.general_rhs(model, K, K)
    rng = np.random.default_rng(100 * K + len(name))
    for _ in range(3):
        R, S, Q, C, g = rng.uniform(0.2, 0.9), rng.uniform(-0.2, 0.3), rng.uniform(0.8, 1.6), \
            rng.uniform(-0.2, 0.3), rng.uniform(0.5, 2)
        tau, eta, b = rng.uniform(0.2, 5), rng.uniform(0.05, 2), float(rng.integers(1, 40))
        subs = {sy.tau: tau, sy.eta: eta, sy.b: b}
        for i in range(K):
            for j in range(K):
                subs[space.Q[i, j]] = Q if i == j else C
                subs[space.R[i, j]] = R if i == j else S
                subs[space.T[i, j]] = 1.0 if i == j else 0.0
            if space.g:
                subs[space.g[i]] = g
        general = {k: float(v.xreplace(subs)) for k, v in rhs.items()}
        if model.normalized:
            reduced = getattr(bn, "rhs_" + name.split("-")[1])(R, S, Q, C, g, K, tau, eta, b)
        else:
            reduced = vanilla.rhs(R, S, Q, C, K, tau, eta, b)
        want = [general[space.R[0, 0]], general[space.Q[0, 0]]]
        got = [reduced[0], reduced[2]]
        if K > 1:
            want += [general[space.R[0, 1]], general[space.Q[0, 1]]]
            got += [reduced[1], reduced[3]]
        if model.normalized:
            want.append(general[space.g[0]])
            got.append(reduced[4])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_general_eps_g_on_symmetric_ansatz_equals_reduced():
    from symbn.numeric.kernels.orderparams import eps_g

    K, tau = 4, 1.7
    R, S, Q, C, g = 0.5, 0.1, 1.2, 0.3, 0.8
    Qm = np.full((K, K), C) + (Q - C) * np.eye(K)
    Rm = np.full((K, K), S) + (R - S) * np.eye(K)
    T = np.eye(K)
    assert eps_g(Qm, Rm, T, tau) == pytest.approx(vanilla.eps_g(R, S, Q, C, K, tau), rel=1e-13)
    assert eps_g(Qm, Rm, T, tau, g=np.full(K, g)) == pytest.approx(bn.eps_g(R, S, Q, C, g, K, tau), rel=1e-13)


def test_symbolic_general_eps_g_matches_numeric():
    from symbn.numeric.kernels.orderparams import eps_g

    for model in (models.get("vanilla"), models.get("bn-paper")):
        space = dynamics.GeneralSpace(model, 2, 3)
        expr = dynamics.eps_g(space)
        rng = np.random.default_rng(3)
        A = rng.normal(size=(5, 7)) / np.sqrt(7)
        G = A @ A.T
        Qm, Rm, T = G[:2, :2], G[:2, 2:], G[2:, 2:]
        g = np.array([0.7, 1.4])
        subs = {sy.tau: 2.5}
        for i in range(2):
            for j in range(2):
                subs[space.Q[i, j]] = Qm[i, j]
            for n in range(3):
                subs[space.R[i, n]] = Rm[i, n]
            if space.g:
                subs[space.g[i]] = g[i]
        for n in range(3):
            for m in range(3):
                subs[space.T[n, m]] = T[n, m]
        want = float(expr.xreplace(subs))
        got = eps_g(Qm, Rm, T, 2.5, g=g if model.normalized else None)
        assert got == pytest.approx(want, rel=1e-13)

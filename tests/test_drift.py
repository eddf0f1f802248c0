"""The derived ODEs equal the expected drift of the literal SGD update (this settles the errata).

For a fixed, non-symmetric state (K = M = 2, gains != 1, tau != 1), one SGD step is
applied to many independent batches of genuine N-dimensional Gaussian inputs,
using the simulator's update (``simulate.coefficients``, whose gradients are
checked against finite differences of the batch loss in test_simulate.py):
Delta J_i = (eta/N) U_i with U_i = sum_u c_ui xi^u + d_i J_i. Then, per unit ODE time,

    eta^1 part of dR_in/dt = E[U_i . B_n],   dQ_ij/dt = E[U_i . J_j + U_j . J_i],   dg_i/dt = E[dg_i]
    eta^2 part of dQ_ij/dt = E[U_i . U_j] / N

compared with the symbolic general ODE (``dynamics.general_rhs``). The eta^1
drifts are exact at any N (they involve only projections): tolerance 5 standard
errors. The eta^2 part has an O((K + M + b)/N) finite-N bias (the batch vectors'
components inside span{J, B} and the u != v overlaps): tolerance 5 standard errors
plus 3 (K + M + b)/N relative. Quantities that vanish identically (bn-exact's
eta^1 part of dQ_ii) get a float64 round-off floor of 1e-14 on the sample mean.
"""
import functools

import numpy as np
import pytest
import sympy as sp

from symbn import models
from symbn.numeric.rules import coefficients
from symbn.symbolic import dynamics
from symbn.symbolic import symbols as sy

N, K, M, B_SIZE, TAU = 1500, 2, 2, 2, 1.8
BATCHES, CHUNK = 24000, 1000


def _state(rng):
    J = rng.normal(size=(K, N)) / np.sqrt(N)
    J[1] += 0.6 * J[0]
    J[0] *= 1.3
    Bt = rng.normal(size=(M, N)) / np.sqrt(N)
    J[0] += 0.4 * Bt[0]
    J[1] += 0.2 * Bt[1] - 0.1 * Bt[0]
    return J, Bt, np.array([1.4, 0.7])


def _monte_carlo(name, J, Bt, g, rng):
    spec = models.get(name)
    qdiag = (J * J).sum(axis=1)
    V = np.vstack([J, Bt])
    samples = {"R": [], "Q1": [], "Q2": [], "g": []}
    for _ in range(BATCHES // CHUNK):
        xi = rng.normal(size=(CHUNK, B_SIZE, N)) * np.sqrt(TAU)
        proj = xi @ V.T
        upd = coefficients(spec, "population", proj, K, np.broadcast_to(g, (CHUNK, K)),
                                    None, np.broadcast_to(qdiag, (CHUNK, K)), TAU)
        U = np.einsum("cuk,cun->ckn", upd.c, xi)
        if upd.d is not None:
            U = U + upd.d[..., None] * J
        UB, UJ = U @ Bt.T, U @ J.T                       # (chunk, K, M), (chunk, K, K)
        samples["R"].append(UB)
        samples["Q1"].append(UJ + np.swapaxes(UJ, 1, 2))
        samples["Q2"].append(U @ np.swapaxes(U, 1, 2) / N)
        if upd.dg is not None:
            samples["g"].append(upd.dg)
    out = {}
    for k, v in samples.items():
        if v:
            a = np.concatenate(v)
            out[k] = (a.mean(axis=0), a.std(axis=0, ddof=1) / np.sqrt(len(a)))
    return out


def _theory(name, J, Bt, g):
    model = models.get(name)
    space, rhs = dynamics.general_rhs(model, K, M)
    Q, R, T = J @ J.T, J @ Bt.T, Bt @ Bt.T
    subs = {sy.tau: TAU, sy.b: B_SIZE}
    for i in range(K):
        for j in range(K):
            subs[space.Q[i, j]] = Q[i, j]
        for n in range(M):
            subs[space.R[i, n]] = R[i, n]
        if space.g:
            subs[space.g[i]] = g[i]
    for n in range(M):
        for m in range(M):
            subs[space.T[n, m]] = T[n, m]

    def orders(e):
        first = float(sp.diff(e, sy.eta).subs(sy.eta, 0).xreplace(subs))
        second = float((sp.diff(e, sy.eta, 2).subs(sy.eta, 0) / 2).xreplace(subs))
        return first, second

    th = {"R": np.array([[orders(rhs[space.R[i, n]])[0] for n in range(M)] for i in range(K)]),
          "Q1": np.array([[orders(rhs[space.Q[min(i, j), max(i, j)]])[0] for j in range(K)] for i in range(K)]),
          "Q2": np.array([[orders(rhs[space.Q[min(i, j), max(i, j)]])[1] for j in range(K)] for i in range(K)])}
    if space.g:
        th["g"] = np.array([orders(rhs[space.g[i]])[0] for i in range(K)])
    # E(i, h_j) = <delta phi'(h_i) h_j> alone (for the printed Eq. 4, erratum 1)
    th["E"] = np.array([[float(dynamics.E(space, ("s", i), ("s", j)).xreplace(subs)) for j in range(K)]
                        for i in range(K)])
    return th


@functools.lru_cache(maxsize=None)
def _run(name):
    """(Monte Carlo drift, theory, state) of one model at the fixed test state (computed once)."""
    J, Bt, g = _state(np.random.default_rng(2020))
    return _monte_carlo(name, J, Bt, g, np.random.default_rng(11)), _theory(name, J, Bt, g), (J, Bt, g)


@pytest.mark.parametrize("name", ["vanilla", "bn-paper", "bn-exact"])
def test_ode_equals_expected_sgd_drift(name):
    mc, th, _ = _run(name)
    assert set(th) - {"E"} == set(mc)
    bias = 3 * (K + M + B_SIZE) / N
    for key, (mean, se) in mc.items():
        tol = 5 * se + (bias * np.abs(th[key]) if key == "Q2" else 0) + 1e-14
        assert np.all(np.abs(mean - th[key]) <= tol), (key, mean, th[key], se)


def _rejected(mc, key, printed, bias=False):
    """Largest |measured - printed| in units of the test's tolerance scale (se, plus the eta^2 bias)."""
    mean, se = mc[key]
    scale = se + (3 * (K + M + B_SIZE) / N * np.abs(printed) if bias else 0)
    return np.max(np.abs(mean - printed) / scale)


def test_the_check_has_power_against_the_printed_equations():
    """Each printed alternative of docs/errata.md (1-5) is rejected by the same Monte Carlo at many
    standard errors, where the derived equation passes at 5."""
    mc, th, (J, Bt, g) = _run("bn-paper")
    s = g / np.sqrt(TAU * (J * J).sum(axis=1))
    # 1: Eq. 4's eta-term keeps only the i-half, (s_i/s_j) E(i, h_j) (the j-terms cancel as printed)
    assert _rejected(mc, "Q1", th["E"] * s[:, None] / s[None, :]) > 20
    # 2: Eq. 5 without the factor g_i / (sigma sqrt Q_ii)
    assert _rejected(mc, "R", th["R"] / s[:, None]) > 20
    # 3: Eq. 6 with the raw x_i in the second slot: dg off by sigma sqrt(Q_ii)
    assert _rejected(mc, "g", th["g"] * np.sqrt(TAU * (J * J).sum(axis=1))) > 20
    # 4: the BN eta^2 term with the prefactor eta^2 / b (no g_i g_j / (sigma^2 sqrt(Q_ii Q_jj)))
    assert _rejected(mc, "Q2", th["Q2"] / (TAU * np.outer(s, s)), bias=True) > 5
    # 1 and 5 for vanilla: the i-half only; the eta^2 term without tau
    mc, th, _ = _run("vanilla")
    assert _rejected(mc, "Q1", th["E"]) > 20
    assert _rejected(mc, "Q2", th["Q2"] / TAU, bias=True) > 5

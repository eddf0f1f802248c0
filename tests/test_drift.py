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
from symbn.numeric.sgd.rules import coefficients
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


def _monte_carlo(name, J, Bt, g, rng, activation="erf"):
    spec = models.get(name)
    qdiag = (J * J).sum(axis=1)
    V = np.vstack([J, Bt])
    samples = {"R": [], "Q1": [], "Q2": [], "g": []}
    for _ in range(BATCHES // CHUNK):
        xi = rng.normal(size=(CHUNK, B_SIZE, N)) * np.sqrt(TAU)
        proj = xi @ V.T
        upd = coefficients(spec, "population", proj, K, np.broadcast_to(g, (CHUNK, K)),
                           None, np.broadcast_to(qdiag, (CHUNK, K)), TAU, activation=activation)
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


# ----------------------------------------------------------------------------- general two-layer network

NET = dict(w=np.array([0.8, 1.3]), v=np.array([1.2, 0.7]), eta=1.0, eta_w=0.6, sigma=1.5, kappa=0.3)


@functools.lru_cache(maxsize=None)
def _network_run(name):
    """(measured, theory) total drifts per unit time of the literal SGD update of the general network:
    second layers w (learned at eta_w), v, output noise sigma zeta_u per sample, weight decay kappa
    (J <- J - (kappa/N) J, w likewise), one step (J, g, w) -> (J', g', w') applied to 24k batches;
    drift = N E[change]. Q is measured from J' J'^T literally (its eta^2 and decay terms included)."""
    J, Bt, g = _state(np.random.default_rng(2020))
    p, spec = NET, models.get(name)
    rng = np.random.default_rng(12)
    qdiag = (J * J).sum(axis=1)
    V = np.vstack([J, Bt])
    samples = {"R": [], "Q": [], "Q_eta2": [], "g": [], "w": []}
    for _ in range(BATCHES // CHUNK):
        xi = rng.normal(size=(CHUNK, B_SIZE, N)) * np.sqrt(TAU)
        zeta = rng.normal(size=(CHUNK, B_SIZE))
        upd = coefficients(spec, "population", xi @ V.T, K, np.broadcast_to(g, (CHUNK, K)), None,
                           np.broadcast_to(qdiag, (CHUNK, K)), TAU, w=np.broadcast_to(p["w"], (CHUNK, K)), v=p["v"],
                           noise=p["sigma"] * zeta, learn_w=True)
        U = np.einsum("cuk,cun->ckn", upd.c, xi)
        if upd.d is not None:
            U = U + upd.d[..., None] * J
        Jn = J + (p["eta"] * U - p["kappa"] * J) / N
        samples["R"].append(N * (Jn @ Bt.T - J @ Bt.T))
        samples["Q"].append(N * (Jn @ np.swapaxes(Jn, 1, 2) - J @ J.T))
        samples["Q_eta2"].append(p["eta"] ** 2 * U @ np.swapaxes(U, 1, 2) / N)    # its eta^2 part alone
        if upd.dg is not None:
            samples["g"].append(p["eta"] * upd.dg)
        samples["w"].append(p["eta_w"] * upd.dw - p["kappa"] * p["w"])
    measured = {k: (np.concatenate(v).mean(0), np.concatenate(v).std(0, ddof=1) / np.sqrt(BATCHES))
                for k, v in samples.items() if v}
    return measured, _network_theory(name, J, Bt, g)


def _network_theory(name, J, Bt, g):
    """general_rhs(full=True) at the state, with eta^2 part and the decay part also separately."""
    p = NET
    space, rhs = dynamics.general_rhs(models.network(name, "erf", True), K, M, full=True)
    Q, R, T = J @ J.T, J @ Bt.T, Bt @ Bt.T
    subs = {sy.tau: TAU, sy.b: B_SIZE, sy.eta_w: p["eta_w"], sy.sigma: p["sigma"], sy.kappa: p["kappa"]}
    for i in range(K):
        subs[space.w[i]], subs[space.v[i]] = p["w"][i], p["v"][i]
        for j in range(K):
            subs[space.Q[i, j]] = Q[i, j]
        for n in range(M):
            subs[space.R[i, n]] = R[i, n]
        if space.g:
            subs[space.g[i]] = g[i]
    subs.update({space.T[n, m]: T[n, m] for n in range(M) for m in range(M)})

    def value(e):
        return float(e.xreplace(subs).subs(sy.eta, p["eta"]))

    def q(i, j):
        return rhs[space.Q[min(i, j), max(i, j)]]

    th = {"R": np.array([[value(rhs[space.R[i, n]]) for n in range(M)] for i in range(K)]),
          "Q": np.array([[value(q(i, j)) for j in range(K)] for i in range(K)]),
          "w": np.array([value(rhs[space.w[i]]) for i in range(K)])}
    if space.g:
        th["g"] = np.array([value(rhs[space.g[i]]) for i in range(K)])
    # pieces for the power checks: the eta^2 part, its noise part, the decay part
    def second(e, sigma=p["sigma"]):
        return float((sp.diff(e, sy.eta, 2) / 2).xreplace({**subs, sy.sigma: sigma}).subs(sy.eta, 0)) * p["eta"] ** 2

    th["Q_eta2"] = np.array([[second(q(i, j)) for j in range(K)] for i in range(K)])
    th["Q_noise"] = th["Q_eta2"] - np.array([[second(q(i, j), 0.0) for j in range(K)] for i in range(K)])
    th["w_rate"] = np.array([value(rhs[space.w[i]]) + p["kappa"] * p["w"][i] for i in range(K)])
    return th


def _within(measured, theory, key, bias=0.0):
    """max |measured - theory| in units of the tolerance 5 SE + bias (bias: the eta^2 part's O(1/N))."""
    mean, se = measured[key]
    return np.max(np.abs(mean - theory) / (5 * se + bias + 1e-14))


@pytest.mark.parametrize("name", ["vanilla", "bn-paper", "bn-exact"])
def test_general_network_ode_equals_sgd_drift(name):
    """The general ODE (learned w at eta_w != eta, v != 1, noise, weight decay) vs the literal update:
    R, g, w within 5 SE; Q and its eta^2 part within 5 SE plus 3 (K + M + b)/N of the eta^2 and decay
    parts (finite N)."""
    measured, th = _network_run(name)
    bias_q = 3 * (K + M + B_SIZE) / N * (np.abs(th["Q_eta2"]) + NET["kappa"] * np.abs(th["Q"]))
    for key in ("R", "g", "w"):
        if key in measured:
            assert _within(measured, th[key], key) <= 1, key
    assert _within(measured, th["Q"], "Q", bias_q) <= 1
    assert _within(measured, th["Q_eta2"], "Q_eta2", bias_q) <= 1


def test_general_network_check_has_power():
    """The same Monte Carlo rejects a wrong noise prefactor (half the sigma^2 J2 term), weight decay on Q
    without its factor 2, and a w update at eta instead of eta_w."""
    measured, th = _network_run("bn-paper")
    bias_q = 3 * (K + M + B_SIZE) / N * (np.abs(th["Q_eta2"]) + NET["kappa"] * np.abs(th["Q"]))
    J, Bt, _ = _state(np.random.default_rng(2020))
    assert _within(measured, th["Q_eta2"] - 0.5 * th["Q_noise"], "Q_eta2", bias_q) > 3
    assert _within(measured, th["Q"] + NET["kappa"] * (J @ J.T), "Q", bias_q) > 3
    wrong_w = th["w_rate"] * NET["eta"] / NET["eta_w"] - NET["kappa"] * NET["w"]
    assert _within(measured, wrong_w, "w") > 3


# ----------------------------------------------------------------------------- ReLU (numeric theory)

@functools.lru_cache(maxsize=None)
def _relu_run(name):
    """(measured, theory): the literal SGD drift of a ReLU network vs the numeric ODE (no symbolic I4 for
    ReLU: the theory is System's eta^1 and eta^2 tau / b parts with the semi-analytic I4)."""
    from symbn.numeric.ode.system import System

    J, Bt, g = _state(np.random.default_rng(2020))
    mc = _monte_carlo(name, J, Bt, g, np.random.default_rng(13), activation="relu")
    s = System(name, K, M, Bt @ Bt.T, TAU, 1.0, B_SIZE, activation="relu")
    first, second = s.parts(s.pack(J @ J.T, J @ Bt.T, g if s.model.normalized else None))
    d1, d2 = s.unpack(first), s.unpack(second)
    th = {"R": d1["R"], "Q1": d1["Q"], "Q2": d2["Q"] * TAU / B_SIZE}
    if "g" in d1:
        th["g"] = d1["g"]
    return mc, th, s


@pytest.mark.parametrize("name", ["vanilla", "bn-exact"])
def test_relu_ode_equals_expected_sgd_drift(name):
    mc, th, _ = _relu_run(name)
    bias = 3 * (K + M + B_SIZE) / N
    for key, (mean, se) in mc.items():
        tol = 5 * se + (bias * np.abs(th[key]) if key == "Q2" else 0) + 1e-14
        assert np.all(np.abs(mean - th[key]) <= tol), (key, mean, th[key], se)


def test_relu_drift_check_rejects_a_wrong_I4():
    """The eta^2 part with half of ReLU's I4, or with I4 taken from the erf network, is rejected."""
    from symbn.numeric.kernels import activations

    mc, th, s = _relu_run("vanilla")
    mean, se = mc["Q2"]
    scale = 5 * se + 3 * (K + M + B_SIZE) / N * np.abs(th["Q2"])
    J, Bt, _ = _state(np.random.default_rng(2020))
    y = s.pack(J @ J.T, J @ Bt.T)
    for wrong in (lambda *a: 0.5 * activations.get("relu").kernels.I4(*a), activations.get("erf").kernels.I4):
        kernels = s.kernels
        s.kernels = type("Wrong", (), {"I2": kernels.I2, "I3": kernels.I3, "J2": kernels.J2, "I4": staticmethod(wrong)})
        try:
            bad = s.unpack(s.parts(y)[1])["Q"] * TAU / B_SIZE
        finally:
            s.kernels = kernels
        assert np.max(np.abs(mean - bad) / scale) > 3

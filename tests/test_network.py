"""General two-layer networks: learned / fixed second layers w, teacher v, output noise, weight
decay, linear activation, with and without batch norm.

Checks (each against an independent computation):
1. the numeric full right-hand side (symbn.numeric.ode.system.System) equals SymPy's general_rhs(full=True)
   evaluated at 30 digits (1e-12 relative), for every model, erf and linear, w fixed or learned;
2. general_rhs(full=True) at w = v = 1, sigma = kappa = 0 is the soft committee machine's, tree for tree;
3. a linear network with a fixed second layer: the ODE follows the closed-form solution of the
   2-d affine system of P = u.b*, U = |u|^2 (u = sum_i w_i J_i, b* = sum_n v_n B_n), derived here by
   hand (noise, weight decay, the eta^2 tau / b term, w and v all enter it);
4. the generated reduced ODE with a learned w (vanilla_w, bn_w) equals the full ODE on the symmetric
   ansatz; its Hessian and Jacobian equal finite differences of its eps_g and flow; the w = 1
   plateau is where a root finder lands from perturbed starts;
5. the escape rate with a learned second layer: the reduced and the full (finite-difference) Jacobian;
6. the CLI flags and the init / output JSON with w and v.
"""
import functools
import json
import math

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.optimize import root

from symbn import models
from symbn.cli import main
from symbn.errors import ParameterError
from symbn.generated import bn_w, vanilla_w
from symbn.numeric.analysis import escape
from symbn.numeric.ode import initial
from symbn.numeric.ode import full as ode
from symbn.numeric.ode.system import System
from symbn.numeric.symmetric import closed_form as sym

NET = dict(noise=0.4, weight_decay=0.05)


def random_state(K, M, seed):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((K + M, K + M + 3)) / math.sqrt(K + M + 3)
    V[:K] *= rng.uniform(0.5, 2.0, (K, 1))
    G = V @ V.T
    return initial.from_matrices(G[:K, :K], G[:K, K:], G[K:, K:], rng.uniform(0.5, 1.5, K),
                                 rng.uniform(0.4, 1.6, K), rng.uniform(0.5, 1.5, M))


# ----------------------------------------------------------------------------- (1) numeric == SymPy

@functools.lru_cache(maxsize=None)
def sympy_full_rhs(model, activation, learn_w, K, M):
    """general_rhs(full=True) lambdified with mpmath: f(state, T (upper), w (if fixed), v, tau, eta, b,
    eta_w, sigma, kappa)."""
    import sympy as sp

    from symbn.symbolic import dynamics
    from symbn.symbolic import symbols as sy

    net = models.network(model, activation, learn_w)
    space, rhs = dynamics.general_rhs(net, K, M, full=True)
    state = space.state()
    assert list(rhs) == state
    Tsyms = [space.T[n, m] for n in range(M) for m in range(n, M)]
    fixed_w = [] if learn_w else list(space.w)
    args = state + Tsyms + fixed_w + list(space.v) + [sy.tau, sy.eta, sy.b, sy.eta_w, sy.sigma, sy.kappa]
    return sp.lambdify(args, list(rhs.values()), modules="mpmath")


CASES = [("vanilla", "erf", True), ("bn-paper", "erf", True), ("bn-exact", "erf", False),
         ("vanilla", "linear", False), ("bn-exact", "linear", True)]


@pytest.mark.parametrize("model,activation,learn_w", CASES)
def test_full_rhs_matches_sympy(model, activation, learn_w):
    import mpmath

    K, M, tau, eta, b, eta_w = 2, 3, 1.3, 0.7, 2, 0.45
    st = random_state(K, M, 11)
    s = System(model, K, M, st.T, tau, eta, b, activation=activation, w=st.w, v=st.v,
                   eta_w=eta_w if learn_w else 0.0, **NET)
    y = s.pack(st.Q, st.R, st.g, st.w)
    f = sympy_full_rhs(model, activation, learn_w, K, M)
    T = [st.T[n, m] for n in range(M) for m in range(n, M)]
    with mpmath.workdps(30):
        args = list(y) + T + ([] if learn_w else list(st.w)) + list(st.v) + [tau, eta, b, eta_w, NET["noise"],
                                                                           NET["weight_decay"]]
        want = np.array([float(v) for v in f(*[mpmath.mpf(a) for a in args])])
    got = s(0.0, y)
    assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))
    assert (s.size == len(want)) and (s.learn_w == learn_w)


def test_general_network_reduces_to_the_soft_committee_machine():
    """With w = v = 1 and sigma = kappa = 0 substituted, every general expression equals the soft
    committee machine's (evaluated at 30 digits at random states: difference < 1e-25 relative)."""
    import mpmath
    import sympy as sp

    from symbn.symbolic import dynamics
    from symbn.symbolic import symbols as sy

    for name in models.names("ode"):
        space, full = dynamics.general_rhs(models.network(name, "erf", False), 2, 3, full=True)
        _, plain = dynamics.general_rhs(models.get(name), 2, 3)
        assert list(full) == list(plain)
        ones = {**{x: 1 for x in space.w + space.v}, sy.sigma: 0, sy.kappa: 0}
        st = random_state(2, 3, 3)
        s = System(name, 2, 3, st.T)
        point = dict(zip(space.state(), s.pack(st.Q, st.R, st.g)))
        point.update({space.T[n, m]: st.T[n, m] for n in range(3) for m in range(3)})
        point.update({sy.tau: 1.3, sy.eta: 0.7, sy.b: 2})
        with mpmath.workdps(30):
            for k in plain:
                a = sp.N(full[k].xreplace(ones).xreplace(point), 30)
                c = sp.N(plain[k].xreplace(point), 30)
                assert abs(a - c) <= 1e-25 * max(1, abs(c)), (name, k)


# ----------------------------------------------------------------------------- (3) linear network, exact

def test_linear_network_follows_the_exact_solution():
    """phi(x) = x, vanilla, fixed second layer: with u = sum_i w_i J_i, b* = sum_n v_n B_n, P = u.b*,
    U = |u|^2, Tt = |b*|^2, W2 = sum_i w_i^2, the ODE gives the closed system (derived by hand:
    E(i, z) = <delta z>, F = <delta^2> = tau (Tt - 2P + U) + sigma^2)

        dP/dt = eta tau W2 (Tt - P) - kappa P
        dU/dt = 2 eta tau W2 (P - U) + (eta^2 tau / b) W2^2 (tau (Tt - 2P + U) + sigma^2) - 2 kappa U

    and eps_g = tau (Tt - 2P + U) / 2. Solved exactly with expm; the ODE (rtol 1e-11) agrees to 1e-8."""
    K, M, tau, eta, b, sigma, kappa = 3, 2, 1.3, 0.3, 2, 0.3, 0.05
    st = random_state(K, M, 5)
    st = initial.from_matrices(st.Q, st.R, st.T, None, st.w, st.v)      # vanilla: no gains
    times = np.array([0.0, 2.0, 10.0, 40.0])
    tr = ode.integrate("vanilla", init=st, tau=tau, eta=eta, b=b, activation="linear", noise=sigma,
                       weight_decay=kappa, times=times, rtol=1e-11, atol=1e-13)
    w, v = st.w, st.v
    P = np.einsum("i,tin,n->t", w, tr.R, v)
    U = np.einsum("i,tij,j->t", w, tr.Q, w)
    Tt, W2 = v @ st.T @ v, w @ w
    c2 = eta**2 * tau / b * W2**2
    A = np.array([[-eta * tau * W2 - kappa, 0.0],
                  [2 * eta * tau * W2 - 2 * c2 * tau, -2 * eta * tau * W2 + c2 * tau - 2 * kappa]])
    c = np.array([eta * tau * W2 * Tt, c2 * (tau * Tt + sigma**2)])
    z_star = -np.linalg.solve(A, c)
    z = np.array([expm(A * t) @ (np.array([P[0], U[0]]) - z_star) + z_star for t in times])
    np.testing.assert_allclose(P, z[:, 0], rtol=1e-8)
    np.testing.assert_allclose(U, z[:, 1], rtol=1e-8)
    np.testing.assert_allclose(tr.eps_g, tau * (Tt - 2 * z[:, 0] + z[:, 1]) / 2, rtol=1e-8)
    assert tr.eps_g[-1] < 0.5 * tr.eps_g[0]               # it moved


# ----------------------------------------------------------------------------- (4) symmetric phase, learned w

W_FAMILIES = [("vanilla", vanilla_w.rhs, None), ("bn-paper", bn_w.rhs_paper, 2.0), ("bn-exact", bn_w.rhs_exact, 0.6)]


@pytest.mark.parametrize("model,rhs,Q0", W_FAMILIES)
@pytest.mark.parametrize("K", [2, 3])
def test_reduced_learned_w_equals_the_full_ode_on_the_ansatz(model, rhs, Q0, K):
    tau, eta, b, eta_w, sigma, kappa = 0.8, 0.6, 2, 0.35, 0.3, 0.04
    fp = sym.fixed_point(model, K, tau=tau, Q0=Q0, learn_w=True)
    red = {k: float(v) for k, v in fp.items()}
    red.update(R=red["R"] + 0.05, S=red["S"] - 0.02, w=1.1)
    full = System(model, K, K, tau=tau, eta=eta, b=b, eta_w=eta_w, noise=sigma, weight_decay=kappa)
    eye, one = np.eye(K), np.ones((K, K))
    Q = (red["Q"] - red["C"]) * eye + red["C"] * one
    R = (red["R"] - red["S"]) * eye + red["S"] * one
    y = full.pack(Q, R, np.full(K, red.get("g", 1.0)), np.full(K, red["w"]))
    d = full.unpack(full(0.0, y))
    got = rhs(*[red[k] for k in escape.state(model, learn_w=True)], K, tau, eta, b, eta_w, sigma, kappa)
    want = {"R": d["R"][0, 0], "S": d["R"][0, 1], "Q": d["Q"][0, 0], "C": d["Q"][0, 1], "w": d["w"][0]}
    if "g" in d:
        want["g"] = d["g"][0]
    np.testing.assert_allclose(got, [want[k] for k in escape.state(model, learn_w=True)], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("family,model", [(vanilla_w, "vanilla"), (bn_w, "bn")])
@pytest.mark.parametrize("K,tau", [(2, 1.0), (4, 0.5)])
def test_learned_w_hessian_is_the_second_derivative_of_eps_g(family, model, K, tau):
    """Fourth-order central differences (h = 1e-3: truncation ~h^4 f^(6) ~ 1e-12, rounding ~1e-16/h^2 ~ 1e-10)
    of the generated eps_g in Omega (C = Q for batch norm), against the generated Hessian: 1e-7 of max |H|."""
    omega = family.HESSIAN_VARIABLES
    point = dict(zip(family.STATE, family.fixed_point(K, tau)))

    def f(x):
        st = dict(point, **dict(zip(omega, x)))
        if model == "bn":
            st["C"] = st["Q"]
        return float(family.eps_g(*[st[k] for k in family.STATE], K, tau))

    x0, h, n = np.array([point[k] for k in omega]), 1e-3, len(omega)
    H = np.empty((n, n))
    steps = [(-2, 1 / 12), (-1, -8 / 12), (1, 8 / 12), (2, -1 / 12)]
    for i in range(n):
        for j in range(n):
            total = 0.0
            for a, ca in steps:
                for c, cc in steps:
                    e = np.zeros(n)
                    e[i] += a * h
                    e[j] += c * h
                    total += ca * cc * f(x0 + e)
            H[i, j] = total / h**2
    want = family.hessian(K, tau)
    assert np.max(np.abs(H - want)) <= 1e-7 * np.max(np.abs(want))


@pytest.mark.parametrize("model,Q0", [("vanilla", None), ("bn-paper", 1.0), ("bn-exact", 1.0)])
@pytest.mark.parametrize("rho", [0.2, 1.0, 3.0])
def test_learned_w_jacobian_and_fixed_point(model, Q0, rho):
    """The generated Jacobian with a learned w equals central differences (h = 1e-6) of the generated flow
    (eta_w = rho eta, no decay) at the plateau to 1e-7 of max |J|; the plateau zeroes the flow; on the
    plateau manifold (R = S = r, Q = C: all students alike) a root finder started 10 % off (r, w, and q
    or g) returns to the w = 1 point (BN: on its family member Q = Q0)."""
    K, tau = 3, 0.7
    fp = sym.fixed_point(model, K, tau=tau, Q0=Q0, learn_w=True)
    names = escape.state(model, learn_w=True)
    y0 = np.array([float(fp[k]) for k in names])
    flow = lambda y: escape.drift(model, y, K, tau, learn_w=True, rho=rho)  # noqa: E731
    assert np.max(np.abs(flow(y0))) < 1e-14
    h = 1e-6
    fd = np.stack([(flow(y0 + h * e) - flow(y0 - h * e)) / (2 * h) for e in np.eye(y0.size)], axis=1)
    J = escape.jacobian(model, K, tau=tau, Q0=Q0, learn_w=True, rho=rho)
    assert np.max(np.abs(J - fd)) <= 1e-7 * np.max(np.abs(J))
    third = "g" if Q0 is not None else "Q"       # the unknowns (r, w, q or g); equations dR, dw and dQ or dg
    idx = {k: names.index(k) for k in names}

    def residual(x):
        r, w, z = x
        y = y0.copy()
        y[[idx["R"], idx["S"], idx["w"]]] = r, r, w
        if third == "Q":
            y[[idx["Q"], idx["C"]]] = z, z
        else:
            y[idx["g"]] = z
        return flow(y)[[idx["R"], idx["w"], idx[third]]]
    want = y0[[idx["R"], idx["w"], idx[third]]]
    sol = root(residual, 1.1 * want, method="hybr", tol=1e-12)
    assert np.max(np.abs(residual(sol.x))) < 1e-14, sol.message
    np.testing.assert_allclose(sol.x, want, rtol=1e-10)
    assert sol.x[1] == pytest.approx(1.0, rel=1e-10)


# ----------------------------------------------------------------------------- (5) escape with a learned w

@pytest.mark.parametrize("model,Q0", [("vanilla", None), ("bn-paper", 1.0), ("bn-exact", 1.0)])
def test_learning_the_second_layer_leaves_the_escape_rate_unchanged(model, Q0):
    """Found (docs/network.md): at every rho the escape rate with a learned w is the fixed-w one,
    in the reduced flow (1e-12) and in the full-space finite-difference Jacobian (K = 2, 3: 1e-7, no
    faster direction); the w mode only adds a stable eigenvalue."""
    K = np.array([2, 3, 5, 10])[:, None]
    tau = np.array([0.3, 1.0, 4.0])
    fixed = escape.escape_rate(model, K, tau=tau, Q0=Q0)
    for rho in (0.1, 1.0, 10.0):
        np.testing.assert_allclose(escape.escape_rate(model, K, tau=tau, Q0=Q0, learn_w=True, rho=rho), fixed,
                                   rtol=1e-10)
    for k in (2, 3):
        ev = escape.full_eigenvalues(model, k, tau=1.0, Q0=Q0, learn_w=True, rho=1.0)
        assert ev.real[-1] == pytest.approx(float(escape.escape_rate(model, k, tau=1.0, Q0=Q0)), abs=1e-7)


# ----------------------------------------------------------------------------- (6) CLI and JSON

def test_cli_network_flags_and_json(tmp_path, capsys):
    path = tmp_path / "init.json"
    assert main(["simulate", "--model", "bn-exact", "--N", "50", "--K", "2", "--M", "3", "--steps", "0",
                 "--save-init", str(path)]) == 0
    doc = json.loads(path.read_text())
    doc.update(w=[0.8, 1.2], v=[1.0, 0.5, 1.5])
    path.write_text(json.dumps(doc))
    capsys.readouterr()
    args = ["ode", "--model", "bn-exact", "--init", str(path), "--times", "0,1,3", "--eta-w", "0.5",
            "--noise", "0.2", "--weight-decay", "0.01", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.array(out["w"]).shape == (3, 2) and out["w"][0] == [0.8, 1.2]
    assert out["params"]["v"] == [1.0, 0.5, 1.5] and out["params"]["eta_w"] == 0.5
    api = ode.integrate("bn-exact", init=initial.load(path), times=[0, 1, 3], eta_w=0.5, noise=0.2,
                        weight_decay=0.01)
    np.testing.assert_allclose(out["eps_g"], api.eps_g, rtol=1e-15)
    assert main(["ode", "--model", "vanilla", "--K", "2", "--t", "1", "--json"]) == 0
    assert "w" not in json.loads(capsys.readouterr().out)          # fixed second layer: no w series
    assert main(["simulate", "--K", "2", "--steps", "20", "--eta-w", "1", "--noise", "0.1", "--json",
                 "--order-params"]) == 0
    sim = json.loads(capsys.readouterr().out)
    assert np.array(sim["w"]).shape == (1, 21, 2) and sim["params"]["noise"] == 0.1


@pytest.mark.parametrize("flag,value,match", [
    ("--noise", "-0.1", "noise must be >= 0"), ("--eta-w", "-1", "eta_w must be >= 0"),
    ("--weight-decay", "nan", "weight_decay must be finite"), ("--activation", "tanh", "unknown activation 'tanh'")])
@pytest.mark.parametrize("command", ["ode", "simulate"])
def test_cli_rejects_bad_network_values(command, flag, value, match, capsys):
    extra = ["--t", "1"] if command == "ode" else ["--steps", "5"]
    assert main([command, flag, value, *extra]) == 2
    assert match in capsys.readouterr().err


def test_api_rejects_bad_second_layers():
    with pytest.raises(ParameterError, match="w must have 2 entries"):
        ode.integrate("vanilla", init=dict(random_state(2, 2, 1).to_dict(), w=[1.0, 2.0, 3.0]), t_max=1.0)
    with pytest.raises(ParameterError, match="bn-full simulates the paper's network only"):
        __import__("symbn").simulate("bn-full", 2, b=2, eta_w=1.0)


def test_symbolic_api_for_the_general_network():
    """symbn.symbolic with a learned second layer: the reduced rhs and Hessian equal the generated
    vanilla_w functions at a point (30 digits vs float64: 1e-12); general_rhs(full, learn_w) has dw_i."""
    import sympy as sp

    from symbn import symbolic
    from symbn.symbolic import symbols as sy

    rhs = symbolic.reduced_rhs("vanilla", learn_w=True)
    assert list(rhs) == ["R", "S", "Q", "C", "w"]
    point = {sy.R: 0.31, sy.S: 0.22, sy.Q: 0.5, sy.C: 0.3, sy.w: 1.2, sy.K: 3, sy.tau: 0.8, sy.eta: 0.6, sy.b: 2,
             sy.eta_w: 0.4, sy.sigma: 0.3, sy.kappa: 0.05}
    got = [float(sp.N(e.xreplace(point), 30)) for e in rhs.values()]
    want = vanilla_w.rhs(0.31, 0.22, 0.5, 0.3, 1.2, 3, 0.8, 0.6, 2, 0.4, 0.3, 0.05)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    H = symbolic.hessian("bn", learn_w=True)
    assert H.shape == (5, 5)
    np.testing.assert_allclose(np.array(H.subs({sy.K: 4, sy.tau: 0.5}).evalf(30), dtype=float), bn_w.hessian(4, 0.5),
                               rtol=1e-12, atol=1e-15)
    general = symbolic.general_rhs("bn-exact", 2, 2, full=True, learn_w=True)
    assert {"w1", "w2", "g1", "Q12"} <= set(general)
    with pytest.raises(ParameterError, match="learn_w needs full=True"):
        symbolic.general_rhs("vanilla", 2, 2, learn_w=True)

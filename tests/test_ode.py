"""Full and reduced order-parameter ODEs: numeric RHS vs SymPy, vectorisation, fixed point,
reduced vs full, conservation laws, errors, initial conditions, CLI."""
import functools
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from symbn import models
from symbn.errors import ParameterError
from symbn.generated import kernels
from symbn.numeric.ode import initial
from symbn.numeric.ode import full as ode
from symbn.numeric.ode.system import System
from symbn.numeric.ode import reduced
from symbn.numeric.symmetric import closed_form as symmetric
from symbn.numeric.ode.solver import ODEError

MODELS = models.names("ode")
WIDTHS = [(1, 1), (2, 2), (2, 3), (3, 2)]


def random_state(K, M, seed, gains=True):
    """A valid state: Q, R, T blocks of a random Gram matrix, gains in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((K + M, K + M + 3)) / math.sqrt(K + M + 3)
    V[:K] *= rng.uniform(0.5, 2.0, (K, 1))
    G = V @ V.T
    g = rng.uniform(0.5, 1.5, K) if gains else None
    return initial.from_matrices(G[:K, :K], G[:K, K:], G[K:, K:], g)


def system(model, state, tau=0.7, eta=0.9, b=3):
    s = System(model, state.K, state.M, state.T, tau, eta, b)
    g = state.g if s.model.normalized else None
    return s, s.pack(state.Q, state.R, g)


# ----------------------------------------------------------------------------- (1) numeric RHS == SymPy

@functools.lru_cache(maxsize=None)
def sympy_rhs(model, K, M):
    """dynamics.general_rhs lambdified with mpmath (30 digits): f(state..., T..., tau, eta, b)."""
    import sympy as sp

    from symbn import models
    from symbn.symbolic import dynamics
    from symbn.symbolic import symbols as sy

    space, rhs = dynamics.general_rhs(models.get(model), K, M)
    state = space.state()
    assert list(rhs) == state  # same order as System.pack
    Tsyms = [space.T[n, m] for n in range(M) for m in range(n, M)]
    args = state + Tsyms + [sy.tau, sy.eta, sy.b]
    return sp.lambdify(args, list(rhs.values()), modules="mpmath"), (M, Tsyms)


def reference_parts(model, state, tau):
    """(first, second) from SymPy in 30-digit arithmetic: two learning rates separate eta and eta^2."""
    import mpmath

    f, (M, _) = sympy_rhs(model, state.K, state.M)
    s, y = system(model, state, tau)
    Tvals = [state.T[n, m] for n in range(M) for m in range(n, M)]
    with mpmath.workdps(30):
        a = [mpmath.mpf(v) for v in list(y) + Tvals] + [mpmath.mpf(tau)]
        r1 = f(*a, 1, 1)   # first + tau second
        r2 = f(*a, 2, 1)   # 2 first + 4 tau second
        first = np.array([float(2 * u - v / 2) for u, v in zip(r1, r2)])
        second = np.array([float((v / 2 - u) / tau) for u, v in zip(r1, r2)])
    return first, second


@pytest.mark.parametrize("K,M", WIDTHS)
@pytest.mark.parametrize("model", MODELS)
def test_rhs_matches_sympy(model, K, M):
    for seed in range(2):
        state = random_state(K, M, seed)
        tau = 0.7 + 0.6 * seed
        s, y = system(model, state, tau)
        first, second = s.parts(y)
        ref1, ref2 = reference_parts(model, state, tau)
        assert np.max(np.abs(first - ref1)) <= 1e-12 * np.max(np.abs(ref1))
        assert np.max(np.abs(second - ref2)) <= 1e-12 * np.max(np.abs(ref2))
        # and the assembled derivative: eta first + eta^2 tau / b second
        dy = s(0.0, y)
        want = s.eta * ref1 + s.eta**2 * tau / s.b * ref2
        assert np.max(np.abs(dy - want)) <= 1e-12 * np.max(np.abs(want))


# ----------------------------------------------------------------------------- (2) vectorised == per-pair loop

def loop_rhs(model, Q, R, T, g, tau, eta, b):
    """dynamics.py's equations, one kernel call per index tuple (scalars), plain Python."""
    K, M = R.shape
    normalized, project = models.get(model).normalized, models.get(model).project
    units = [("s", i) for i in range(K)] + [("t", n) for n in range(M)]

    def scale(u):
        return g[u[1]] / math.sqrt(tau * Q[u[1], u[1]]) if (normalized and u[0] == "s") else 1.0

    def raw(a, c):
        if a[0] == "s" and c[0] == "s":
            return Q[a[1], c[1]]
        if a[0] == "t" and c[0] == "t":
            return T[a[1], c[1]]
        return R[a[1], c[1]] if a[0] == "s" else R[c[1], a[1]]

    def cov(a, c):
        return tau * scale(a) * scale(c) * raw(a, c)

    def sign(p):
        return 1.0 if p[0] == "t" else -1.0

    def E(i, z):
        return sum(sign(p) * float(kernels.I3(cov(i, i), cov(z, z), cov(p, p), cov(i, z), cov(i, p), cov(z, p)))
                   for p in units)

    def F(i, j):
        total = 0.0
        for p in units:
            for q in units:
                total += sign(p) * sign(q) * float(kernels.I4(
                    cov(i, i), cov(j, j), cov(p, p), cov(q, q), cov(i, j), cov(i, p), cov(i, q),
                    cov(j, p), cov(j, q), cov(p, q)))
        return total

    s_, t_ = (lambda i: ("s", i)), (lambda n: ("t", n))
    kappa = 1.0 if project else 0.0
    dQ = np.zeros((K, K))
    for i in range(K):
        for j in range(K):
            si, sj = scale(s_(i)), scale(s_(j))
            dQ[i, j] = eta * (si / sj * E(s_(i), s_(j)) + sj / si * E(s_(j), s_(i))
                              - kappa * Q[i, j] * (E(s_(i), s_(i)) / Q[i, i] + E(s_(j), s_(j)) / Q[j, j])) \
                + eta**2 * tau / b * si * sj * F(s_(i), s_(j))
    dR = np.array([[eta * (scale(s_(i)) * E(s_(i), t_(n)) - kappa * R[i, n] / Q[i, i] * E(s_(i), s_(i)))
                    for n in range(M)] for i in range(K)])
    dg = np.array([eta * E(s_(i), s_(i)) / g[i] for i in range(K)]) if normalized else None
    return dQ, dR, dg


@pytest.mark.parametrize("K,M", [(3, 4), (4, 2)])
@pytest.mark.parametrize("model", MODELS)
def test_vectorised_matches_loop(model, K, M):
    state = random_state(K, M, 7)
    s, y = system(model, state, tau=1.3, eta=0.6, b=2)
    d = s.unpack(s(0.0, y))
    dQ, dR, dg = d["Q"], d["R"], d.get("g")
    lQ, lR, lg = loop_rhs(model, state.Q, state.R, state.T, state.g, 1.3, 0.6, 2)
    scale = max(np.abs(lQ).max(), np.abs(lR).max())
    assert np.abs(dQ - lQ).max() <= 1e-13 * scale
    assert np.abs(dR - lR).max() <= 1e-13 * scale
    if dg is not None:
        assert np.abs(dg - lg).max() <= 1e-13 * np.abs(lg).max()


def test_chunked_F_matches_single_call():
    state = random_state(5, 4, 3)
    whole = System("bn-exact", 5, 4, state.T, 1.1, 0.5, 1)
    small = System("bn-exact", 5, 4, state.T, 1.1, 0.5, 1, chunk=50)  # many chunks, indices on the fly
    assert len(small._chunks) > 1 and small._gather is None
    y = whole.pack(state.Q, state.R, state.g)
    np.testing.assert_allclose(whole(0.0, y), small(0.0, y), rtol=1e-14, atol=1e-16)  # summation order only


# ----------------------------------------------------------------------------- (3) fixed point

@pytest.mark.parametrize("tau", [1.0, 0.6])
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("model", MODELS)
def test_fixed_point_is_stationary_at_order_eta(model, K, tau):
    """The generated reduced fixed point, expanded to K x K, zeroes the eta^1 part of the full RHS.

    ``System.parts`` returns that part exactly (dy/dt = eta first + eta^2 tau/b second),
    so this is the eta -> 0 statement without choosing a small eta. The eta^2 part is not zero.
    """
    fp = symmetric.fixed_point(model, K, tau=tau)
    state = initial.symmetric(K, fp["R"], fp["S"], fp["Q"], fp["C"], fp.get("g"))
    s, y = system(model, state, tau)
    first, second = s.parts(y)
    assert np.abs(first).max() <= 1e-13
    assert np.abs(second).max() > 1e-4


# ----------------------------------------------------------------------------- (4) reduced == full

@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("model", MODELS)
def test_reduced_and_full_agree_on_a_trajectory(model, K):
    tau, eta, b = 0.8, 0.7, 2
    start = initial.near_fixed_point(model, K, tau, 0.05)
    times = np.linspace(0.0, 60.0, 7)
    kw = dict(tau=tau, eta=eta, b=b, times=times, rtol=1e-11, atol=1e-13)
    full = ode.integrate(model, K, K, init=start, **kw)
    red = reduced.integrate_reduced(model, K, init=start, **kw)
    off = ~np.eye(K, dtype=bool)
    got = {"R": full.R[:, 0, 0], "S": full.R[:, 0, 1], "Q": full.Q[:, 0, 0], "C": full.Q[:, 0, 1]}
    if full.g is not None:
        got["g"] = full.g[:, 0]
    for k, v in got.items():
        np.testing.assert_allclose(v, red.reduced[k], rtol=0, atol=1e-8, err_msg=k)
    # the full solution stays symmetric, and both eps_g agree
    assert np.ptp(full.R[:, off], axis=1).max() < 1e-8 and np.ptp(np.diagonal(full.Q, axis1=1, axis2=2), axis=1).max() < 1e-8
    np.testing.assert_allclose(full.eps_g, red.eps_g, rtol=0, atol=1e-9)
    # something happened: R moved away from its start
    assert abs(red.reduced["R"][-1] - red.reduced["R"][0]) > 1e-3
    # the reduced trajectory's full matrices are the ansatz, and equal the full solution
    np.testing.assert_allclose(red.Q, full.Q, rtol=0, atol=1e-8)
    np.testing.assert_allclose(red.R, full.R, rtol=0, atol=1e-8)


# ----------------------------------------------------------------------------- (5) conservation at O(eta)

@pytest.mark.parametrize("K,M", [(2, 2), (3, 2), (2, 4)])
def test_bn_exact_conserves_Qii_at_order_eta(K, M):
    for seed in range(3):
        state = random_state(K, M, seed)
        s, y = system("bn-exact", state, tau=1.4)
        first, second = s.parts(y)
        assert np.abs(first[s.diag_q]).max() <= 1e-15 * max(1.0, np.abs(first).max())
        assert np.abs(second[s.diag_q]).min() > 0        # the eta^2 term does change |J_i|^2


@pytest.mark.parametrize("K,M", [(2, 2), (3, 2), (2, 4)])
def test_bn_paper_conserves_Qii_minus_g2_at_order_eta(K, M):
    for seed in range(3):
        state = random_state(K, M, seed)
        s, y = system("bn-paper", state, tau=0.6)
        first, _ = s.parts(y)
        g = s.unpack(y)["g"]
        dQii, dg = first[s.diag_q], first[s.nq + K * M:]
        assert np.abs(first[s.diag_q]).min() > 1e-6                 # Q_ii itself moves
        np.testing.assert_allclose(dQii, 2 * g * dg, rtol=1e-13, atol=1e-15)   # d(Q_ii - g_i^2) = 0


# ----------------------------------------------------------------------------- trajectories

def test_eps_g_nonnegative_through_convergence():
    tr = ode.integrate("vanilla", 2, 2, eta=1.0, t_max=400, times=np.linspace(0, 400, 81),
                       init=initial.random(2, 2, 1000, seed=0))
    assert tr.eps_g[-1] < 1e-8           # learned (realizable)
    assert tr.eps_g.min() >= -1e-14
    assert np.all(np.isfinite(tr.Q))


def test_gain_may_cross_zero():
    """A student anti-aligned with its teacher flips the sign of its gain; the ODE passes g = 0 smoothly."""
    start = initial.from_matrices([[1.0]], [[-0.5]], [[1.0]], [0.1])
    tr = ode.integrate("bn-paper", init=start, eta=1.0, times=np.linspace(0, 20, 11))
    assert tr.g[0, 0] > 0 > tr.g[-1, 0]
    assert tr.eps_g[-1] < 0.01 * tr.eps_g[0]


def test_random_init_matches_simulation_start():
    from symbn.numeric.sgd.simulate import simulate

    st = initial.random(3, 2, N=40, seed=5)
    sim = simulate("vanilla", 3, 2, N=40, steps=0, seed=5)
    np.testing.assert_allclose(st.Q, sim.Q[0, 0], rtol=1e-14)
    np.testing.assert_allclose(st.R, sim.R[0, 0], rtol=1e-14)
    np.testing.assert_allclose(st.T, sim.T[0, 0], rtol=1e-14)


def test_output_times_and_T_argument():
    T = [[1.0, 0.3], [0.3, 0.8]]
    st = random_state(2, 2, 1, gains=False)
    st = initial.from_matrices(st.Q * 0.5, st.R * 0.0, None)
    tr = ode.integrate("vanilla", init=st, T=T, times=[0.0, 1.5, 3.0])
    np.testing.assert_array_equal(tr.t, [0.0, 1.5, 3.0])
    np.testing.assert_array_equal(tr.T, np.broadcast_to(T, (3, 2, 2)))   # times axis, as Q and R
    assert tr.Q.shape == (3, 2, 2) and tr.R.shape == (3, 2, 2) and tr.g is None
    np.testing.assert_array_equal(tr.Q[0], st.Q)
    from symbn.numeric.kernels.orderparams import eps_g

    assert tr.eps_g[1] == pytest.approx(eps_g(tr.Q[1], tr.R[1], T, 1.0), rel=1e-14)


# ----------------------------------------------------------------------------- (6) errors

@pytest.mark.parametrize("kwargs,match", [
    (dict(model="relu"), "unknown model"),
    (dict(K=0), "K must be"),
    (dict(tau=0.0), "tau must be > 0"),
    (dict(eta=-1.0), "eta must be > 0"),
    (dict(b=0.5), "b must be >= 1"),
    (dict(times=[0.0, 2.0, 1.0]), "strictly increasing"),
    (dict(times=[0.0, 20.0], t_max=10.0), r"times must lie in \[0, t_max"),
    (dict(times=[-1.0, 1.0]), "times must be >= 0"),
    (dict(method="Euler"), "unknown method"),
    (dict(rtol=0.0), "rtol must be > 0"),
])
def test_bad_parameters(kwargs, match):
    args = dict(model="vanilla", K=2, M=2, t_max=10.0, init=None)
    args.update(kwargs)
    model = args.pop("model")
    with pytest.raises(ParameterError, match=match):
        ode.integrate(model, **args)


@pytest.mark.parametrize("Q,R,T,g,match", [
    ([[1.0, 0.2], [0.3, 1.0]], [[0.1], [0.1]], None, None, "Q must be symmetric"),
    ([[0.0, 0.0], [0.0, 1.0]], [[0.0], [0.1]], None, None, r"Q\[0,0\] must be > 0"),
    ([[1.0]], [[1.5]], [[1.0]], None, r"correlation\| of student 0 and teacher 0 is 1.5 > 1"),
    ([[1.0, 0.9], [0.9, 1.0]], [[0.9], [-0.9]], [[1.0]], None, "negative eigenvalue"),
    ([[1.0]], [[0.1]], [[1.0]], [-1.0], "g must be > 0"),
    ([[1.0]], [[0.1]], [[1.0]], [1.0, 1.0], r"g must have shape \(1,\)"),
    ([[1.0]], [[0.1, 0.2]], [[1.0]], None, r"T must be shape \(2, 2\)"),
    ([[1.0, 0.0], [0.0, 1.0]], [[0.1, 0.2]], None, None, r"R must have shape \(2, M\)"),
    ([[float("nan")]], [[0.1]], None, None, "Q must be finite"),
])
def test_bad_initial_states(Q, R, T, g, match):
    with pytest.raises(ParameterError, match=match):
        initial.from_matrices(Q, R, T, g)


def test_init_mismatch_errors():
    st = random_state(2, 3, 0, gains=False)
    with pytest.raises(ParameterError, match="K = 3 does not match"):
        ode.integrate("vanilla", 3, init=st, t_max=1.0)
    with pytest.raises(ParameterError, match="has no gains"):
        ode.integrate("vanilla", init=initial.from_matrices(st.Q, st.R, st.T, [2.0, 1.0]), t_max=1.0)
    with pytest.raises(ParameterError, match="T given twice"):
        ode.integrate("vanilla", init=st, T=np.eye(3) * 2, t_max=1.0) if not np.allclose(st.T, np.eye(3)) \
            else pytest.fail("random T is not the identity")
    with pytest.raises(ParameterError, match="needs M = K and T = identity"):
        reduced.integrate_reduced("vanilla", 2, init=st, t_max=1.0)
    with pytest.raises(ParameterError, match="cannot perturb"):
        initial.near_fixed_point("vanilla", 2, 1.0, {"g": 0.1})


@pytest.mark.parametrize("R00,t_exit,reason", [
    (0.0, 0.2, r"tau Q_00 = .* <= 0"),                                 # Q_00 = 0.5 - 2.5 t
    (0.1, 0.196, r"primed \|correlation\| of h_0 and y_0 is .* > 1"),   # Q_00 = R_00^2 = 0.01
])
def test_leaving_the_domain_raises_with_time_and_reason(monkeypatch, R00, t_exit, reason):
    """Force dQ_00/dt = -eta (everything else 0) to drive the state out of the domain."""
    def shrink(self, y, C, s):
        first = np.zeros(self.size)
        first[0] = -1.0
        return first, np.zeros(self.size), None

    monkeypatch.setattr(System, "_terms", shrink)
    st = initial.from_matrices([[0.5, 0.0], [0.0, 0.5]], [[R00, 0.0], [0.0, 0.0]])
    with pytest.raises(ODEError, match=rf"failed at t = {t_exit}.*{reason}") as info:
        ode.integrate("vanilla", init=st, eta=2.5, t_max=1.0, fast=False)   # the patched NumPy path
    assert info.value.t == pytest.approx(t_exit, abs=1e-6)


def test_correlation_domain_error_message():
    s = System("vanilla", 1, 1)
    assert s.domain_error(np.array([1.0, 0.5])) is None
    assert "primed |correlation| of h_0 and y_0" in s.domain_error(np.array([1.0, 1.1]))
    assert "not finite" in s.domain_error(np.array([np.nan, 0.5]))
    assert np.all(np.isnan(s(0.3, np.array([1.0, 1.1])))) and s.last_failure[0] == 0.3


# ----------------------------------------------------------------------------- (7) JSON, CLI, imports

def test_json_round_trip(tmp_path):
    st = random_state(3, 2, 4)
    path = tmp_path / "init.json"
    initial.save(st, path)
    back = initial.load(path)
    for k in ("Q", "R", "T", "g"):
        np.testing.assert_array_equal(getattr(back, k), getattr(st, k))
    a = ode.integrate("bn-exact", init=st, times=[0.0, 5.0])
    b = ode.integrate("bn-exact", init=str(path), times=[0.0, 5.0])
    np.testing.assert_array_equal(a.Q, b.Q)
    assert json.loads(json.dumps(a.to_json()))["g"][0] == st.g.tolist()


def test_bad_json_files(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(ParameterError, match="not valid JSON"):
        initial.load(p)
    p.write_text(json.dumps({"Q": [[1.0]]}))
    with pytest.raises(ParameterError, match="missing R"):
        initial.load(p)
    p.write_text(json.dumps({"Q": [[1.0]], "R": [[0.1]], "W": 1}))
    with pytest.raises(ParameterError, match="unknown initial-state keys"):
        initial.load(p)
    with pytest.raises(ParameterError, match="cannot read"):
        initial.load(tmp_path / "missing.json")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "symbn.cli", "ode", *args], capture_output=True, text=True)


def test_cli_json(tmp_path):
    r = run_cli("--model", "vanilla", "--K", "2", "--M", "2", "--tau", "1", "--eta", "1", "--b", "1",
                "--t", "40", "--times", "0,10,40", "--N", "500", "--seed", "3", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"t", "eps_g", "Q", "R", "g"} and out["g"] is None and out["t"] == [0.0, 10.0, 40.0]
    api = ode.integrate("vanilla", 2, 2, times=[0.0, 10.0, 40.0], init=initial.random(2, 2, 500, 3))
    np.testing.assert_allclose(out["eps_g"], api.eps_g, rtol=1e-15)
    # --init FILE reproduces it
    path = tmp_path / "init.json"
    initial.save(initial.random(2, 2, 500, 3), path)
    r2 = run_cli("--init", str(path), "--t", "40", "--times", "0,10,40", "--json")
    assert json.loads(r2.stdout)["eps_g"] == out["eps_g"]


def test_cli_reduced_and_errors():
    r = run_cli("--model", "bn-exact", "--K", "3", "--near-fixed-point", "1e-3", "--t", "5", "--reduced", "--json")
    assert r.returncode == 0, r.stderr
    red = json.loads(r.stdout)
    assert set(red) >= {"t", "eps_g", "R", "S", "Q", "C", "g"}
    r = run_cli("--K", "2", "--t", "5", "--tau", "-1")
    assert r.returncode == 2 and "tau must be > 0" in r.stderr
    r = run_cli("--K", "2", "--t", "5", "--reduced")
    assert r.returncode == 2 and "--reduced needs --near-fixed-point" in r.stderr


def test_numeric_import_is_sympy_free():
    code = "import sys, symbn.numeric.ode.full, symbn.numeric.ode.initial, symbn.commands.ode; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("model", ["vanilla", "bn-exact"])
def test_inside_is_domain_error_for_many_states_at_once(model):
    # the vectorized check of the output points agrees with the per-state reasons, state by state,
    # over states inside and outside by each rule (|correlation| just above and below 1 + slack)
    rng = np.random.default_rng(2)
    s = System(model, 2, 3, tau=1.4)
    base = s.pack(np.array([[1.0, 0.3], [0.3, 0.8]]), rng.uniform(-0.5, 0.5, (2, 3)),
                  np.array([1.2, 0.7]) if s.model.normalized else None)
    ys = [base + rng.normal(0, 0.05, base.size) for _ in range(20)]
    for k, v in ((0, -0.1), (0, np.nan), (2, np.inf)):
        y = base.copy()
        y[k] = v
        ys.append(y)
    for scale in (1.0 + 0.5e-6, 1.0 + 2e-6):         # R_00 at the edge: correlation 1 + 5e-7 (in), 1 + 2e-6 (out)
        y = base.copy()
        y[s.nq] = scale * np.sqrt(base[0])
        ys.append(y)
    if s.model.normalized:
        y = base.copy()
        y[s.nq + 6] = 0.0                               # g_0 = 0
        ys.append(y)
    ys = np.array(ys)
    want = np.array([s.domain_error(y) is None for y in ys])
    assert np.array_equal(s.inside(ys), want)
    assert want.sum() >= 20 and (~want).sum() >= 4

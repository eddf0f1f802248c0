"""symbn.symbolic's public objects: what generated/ evaluates, independent checks, the cache file.

1. Each object, evaluated with mpmath at 30 digits, equals the generated NumPy function of the
   same name at 1e-12 relative (zeros: 1e-15 absolute) at a few (K, tau[, Q0]) and states.
2. Independent of that path: the reduced RHS and eps_g on the symmetric ansatz equal the general
   ones at K = M = 2, 3 (4 for eps_g); the Hessian equals central differences of eps_g(model) at
   fixed_point(model) (mpmath, 40 digits, h = 1e-12: truncation ~1e-24, rounding ~1e-16); the
   charpoly equals the principal-minor sums of the evaluated Hessian; the fixed point zeroes the
   eta^1 RHS.
3. generated/symbolic.json: every stored object loads node for node (srepr of the loaded object
   is the stored text; ``symbn derive --check`` compares that text with a fresh derivation) and
   equals the recomputed object (fixed point and Hessian of both families, vanilla's charpoly: the
   fast ones); it is ignored under another SymPy version.
4. The examples in docs/symbolic.md print what they show (doctest).
"""
import doctest
import itertools
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

import symbn.symbolic
from symbn import models
from symbn.errors import ParameterError
from symbn.generated import bn, vanilla
from symbn.symbolic import api, curvature, store
from symbn.symbolic import symbols as sy

GEN = {"vanilla": vanilla, "bn": bn}
POINTS = [(1, 1.0), (2, 0.5), (3, 1.0), (7, 3.0), (20, 0.1)]
FORWARD = models.names("forward")       # vanilla, bn, bn-paper, bn-exact
ODE = models.names("ode")               # vanilla, bn-paper, bn-exact


def gen(name, fn):
    """The generated function ``fn`` (with the rule's suffix for rhs/jacobian) of ``name``'s family."""
    m = models.get(name)
    return getattr(GEN[m.family], fn + (m.suffix if fn in ("rhs", "jacobian") else ""))


def mp(args, exprs):
    """mpmath function of ``args`` returning the list ``exprs`` evaluated (call inside workdps)."""
    fn = sp.lambdify(args, list(exprs), modules="mpmath")
    return lambda *v: fn(*[mpmath.mpf(x) for x in v])


def close(got, ref, rtol=1e-12):
    ref = float(ref)
    if abs(ref) < 1e-25:
        assert abs(got) <= 1e-15, (got, ref)
    else:
        assert abs(got - ref) <= rtol * abs(ref), (got, ref)


@pytest.fixture(scope="module")
def states():
    rng = np.random.default_rng(3)
    return [dict(R=rng.uniform(0.1, 0.9), S=rng.uniform(-0.2, 0.4), Q=rng.uniform(0.6, 1.5),
                 C=rng.uniform(-0.2, 0.4), g=rng.uniform(0.5, 2.0), K=int(rng.integers(1, 9)),
                 tau=rng.uniform(0.2, 4), eta=rng.uniform(0.1, 2), b=int(rng.integers(1, 50)))
            for _ in range(4)]


# 1. The API objects are what generated/ evaluates.

@pytest.mark.parametrize("name", FORWARD)
def test_forward_objects_equal_generated(name):
    point, H, cp = api.fixed_point(name), api.hessian(name), api.charpoly(name)
    state = GEN[models.get(name).family].STATE
    assert list(point) == list(state) and list(cp) == ["a1", "a2", "a3", "a4"]
    assert H.free_symbols <= {sy.K, sy.tau} and all(c.free_symbols <= {sy.K, sy.tau} for c in cp.values())
    f_point, f_H, f_cp = (mp((sy.K, sy.tau), e) for e in (point.values(), H, cp.values()))
    for K, tau in POINTS:
        with mpmath.workdps(30):
            refs = f_point(K, tau), f_H(K, tau), f_cp(K, tau)
        gots = gen(name, "fixed_point")(K, tau), gen(name, "hessian")(K, tau).ravel(), gen(name, "charpoly")(K, tau)
        for got, ref in zip(gots, refs):
            for g_, r_ in zip(got, ref):
                close(g_, r_)


@pytest.mark.parametrize("name", ODE)
def test_jacobian_equals_generated(name):
    J = api.jacobian(name)
    normalized = models.get(name).normalized
    args = (sy.K, sy.tau) + ((sy.Q0,) if normalized else ())
    assert J.free_symbols <= set(args)
    f = mp(args, J)
    for (K, tau), Q0 in itertools.product(POINTS[1:], (0.7, 3.0) if normalized else (None,)):
        x = (K, tau) + ((Q0,) if normalized else ())
        with mpmath.workdps(30):
            ref = f(*x)
        for g_, r_ in zip(gen(name, "jacobian")(*x).ravel(), ref):
            close(g_, r_)


@pytest.mark.parametrize("name", ODE)
def test_reduced_rhs_and_eps_g_equal_generated(name, states):
    rhs, eps = api.reduced_rhs(name), api.eps_g(name)
    state = GEN[models.get(name).family].STATE
    assert list(rhs) == list(state)
    args = tuple(sy.REDUCED[s] for s in state) + (sy.K, sy.tau, sy.eta, sy.b)
    f_rhs, f_eps = mp(args, rhs.values()), mp(args, [eps])
    for s in states:
        x = [s[k] for k in state] + [s["K"], s["tau"], s["eta"], s["b"]]
        with mpmath.workdps(30):
            ref_rhs, ref_eps = f_rhs(*x), f_eps(*x)[0]
        close(gen(name, "eps_g")(*x[:-2]), ref_eps)
        for g_, r_ in zip(gen(name, "rhs")(*x), ref_rhs):
            close(g_, r_, rtol=1e-11)


# 2. Independent checks.

def _ansatz(K, normalized):
    """The symmetric ansatz as a substitution of the general symbols (K = M, T = identity)."""
    sub = {}
    for i, j in itertools.product(range(1, K + 1), repeat=2):
        sub[f"Q{min(i, j)}{max(i, j)}"] = sy.Q if i == j else sy.C
        sub[f"R{i}{j}"] = sy.R if i == j else sy.S
        sub[f"T{min(i, j)}{max(i, j)}"] = sp.Integer(1 if i == j else 0)
        if normalized:
            sub[f"g{i}"] = sy.g
    return sub


@pytest.mark.parametrize("name,K", [("vanilla", 2), ("bn-paper", 2), ("bn-exact", 2), ("vanilla", 3),
                                    ("bn-exact", 3)])
def test_reduced_rhs_is_general_rhs_on_the_symmetric_ansatz(name, K, states):
    # K = 3 exercises the (K - 2) multiplicities that vanish at K = 2.
    normalized = models.get(name).normalized
    general = api.general_rhs(name, K, K)
    sub = _ansatz(K, normalized)
    by_name = {s.name: s for e in general.values() for s in e.free_symbols}
    ansatz = {by_name[k]: v for k, v in sub.items() if k in by_name}
    pairs = {"R": "R11", "S": "R12", "Q": "Q11", "C": "Q12", "g": "g1"}
    reduced = api.reduced_rhs(name)
    args = (sy.R, sy.S, sy.Q, sy.C, sy.g, sy.tau, sy.eta, sy.b)
    f_red = mp(args, [e.xreplace({sy.K: K}) for e in reduced.values()])
    f_gen = mp(args, [general[pairs[k]].xreplace(ansatz) for k in reduced])
    for s in states[:2]:
        x = [s[k] for k in ("R", "S", "Q", "C", "g", "tau", "eta", "b")]
        with mpmath.workdps(30):
            for a, b_ in zip(f_red(*x), f_gen(*x)):
                assert abs(a - b_) <= mpmath.mpf("1e-25") * max(1, abs(b_)), (a, b_)


@pytest.mark.parametrize("name,K", [("vanilla", 4), ("bn", 3)])
def test_reduced_eps_g_is_general_eps_g_on_the_symmetric_ansatz(name, K, states):
    normalized = models.get(name).normalized
    general = api.eps_g(name, K)
    assert general == api.eps_g(name, K, K)
    by_name = {s.name: s for s in general.free_symbols}
    ansatz = {by_name[k]: v for k, v in _ansatz(K, normalized).items() if k in by_name}
    args = (sy.R, sy.S, sy.Q, sy.C, sy.g, sy.tau)
    f = mp(args, [api.eps_g(name).xreplace({sy.K: K}), general.xreplace(ansatz)])
    for s in states:
        with mpmath.workdps(30):
            a, b_ = f(*[s[k] for k in ("R", "S", "Q", "C", "g", "tau")])
        assert abs(a - b_) <= mpmath.mpf("1e-25"), (a, b_)


@pytest.mark.parametrize("name", ["vanilla", "bn"])
@pytest.mark.parametrize("K,tau", [(2, 1.0), (5, 0.3)])
def test_hessian_and_charpoly_against_finite_differences(name, K, tau):
    normalized = models.get(name).normalized
    omega = (sy.R, sy.S, sy.Q, sy.g) if normalized else (sy.R, sy.S, sy.Q, sy.C)
    eps = api.eps_g(name).xreplace({sy.C: sy.Q} if normalized else {})   # the paper's C = Q for BN
    point = api.fixed_point(name)
    f_eps = sp.lambdify(omega + (sy.K, sy.tau), eps, modules="mpmath")
    f_x0, f_H, f_cp = (mp((sy.K, sy.tau), e) for e in ([point[str(v)] for v in omega], api.hessian(name),
                                                        api.charpoly(name).values()))
    with mpmath.workdps(40):
        x0, h = f_x0(K, tau), mpmath.mpf("1e-12")

        def e(i, si, j, sj):
            x = list(x0)
            x[i] += si * h
            x[j] += sj * h
            return f_eps(*x, mpmath.mpf(K), mpmath.mpf(tau))

        fd = mpmath.matrix(4, 4)
        for i, j in itertools.product(range(4), repeat=2):
            fd[i, j] = (e(i, 1, j, 1) - e(i, 1, j, -1) - e(i, -1, j, 1) + e(i, -1, j, -1)) / (4 * h * h)
        H = mpmath.matrix(4, 4)
        for k, v in enumerate(f_H(K, tau)):
            H[k // 4, k % 4] = v
        scale = max(abs(v) for v in H)
        assert max(abs(fd[i, j] - H[i, j]) for i in range(4) for j in range(4)) <= 1e-12 * scale
        # det(lambda I - H) = lambda^4 + a1 lambda^3 + ...: a_k = (-1)^k (sum of k x k principal minors).
        minors = [sum(mpmath.det(mpmath.matrix([[H[r, c] for c in rows] for r in rows]))
                      for rows in itertools.combinations(range(4), k)) for k in range(1, 5)]
        for k, a in enumerate(f_cp(K, tau)):
            ref = (-1) ** (k + 1) * minors[k]
            assert abs(a - ref) <= mpmath.mpf("1e-25") * max(1, abs(ref)), (k, a, ref)


@pytest.mark.parametrize("name", ODE)
def test_fixed_point_zeroes_the_eta1_flow(name):
    rhs = api.reduced_rhs(name)
    point = {sy.REDUCED[k]: v for k, v in api.fixed_point(name).items()}
    lead = [sp.diff(e, sy.eta).subs(sy.eta, 0).xreplace(point) for e in rhs.values()]
    f = mp((sy.K, sy.tau), lead)
    for K, tau in POINTS:
        with mpmath.workdps(30):
            assert max(abs(v) for v in f(K, tau)) < 1e-25


# 3. The cache file.

def test_every_stored_object_loads_node_for_node():
    stored = store.stored()
    assert stored, "generated/symbolic.json is missing or was written by another SymPy"
    assert sorted(stored) == sorted(f"{kind}/{name}" for kind, name in store.keys())
    for kind, name in store.keys():
        assert store.encode(store.get(kind, name)) == stored[f"{kind}/{name}"], (kind, name)


@pytest.mark.parametrize("kind,name", [("fixed_point", "vanilla"), ("hessian", "vanilla"),
                                       ("charpoly", "vanilla"), ("fixed_point", "bn"), ("hessian", "bn")])
def test_stored_objects_equal_recomputed(kind, name, family):
    # Recomputed by the functions objects.py calls, on the session's shared derivation (conftest).
    f = family(name)
    computed = {"fixed_point": lambda: {str(k): v for k, v in f["point"].items()},
                "hessian": lambda: f["H"], "charpoly": lambda: tuple(curvature.charpoly(f["H"]))}[kind]()
    assert store.get(kind, name) == computed


def test_cache_is_ignored_under_another_sympy(monkeypatch):
    store.stored.cache_clear()
    monkeypatch.setattr(sp, "__version__", "0.0.1")
    try:
        assert store.stored() == {}
    finally:
        monkeypatch.undo()
        store.stored.cache_clear()
    assert store.stored()


def test_results_are_copies():
    H = api.hessian("vanilla")
    H[0, 0] = 0
    assert api.hessian("vanilla")[0, 0] != 0
    api.fixed_point("vanilla").clear()
    assert api.fixed_point("vanilla")


# The surface and its errors.

def test_public_names():
    for name in ("reduced_rhs", "general_rhs", "eps_g", "fixed_point", "hessian", "jacobian", "charpoly"):
        assert name in dir(symbn.symbolic) and getattr(symbn.symbolic, name) is getattr(api, name)


@pytest.mark.parametrize("call,message", [
    (lambda: api.hessian("bn-full"), "for eps_g and the symmetric-phase closed forms (fixed point, Hessian, "
                                     "spectra) choose one of vanilla, bn, bn-paper, bn-exact"),
    (lambda: api.reduced_rhs("bn"), "choose one of vanilla, bn-paper, bn-exact"),
    (lambda: api.jacobian("bn"), "choose one of vanilla, bn-paper, bn-exact"),
    (lambda: api.charpoly("batchnorm"), "unknown model 'batchnorm'; choose one of vanilla, bn, bn-paper, bn-exact"),
    (lambda: api.general_rhs("vanilla", 0, 2), "K must be an integer >= 1, got 0"),
    (lambda: api.general_rhs("vanilla", 2, 1.5), "M must be an integer >= 1, got 1.5"),
    (lambda: api.general_rhs("vanilla", "2", 2), "K must be an integer >= 1, got '2'"),
    (lambda: api.eps_g("vanilla", None, 2), "M = 2 needs K"),
    (lambda: api.eps_g("vanilla", -1), "K must be an integer >= 1, got -1"),
])
def test_bad_input(call, message):
    with pytest.raises(ParameterError) as err:
        call()
    assert message in str(err.value)


def test_docs_examples_print_what_they_show():
    doc = Path(__file__).resolve().parents[1] / "docs" / "symbolic.md"
    result = doctest.testfile(str(doc), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10 and result.failed == 0

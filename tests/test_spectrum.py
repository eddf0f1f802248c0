"""Hessian spectrum at the symmetric fixed point: against an independent 30-digit mpmath Hessian,
a high-precision finite-difference Hessian, and the CLI's JSON/CSV output.

Reference: SymPy differentiates ``curvature.reduced_eps_g(model)`` (eps_g in R, S, Q, C
or R, S, Q, g with C = Q), the result is evaluated with mpmath at 30 digits at the
paper's closed-form fixed point (DESIGN.md; not the generated code), and
``mpmath.eigsy`` gives the eigenvalues.

Tolerance, per eigenvalue: |lambda - ref| <= 1e-10 |ref| + 1e-14 max|ref|.
The first term is the per-eigenvalue relative 1e-10 the issue asks for; it
binds for every eigenvalue with |lambda| >= 1e-4 max|lambda|. The second term
is needed because ``eigvalsh`` (like any solver fed the float64 Hessian) is only
normwise accurate: tiny eigenvalues are ill-conditioned with respect to the
rounding of the Hessian's entries themselves. Measured: perturbing the entries
by 1e-15 relative moves the smallest batch-norm eigenvalue by up to 2.6e-3
relative (K = 1000, tau = 1e-3, where the spectrum spans |lambda| from 3e-25 to
6e5), so no float64-entry algorithm can give those to 1e-10 relative
(see docs/spectrum.md). 1e-14 max|ref| is ~45 ulps of the largest eigenvalue.
"""
import io
import json
from contextlib import redirect_stdout

import mpmath
import numpy as np
import pytest
import sympy as sp

import symbn
from symbn import cli
from symbn.numeric import grid
from symbn.numeric import symmetric as sym
from symbn.symbolic import curvature, models
from symbn.symbolic import symbols as sy
from symbn.validate import ParameterError

KS = (1, 2, 10, 1000)
TAUS = ("1e-3", "1", "1e3")
POINTS = [(K, t) for K in KS for t in TAUS] + [(3, "0.01"), (20, "100")]
RTOL, NTOL = 1e-10, 1e-14


def paper_fixed_point(name, K, tau):
    """DESIGN.md's closed forms, evaluated in mpmath (vanilla: eta -> 0; BN: closure Q = 1/g^2)."""
    K, tau = mpmath.mpf(K), mpmath.mpf(tau)
    x = K + (K - 1) * tau
    if name == "vanilla":
        return {"R": 1 / mpmath.sqrt(K * x), "S": 1 / mpmath.sqrt(K * x), "Q": 1 / x, "C": 1 / x}
    return {"R": mpmath.sqrt(x / (tau * K)), "S": mpmath.sqrt(x / (tau * K)), "Q": x / tau, "C": x / tau,
            "g": mpmath.sqrt(tau / x)}


_CACHE = {}


def sympy_hessian(name):
    """(omega names, mpmath-lambdified Hessian of the reduced eps_g, lambdified eps_g)."""
    if name not in _CACHE:
        model = models.FORWARD[name]
        eps = curvature.reduced_eps_g(model)
        omega = curvature.hessian_variables(model)
        args = omega + (sy.K, sy.tau)
        _CACHE[name] = (tuple(str(v) for v in omega),
                        sp.lambdify(args, sp.hessian(eps, omega), modules="mpmath"),
                        sp.lambdify(args, eps, modules="mpmath"))
    return _CACHE[name]


def reference(name, K, tau):
    """Eigenvalues (ascending, mpf) of the 30-digit Hessian, and that Hessian."""
    names, hess, _ = sympy_hessian(name)
    with mpmath.workdps(30):
        fp = paper_fixed_point(name, K, tau)
        H = mpmath.matrix(hess(*[fp[v] for v in names], mpmath.mpf(K), mpmath.mpf(tau)))
        E, _ = mpmath.eigsy(H)
        return sorted(E[i] for i in range(4)), H


def assert_spectrum(got, ref):
    ref = np.array([float(r) for r in ref])
    scale = np.abs(ref).max()
    err = np.abs(got - ref)
    assert np.all(err <= RTOL * np.abs(ref) + NTOL * scale), (got, ref, err / np.abs(ref))
    big = np.abs(ref) >= 1e-4 * scale          # the per-eigenvalue relative bound holds here outright
    assert np.all(err[big] <= RTOL * np.abs(ref[big])), (got, ref)


@pytest.mark.parametrize("name", ["vanilla", "bn"])
def test_spectrum_matches_mpmath_hessian(name):
    K = np.array([k for k, _ in POINTS], float)
    tau = np.array([float(t) for _, t in POINTS])
    eig = sym.spectrum(name, K, tau)          # one vectorised call over all points
    assert eig.shape == (len(POINTS), 4) and np.all(np.isfinite(eig))
    assert np.all(np.diff(eig, axis=-1) >= 0)
    for n, (k, t) in enumerate(POINTS):
        ref, _ = reference(name, k, t)
        assert_spectrum(eig[n], ref)


@pytest.mark.parametrize("name", ["vanilla", "bn"])
def test_generated_fixed_point_is_the_papers(name):
    for k, t in POINTS:
        fp = sym.fixed_point(name, k, float(t))
        with mpmath.workdps(30):
            ref = paper_fixed_point(name, k, t)
        for v, x in ref.items():
            assert abs(float(fp[v]) - float(x)) <= 1e-14 * abs(float(x)), (name, k, t, v)


@pytest.mark.parametrize("name,K,tau", [("vanilla", 2, "1"), ("bn", 2, "1"), ("vanilla", 1000, "1e-3"),
                                        ("bn", 10, "1e3"), ("bn", 1, "1e-3")])
def test_mpmath_hessian_matches_finite_differences(name, K, tau):
    """The 30-digit reference Hessian equals mpmath.diff's high-precision finite differences of eps_g."""
    names, _, eps = sympy_hessian(name)
    _, H = reference(name, K, tau)
    with mpmath.workdps(30):
        fp = paper_fixed_point(name, K, tau)
        x0 = [fp[v] for v in names]
        f = lambda *x: eps(*x, mpmath.mpf(K), mpmath.mpf(tau))   # noqa: E731
        scale = max(abs(H[i, j]) for i in range(4) for j in range(4))
        for i in range(4):
            for j in range(i, 4):
                order = [0] * 4
                order[i] += 1
                order[j] += 1
                fd = mpmath.diff(f, x0, tuple(order))
                assert abs(fd - H[i, j]) <= mpmath.mpf("1e-20") * scale, (i, j, fd, H[i, j])


def test_k1_zero_directions_are_exact():
    # K = 1: S (and for vanilla C) has multiplicity K - 1 = 0 in eps_g, so H has zero rows.
    v = sym.spectrum("vanilla", 1, [1e-3, 1.0, 1e3])
    assert np.all(np.sum(v == 0.0, axis=1) == 2)
    assert np.all(sym.hessian("vanilla", 1, 1.0)[[1, 3], :] == 0)
    b = sym.spectrum("bn", 1, [1e-3, 1.0, 1e3])
    assert np.all(np.sum(b == 0.0, axis=1) == 1)
    assert np.all(sym.hessian("bn", 1, 1.0)[1, :] == 0)
    # the rest is the spectrum of the block of variables that do enter
    H = sym.hessian("vanilla", 1, 1.0)[np.ix_([0, 2], [0, 2])]
    assert np.array_equal(v[1, :2], np.linalg.eigvalsh(H))


def test_large_K_and_extreme_tau_stay_finite():
    K, tau = np.meshgrid(np.arange(1, 1001), np.geomspace(1e-3, 1e3, 13), indexing="ij")
    for name in ("vanilla", "bn"):
        eig = symbn.spectrum(name, K, tau)
        assert eig.shape == K.shape + (4,) and np.all(np.isfinite(eig))
        assert np.all(np.isfinite(symbn.eps_g_star(name, K, tau)))


def test_bad_parameters_name_the_parameter():
    with pytest.raises(ParameterError, match="K must be >= 1"):
        sym.spectrum("bn", 0, 1.0)
    with pytest.raises(ParameterError, match="tau must be > 0"):
        sym.spectrum("bn", 2, [1.0, -1.0])
    with pytest.raises(ParameterError, match="K must be an integer"):
        sym.spectrum("vanilla", 2.5, 1.0)
    with pytest.raises(ParameterError, match="unknown model"):
        sym.spectrum("resnet", 2, 1.0)


# --- grid syntax ---------------------------------------------------------------------------

def test_grid_syntax():
    assert grid.parse("K", "3").tolist() == [3.0]
    assert grid.parse("K", "1:4").tolist() == [1, 2, 3, 4]
    assert grid.parse("x", "0.5:2:0.5").tolist() == [0.5, 1.0, 1.5, 2.0]
    assert grid.parse("x", "0:1:lin3").tolist() == [0.0, 0.5, 1.0]
    np.testing.assert_allclose(grid.parse("tau", "1e-3:1e3:log7"), 10.0 ** np.arange(-3, 4), rtol=1e-14)
    assert grid.parse("K", "1,2,10:30:10").tolist() == [1, 2, 10, 20, 30]
    assert grid.parse("K", "1:1000:log4", integer=True).tolist() == [1, 10, 100, 1000]
    k, t = grid.mesh([1, 2], [0.1, 1, 10])
    assert k.tolist() == [1, 1, 1, 2, 2, 2] and t.tolist() == [0.1, 1, 10, 0.1, 1, 10]


@pytest.mark.parametrize("spec,match", [("", "empty"), ("1:x", "cannot read 'x'"), ("3:1", "start <= stop"),
                                        ("1:2:log0", "positive integer number of points"),
                                        ("1,,2", "empty item"), ("1:2:3:4", "too many"),
                                        ("1.5", "K must be an integer"), ("1:2:0", "step")])
def test_grid_errors(spec, match):
    with pytest.raises(ParameterError, match=match):
        grid.parse("K", spec, integer=True)


# --- CLI ------------------------------------------------------------------------------------

def run_cli(*argv):
    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = cli.main(list(argv))
    return rc, buf.getvalue()


@pytest.mark.parametrize("name", ["vanilla", "bn"])
def test_cli_json_round_trips_api_values(name):
    rc, text = run_cli("spectrum", "--model", name, "--K", "1:3,1000", "--tau", "1e-3:1e3:log3", "--json")
    assert rc == 0
    rows = json.loads(text)
    K, tau = grid.mesh([1, 2, 3, 1000], [1e-3, 1.0, 1e3])
    eig, fp, eps = sym.spectrum(name, K, tau), sym.fixed_point(name, K, tau), sym.eps_g_star(name, K, tau)
    assert len(rows) == 12
    for n, r in enumerate(rows):
        assert set(r) == {"K", "tau", "eigenvalues", "fixed_point", "eps_g"}
        assert r["K"] == K[n] and isinstance(r["K"], int)
        assert abs(r["tau"] - tau[n]) <= 1e-15 * tau[n]
        assert r["eigenvalues"] == eig[n].tolist()            # exact: JSON floats are repr
        assert r["eigenvalues"] == sorted(r["eigenvalues"])
        assert r["fixed_point"] == {k: float(v[n]) for k, v in fp.items()}
        assert list(r["fixed_point"]) == list(sym.fixed_point(name, 1, 1.0))
        assert r["eps_g"] == float(eps[n])


def test_cli_csv_and_text():
    rc, text = run_cli("spectrum", "--model", "bn", "--K", "2,20", "--tau", "0.01,100", "--csv")
    assert rc == 0
    lines = text.splitlines()
    assert lines[0] == "K,tau,lambda1,lambda2,lambda3,lambda4,R,S,Q,C,g,eps_g"
    cells = [line.split(",") for line in lines[1:]]
    assert [c[0] for c in cells] == ["2", "2", "20", "20"]
    got = np.array([[float(x) for x in c[2:6]] for c in cells])
    assert np.array_equal(got, sym.spectrum("bn", [2, 2, 20, 20], [0.01, 100, 0.01, 100]))
    rc, text = run_cli("spectrum", "--model", "vanilla", "--K", "2")
    assert rc == 0 and "Hessian eigenvalues (ascending): -0.98041437" in text


@pytest.mark.parametrize("argv,name", [(["--K", "0"], "K"), (["--tau=-1"], "tau"), (["--tau", "1:x"], "tau"),
                                       (["--K", "2.5"], "K"), (["--K", "5:1"], "K")])
def test_cli_bad_input_exits_2_naming_the_parameter(argv, name, capsys):
    rc = cli.main(["spectrum", *argv])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("symbn spectrum: error: ") and name in err

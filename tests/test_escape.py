"""Escape rates: Jacobian eigenvalue vs the rate fitted from the ODE; reduced vs full ODE; API and CLI.

Tolerances:
* fitted vs Jacobian rate, 5e-4 relative: the fit uses |x| <= 1e-6 (growth 1e3 from 1e-9), so
  nonlinear corrections are ~1e-6; the rest is the LSODA rtol 1e-6 and the not fully decayed
  stable/zero-mode components in the fit window (observed <= 1.6e-4 on these and slower cases).
* full-ODE finite-difference Jacobian, 1e-7 absolute: central differences with h = 1e-6,
  truncation ~1e-12, rounding ~1e-16/h = 1e-10, eigenvalue conditioning O(1) (real, well separated).
"""
import json

import numpy as np
import pytest

from symbn.cli import main
from symbn.numeric.symmetric import closed_form as sym
from symbn.numeric.analysis import escape
from symbn.validate import ParameterError

FAST = [("vanilla", 2, 1.0, None), ("vanilla", 2, 10.0, None), ("bn-paper", 2, 1.0, None),
        ("bn-exact", 2, 1.0, None), ("bn-paper", 2, 10.0, 1.0), ("bn-exact", 2, 10.0, 1.0)]


@pytest.mark.parametrize("model,K,tau,Q0", FAST)
def test_fitted_rate_from_ode_equals_jacobian_eigenvalue(model, K, tau, Q0):
    rate, info = escape.fitted_rate(model, K, tau=tau, Q0=Q0, delta=1e-9, growth=1e3)
    lam = float(escape.escape_rate(model, K, tau=tau, Q0=Q0))
    assert lam > 0
    assert rate == pytest.approx(lam, rel=5e-4)
    assert info["distance"][-1] < 1.1e-6      # stayed in the linear regime


def test_fitted_rate_independent_of_direction():
    lam = float(escape.escape_rate("vanilla", 2, tau=1.0))
    for seed in (1, 2):
        assert escape.fitted_rate("vanilla", 2, tau=1.0, seed=seed, growth=1e3)[0] == pytest.approx(lam, rel=5e-4)


@pytest.mark.parametrize("K", [2, 3])
def test_vanilla_full_ode_has_the_same_escape_rate_and_no_faster_direction(K):
    ev = escape.full_eigenvalues("vanilla", K, tau=1.0)
    assert np.abs(ev.imag).max() < 1e-9
    lam = float(escape.escape_rate("vanilla", K, tau=1.0))
    top = ev.real[-1]
    assert top == pytest.approx(lam, abs=1e-7)
    # Multiplicity of the unstable eigenvalue in the full space: 1 at K = 2, 4 at K = 3
    # (the symmetric direction plus symmetry-breaking ones, degenerate); nothing faster.
    mult = int(np.sum(np.abs(ev.real - lam) < 1e-6))
    assert mult == {2: 1, 3: 4}[K]
    # every reduced eigenvalue appears in the full spectrum
    for v in escape.eigenvalues("vanilla", K, tau=1.0).real:
        assert np.min(np.abs(ev.real - v)) < 1e-7


@pytest.mark.parametrize("model", ["bn-paper", "bn-exact"])
def test_bn_full_ode_escape_rate_equals_reduced(model):
    ev = escape.full_eigenvalues(model, 2, tau=1.0, Q0=1.0)
    assert ev.real[-1] == pytest.approx(float(escape.escape_rate(model, 2, tau=1.0, Q0=1.0)), abs=1e-8)


def test_bn_rate_is_vanilla_times_effective_learning_rate_and_closed_forms():
    K = np.array([2, 5, 10])[:, None]
    tau = np.array([0.1, 1.0, 10.0])
    u = K + (K - 1) * tau
    lam_v = escape.escape_rate("vanilla", K, tau=tau)
    np.testing.assert_allclose(escape.closure_Q0(K, tau=tau), u / tau, rtol=1e-15)
    np.testing.assert_allclose(escape.effective_learning_rate(K, tau=tau), tau / u**2, rtol=1e-14)
    np.testing.assert_allclose(escape.effective_learning_rate(K, tau=tau, Q0=1.0), 1 / u, rtol=1e-14)
    for m in ("bn-paper", "bn-exact"):
        np.testing.assert_allclose(escape.escape_rate(m, K, tau=tau), lam_v * tau / u**2, rtol=1e-7)
        np.testing.assert_allclose(escape.escape_rate(m, K, tau=tau, Q0=1.0), lam_v / u, rtol=1e-7)
        # the plateau actually reached from Q_ii = 1, g = 1
        Q0 = escape.plateau_Q0(m, K, tau=tau)
        expect = lam_v / u if m == "bn-exact" else lam_v / tau
        np.testing.assert_allclose(escape.escape_rate(m, K, tau=tau, Q0=Q0), expect, rtol=1e-7)


def test_vanilla_eigenvalues_at_tau_1_k_2():
    # Saad & Solla's K = M = 2 plateau, tau = 1: the generated Jacobian, cross-checked above
    # against the finite-difference full ODE; pinned to 1e-12.
    ev = escape.eigenvalues("vanilla", 2, tau=1.0).real
    np.testing.assert_allclose(ev[[0, 1, 3]], [-1.9724942209968002, -0.5917482662990406, 0.06574980736656034],
                               rtol=1e-12)
    assert abs(ev[2]) < 1e-15


@pytest.mark.parametrize("model,Q0", [("vanilla", None), ("bn-paper", 1.0), ("bn-exact", 1.0), ("bn-exact", None)])
def test_jacobian_is_the_derivative_of_the_models_own_flow(model, Q0):
    """escape.jacobian(model) equals central differences (h = 1e-6) of that model's eta^1 drift
    (escape.drift: the generated rhs at eta = 1, b = inf) at the fixed point of the family
    member Q0; truncation ~h^2, rounding ~1e-16/h: 1e-8 of max |J|. Different models' Jacobians
    differ by far more (bn-paper vs bn-exact: > 1e-2), so the dispatch by model is checked too."""
    K, tau = 3, 1.3
    fp = sym.fixed_point(model, K, tau=tau, Q0=Q0)
    y0 = np.array([fp[k] for k in escape.state(model)])
    h = 1e-6
    fd = np.stack([(escape.drift(model, y0 + h * e, K, tau) - escape.drift(model, y0 - h * e, K, tau)) / (2 * h)
                   for e in np.eye(y0.size)], axis=1)
    J = escape.jacobian(model, K, tau=tau, Q0=Q0)
    assert np.max(np.abs(J - fd)) < 1e-8 * np.max(np.abs(J))
    if model == "bn-paper":
        assert np.max(np.abs(J - escape.jacobian("bn-exact", K, tau=tau, Q0=Q0))) > 1e-2 * np.max(np.abs(J))


def test_eigenvalues_sorted_and_shapes():
    ev = escape.eigenvalues("bn-exact", [2, 3, 4], tau=1.0, Q0=[0.5, 1.0, 2.0])
    assert ev.shape == (3, 5)
    assert np.all(np.diff(ev.real, axis=-1) >= 0)


def test_plateau_length():
    assert escape.plateau_length(0.1, 1e-3, eta=2.0) == pytest.approx(np.log(1e3) / 0.2, rel=1e-15)


@pytest.mark.parametrize("bad", [dict(K=0, tau=1.0), dict(K=2.5, tau=1.0), dict(K=2, tau=-1.0),
                                 dict(K=2, tau=float("nan"))])
def test_validation(bad):
    with pytest.raises(ParameterError):
        escape.eigenvalues("vanilla", **bad)


def test_validation_model_and_Q0():
    with pytest.raises(ParameterError):
        escape.eigenvalues("bn", 2, tau=1.0)
    with pytest.raises(ParameterError):
        escape.eigenvalues("bn-exact", 2, tau=1.0, Q0=0.0)
    with pytest.raises(ParameterError):
        escape.plateau_Q0("bn-paper", 2, tau=1.0, Q_init=0.1, g_init=1.0)


def test_cli_json(capsys):
    assert main(["escape", "--model", "bn-exact", "--K", "2:4", "--tau", "1", "--Q0", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["K"] for r in rows] == [2, 3, 4]
    for r in rows:
        assert r["Q0"] == 1.0 and r["Q0_is_closure"] is False
        assert r["eigenvalues"] == sorted(r["eigenvalues"])
        assert r["escape_rate"] == r["eigenvalues"][-1]
        assert all(v == 0.0 for v in r["eigenvalues_imag"])
        assert r["escape_rate"] == pytest.approx(float(escape.escape_rate("bn-exact", r["K"], tau=1.0, Q0=1.0)), rel=1e-15)
    assert main(["escape", "--model", "bn-paper", "--K", "2", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert row["Q0_is_closure"] is True and row["Q0"] == pytest.approx(3.0, rel=1e-15)


def test_cli_table_and_errors(capsys):
    assert main(["escape", "--model", "vanilla", "--K", "2", "--tau", "1"]) == 0
    assert "escape rate 0.06574980737" in capsys.readouterr().out
    assert main(["escape", "--model", "vanilla", "--Q0", "1"]) == 2
    assert main(["escape", "--model", "bn-exact", "--K", "0"]) == 2

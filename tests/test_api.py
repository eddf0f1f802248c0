"""The public API: names, one model registry behind every entry point, one result type, one
argument order, and the same defaults in Python and on the command line."""
import inspect

import numpy as np
import pytest

import symbn
from symbn import models
from symbn.cli import parser

REQUIRED = ("fixed_point", "spectrum", "hessian", "integrate", "simulate", "escape_rate", "ParameterError")


def test_dir_lists_the_public_names_and_they_resolve():
    names = dir(symbn)
    assert set(REQUIRED) <= set(names)
    assert not [n for n in names if n.startswith("_") and n != "__version__"]
    for n in symbn.__all__:
        assert getattr(symbn, n) is not None
    with pytest.raises(AttributeError):
        symbn.no_such_name


@pytest.mark.parametrize("command,function", [("simulate", "simulate"), ("ode", "integrate")])
def test_python_and_command_line_defaults_agree(command, function):
    args = parser().parse_args([command])
    params = inspect.signature(getattr(symbn, function)).parameters
    shared = [k for k in vars(args) if k in params and params[k].default is not inspect.Parameter.empty
              and params[k].default is not None]
    assert len(shared) >= 5, shared
    for k in shared:
        assert getattr(args, k) == params[k].default, k


@pytest.mark.parametrize("call,scope", [
    (lambda m: symbn.spectrum(m, 2), "forward"),
    (lambda m: symbn.fixed_point(m, 2), "forward"),
    (lambda m: symbn.integrate(m, 2, 2, t_max=1.0), "ode"),
    (lambda m: symbn.integrate_reduced(m, 2, t_max=1.0), "ode"),
    (lambda m: symbn.escape_rate(m, 2), "ode"),
    (lambda m: symbn.simulate(m, 2, steps=0, b=2), "simulate"),
])
def test_every_entry_point_reads_the_registry(call, scope):
    """Unknown names give the registry's one message with the scope's valid names; every name of
    the scope is accepted; names outside it are refused with a message saying where they belong."""
    with pytest.raises(symbn.ParameterError) as e:
        call("batchnorm")
    assert str(e.value) == f"unknown model 'batchnorm'; choose one of {', '.join(models.names(scope))}"
    for name in models.names(scope):
        call(name)
    for name in set(models.names()) - set(models.names(scope)):
        with pytest.raises(symbn.ParameterError, match=f"model '{name}' .* is accepted only for"):
            call(name)


def test_one_meaning_of_fixed_point():
    v, b = symbn.fixed_point("vanilla", [2, 3], tau=1.0), symbn.fixed_point("bn-exact", 2, tau=1.0, Q0=1.0)
    assert list(v) == ["R", "S", "Q", "C"] and list(b) == ["R", "S", "Q", "C", "g"]
    np.testing.assert_allclose(v["Q"], [1 / 3, 1 / 5], rtol=1e-15)     # 1 / (K + (K - 1) tau)
    assert b["Q"] == 1.0 and b["g"] ** 2 == pytest.approx(1 / 3, rel=1e-15)


def test_ode_and_simulation_share_one_result_type():
    sim = symbn.simulate("bn-exact", 2, 2, N=50, steps=100, every=50, seeds=3, normalizer="population")
    ode = symbn.integrate("bn-exact", init=sim.initial_state(2), times=sim.alpha)
    assert type(sim) is type(ode) is symbn.Trajectory
    np.testing.assert_array_equal(ode.alpha, sim.alpha)
    for name in ("eps_g", "Q", "R", "T", "g"):
        assert getattr(sim, name).shape == (3,) + getattr(ode, name).shape, name
    assert ode.eps_g[0] == pytest.approx(sim.eps_g[2, 0], rel=1e-12)        # same start
    assert sim.params["tau"] == ode.tau == 1.0 and sim.N == 50

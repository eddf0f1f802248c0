"""Shared fixtures: symbolic objects are derived once per session (a few seconds)."""
import functools

import pytest


@functools.lru_cache(maxsize=None)
def symbolic_family(name):
    """Fixed point, gradient, Hessian, eps_g and reduced RHS of one family, from symbn.symbolic."""
    from symbn import models
    from symbn.symbolic import curvature, fixedpoint, symmetric

    forward = models.get(name, "forward")
    point = fixedpoint.fixed_point(forward)
    G, H = curvature.gradient_and_hessian(forward, point)
    rules = {"rhs" + m.suffix: m for m in models.family(name, "ode")}
    return {"model": forward, "point": point, "G": G, "H": H,
            "eps": symmetric.eps_g_reduced(forward),
            "eps_hess": curvature.reduced_eps_g(forward),
            "omega": curvature.hessian_variables(forward),
            "rhs": {fn: symmetric.rhs(rule) for fn, rule in rules.items()}}


@pytest.fixture(scope="session")
def family():
    return symbolic_family

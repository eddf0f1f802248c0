"""Shared fixtures: symbolic objects are derived once per session (a few seconds), through the
same per-process cache (symbn.symbolic.objects) that `symbn derive` renders generated/ from."""
import functools

import pytest


@functools.lru_cache(maxsize=None)
def symbolic_family(name):
    """Fixed point, gradient, Hessian, eps_g and reduced RHS of one family, from symbn.symbolic."""
    from symbn import models
    from symbn.symbolic import curvature, objects

    forward = models.get(name, "forward")
    return {"model": forward, "point": objects.fixed_point(forward), "G": objects.gradient(forward),
            "H": objects.hessian(forward), "eps": objects.eps_g(forward),
            "eps_hess": curvature.reduced_eps_g(forward),
            "omega": curvature.hessian_variables(forward),
            "rhs": {"rhs" + m.suffix: objects.rhs(m) for m in models.family(name, "ode")}}


@pytest.fixture(scope="session")
def family():
    return symbolic_family

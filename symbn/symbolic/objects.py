"""The derived objects of the symmetric phase, one function each, computed once per process.

Every consumer reads them here: the recipes (``build.py`` turns them into generated/), the
public API (``api.py``) and the cache file ``symbn derive`` writes (``store.py``), so all three
hold the same SymPy objects. Each function is an ``lru_cache`` on a
:class:`symbn.models.Network` (a registry model with its activation and second layer; a plain
model means erf and a fixed second layer); the returned dicts are shared, so treat them as
read-only (matrices are immutable; ``api.py`` hands out copies).

``forward`` objects (eps_g, fixed point, Hessian) depend on the forward map only and take the
family's forward model (``vanilla`` or ``bn``); ``rule`` objects (reduced RHS, Jacobian) take a
model with an update rule (``vanilla``, ``bn-paper``, ``bn-exact``).
"""
from __future__ import annotations

import functools

import sympy as sp

from symbn import models
from symbn.models import Network

from . import curvature, fixedpoint, symmetric


def cached(fn):
    """``fn`` computed once per :class:`Network` (a Model is read as its erf, fixed-w network)."""
    inner = functools.lru_cache(maxsize=None)(fn)

    @functools.wraps(fn)
    def call(model):
        return inner(models.network(model))
    return call


def forward(model) -> Network:
    """The forward network of ``model``'s family (``bn`` for bn-paper and bn-exact)."""
    net = models.network(model)
    return Network(models.get(net.family, "forward"), net.activation, net.learn_w)


@cached
def eps_g(fwd: Network):
    """Reduced eps_g(R, S, Q, C[, g]; K, tau) (paper Eq. 7, 13)."""
    return symmetric.eps_g_reduced(fwd)


@cached
def fixed_point(fwd: Network) -> dict:
    """{R, S, Q, C[, g]: expression in K, tau}: the symmetric fixed point at leading order in eta."""
    return fixedpoint.fixed_point(fwd)


@cached
def eps_g_star(fwd: Network):
    """eps_g at the fixed point, simplified with K >= 1."""
    return fixedpoint.simplify_in_k(eps_g(fwd).xreplace(fixed_point(fwd)))


@cached
def family_point(fwd: Network) -> dict:
    """Batch norm's fixed points as a family in Q0 (vanilla: the fixed point itself)."""
    return fixedpoint.family(fwd, fixed_point(fwd))


@cached
def gradient_and_hessian(fwd: Network):
    """(G, H): d eps_g / d Omega (4,) and d^2 eps_g / d Omega^2 (4, 4) at the fixed point, in K, tau."""
    G, H = curvature.gradient_and_hessian(fwd, fixed_point(fwd))
    return sp.ImmutableMatrix(G), sp.ImmutableMatrix(H)


def gradient(fwd: Network):
    return gradient_and_hessian(fwd)[0]


def hessian(fwd: Network):
    return gradient_and_hessian(fwd)[1]


@cached
def charpoly(fwd: Network) -> tuple:
    """(a1, a2, a3, a4) of det(lambda I - H), in KM1 = K - 1, KM2 = K - 2 and tau (float64-stable form)."""
    return tuple(curvature.charpoly(hessian(fwd)))


@cached
def rhs(rule: Network) -> tuple:
    """Reduced ODE d(state)/dt, state (R, S, Q, C[, g]), including the eta^2 tau / b term."""
    return symmetric.rhs(rule)


@cached
def jacobian(rule: Network):
    """d(eta^1 part of ``rhs``)/d(state) at the fixed point (batch norm: the family member Q = Q0)."""
    return sp.ImmutableMatrix(curvature.jacobian(rule, family_point(forward(rule))))

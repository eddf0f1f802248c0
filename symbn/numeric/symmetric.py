"""Symmetric fixed point, eps_g, gradient, Hessian and its spectrum (paper Section 3.2).

Thin, validated wrappers around the generated code; everything broadcasts over
arrays of K and tau, with vector/matrix axes last. Models: ``vanilla`` and
``bn`` (batch normalization; eps_g and the Hessian depend only on the forward
pass, so both BN update rules share them).
"""
from __future__ import annotations

import numpy as np

from symbn import validate
from symbn.generated import bn as _bn
from symbn.generated import vanilla as _vanilla

FAMILIES = {"vanilla": _vanilla, "bn": _bn}
# The ODE update rules map onto the family that fixes their forward pass.
FAMILY_OF = {"vanilla": "vanilla", "bn": "bn", "bn-paper": "bn", "bn-exact": "bn"}


def _family(model):
    return FAMILIES[FAMILY_OF[validate.model(model, tuple(FAMILY_OF))]]


def _params(K, tau):
    return validate.at_least("K", K, 1, integer=True), validate.positive("tau", tau)


def fixed_point(model, K, tau):
    """Symmetric fixed point as a dict of arrays, keys ``STATE`` of the model (R, S, Q, C[, g]).

    Vanilla: Q* = C* = 1/(K + (K-1) tau), R* = S* = 1/sqrt(K (K + (K-1) tau)) (eta -> 0);
    batch norm: the closure Q = 1/g^2 member of the fixed-point family.
    """
    fam = _family(model)
    values = fam.fixed_point(*_params(K, tau))
    return {name: values[..., k] for k, name in enumerate(fam.STATE)}


def eps_g_star(model, K, tau):
    """eps_g at the symmetric fixed point; shape of broadcast(K, tau)."""
    return _family(model).eps_g_star(*_params(K, tau))


def gradient(model, K, tau):
    """d eps_g / d Omega at the fixed point (not zero); shape (..., 4), Omega = HESSIAN_VARIABLES."""
    return _family(model).gradient(*_params(K, tau))


def hessian(model, K, tau):
    """d^2 eps_g / d Omega^2 at the fixed point; shape (..., 4, 4)."""
    return _family(model).hessian(*_params(K, tau))


def spectrum(model, K, tau):
    """Eigenvalues of the Hessian at the fixed point, ascending; shape (..., 4)."""
    return np.linalg.eigvalsh(hessian(model, K, tau))


def variables(model):
    """Names of Omega, the Hessian's variables."""
    return _family(model).HESSIAN_VARIABLES

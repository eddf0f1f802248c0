"""Activations on the numeric side: phi and phi' for the simulators, and the Gaussian averages
I2, I3, I4, J2 (:mod:`symbn.symbolic.integrals`, generated into ``symbn.generated``) for the ODEs.

relu: phi = max(0, x), phi' = H with phi'(0) = 0; its kernels are :mod:`symbn.numeric.kernels.relu`
(the generated I2, I3, J2 with checked input, and I4 by a one-dimensional integral).

The names are the registry's (:data:`symbn.models.ACTIVATIONS`); :func:`get` validates them,
:func:`kernels` gives an activation's I2, I3, I4, J2 (``symbn.kernels``).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from symbn import models
from symbn.generated import kernels as erf_kernels
from symbn.generated import kernels_linear
from symbn.numeric.kernels import relu

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class Activation(NamedTuple):
    """phi, phi' (vectorised) and the kernels module (functions I2, I3, I4, J2 of covariance entries)."""

    name: str
    phi: object
    dphi: object
    kernels: object


def erf_phi(x):
    """phi(x) = erf(x / sqrt 2) = 2 Phi(x) - 1 (ndtr is about twice as fast as erf)."""
    return 2.0 * ndtr(x) - 1.0


def erf_dphi(x):
    """phi'(x) = sqrt(2/pi) exp(-x^2/2)."""
    return _SQRT_2_OVER_PI * np.exp(-0.5 * x * x)


def identity(x):
    return x


def ones(x):
    return np.ones_like(x)


ACTIVATIONS = {"erf": Activation("erf", erf_phi, erf_dphi, erf_kernels),
               "linear": Activation("linear", identity, ones, kernels_linear),
               "relu": Activation("relu", relu.phi, relu.dphi, relu)}


def get(name) -> Activation:
    """The activation called ``name`` (one error message listing the known ones otherwise)."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[models.activation(name)]


def kernels(activation):
    """The Gaussian averages of ``activation`` (erf, linear, relu): an object with functions
    I2(c11, c22, c12), I3(c11, c22, c33, c12, c13, c23), I4(c11, ..., c44, c12, ..., c34) and
    J2(c11, c22, c12) of the covariance entries (variances first, then the upper triangle row by
    row), broadcasting over arrays:

        I2 = <phi(u) phi(v)>,  I3 = <phi'(u) v phi(w)>,  I4 = <phi'(u) phi'(v) phi(w) phi(z)>,
        J2 = <phi'(u) phi'(v)>.
    """
    return get(activation).kernels

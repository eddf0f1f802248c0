"""Activations on the numeric side: phi and phi' for the simulators, and the Gaussian averages
I2, I3, I4, J2 (:mod:`symbn.symbolic.integrals`, generated into ``symbn.generated``) for the ODEs.

The names are the registry's (:data:`symbn.models.ACTIVATIONS`); :func:`get` validates them.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from symbn import models
from symbn.generated import kernels as erf_kernels
from symbn.generated import kernels_linear

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
               "linear": Activation("linear", identity, ones, kernels_linear)}


def get(name) -> Activation:
    """The activation called ``name`` (one error message listing the known ones otherwise)."""
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS[models.activation(name)]

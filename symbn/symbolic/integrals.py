"""Gaussian averages of an activation phi, as functions of the covariance entries.

Each takes the entries of the covariance matrix of the jointly Gaussian, zero-mean
arguments, variances first, then the upper triangle row by row; a repeated argument
(I3(a, a, c), I4(a, b, a, b), ...) is just a covariance matrix with repeated rows, so one
formula covers every index pattern. An activation supplies four (:data:`KERNELS`):

    I2 = <phi(u) phi(v)>,  I3 = <phi'(u) v phi(w)>,  I4 = <phi'(u) phi'(v) phi(w) phi(z)>,
    J2 = <phi'(u) phi'(v)>   (the output-noise term of dQ/dt).

erf: phi(x) = erf(x / sqrt 2) (Saad & Solla 1995; Biehl & Schwarze 1995).
linear: phi(x) = x; every average is a polynomial in the covariances (Isserlis).
"""
from typing import NamedTuple

import sympy as sp


def I2(c11, c22, c12):
    """<phi(u) phi(v)> = (2/pi) asin(C12 / sqrt((1+C11)(1+C22)))."""
    return 2 / sp.pi * sp.asin(c12 / sp.sqrt((1 + c11) * (1 + c22)))


def I3(c11, c22, c33, c12, c13, c23):
    """<phi'(u) v phi(w)> = (2/pi) (C23 (1+C11) - C12 C13) / ((1+C11) sqrt((1+C11)(1+C33) - C13^2))."""
    return (2 / sp.pi * (c23 * (1 + c11) - c12 * c13)
            / ((1 + c11) * sp.sqrt((1 + c11) * (1 + c33) - c13**2)))


def I4(c11, c22, c33, c44, c12, c13, c14, c23, c24, c34):
    """<phi'(u) phi'(v) phi(w) phi(z)> = (4/pi^2) Lambda4^(-1/2) asin(Lambda0 / sqrt(Lambda1 Lambda2)).

    Lambda4 = (1+C11)(1+C22) - C12^2,
    Lambda0 = Lambda4 C34 - C23 C24 (1+C11) - C13 C14 (1+C22) + C12 C13 C24 + C12 C14 C23,
    Lambda1 = Lambda4 (1+C33) - C23^2 (1+C11) - C13^2 (1+C22) + 2 C12 C13 C23,
    Lambda2 = Lambda4 (1+C44) - C24^2 (1+C11) - C14^2 (1+C22) + 2 C12 C14 C24.
    """
    a, bb = 1 + c11, 1 + c22
    lam4 = a * bb - c12**2
    lam0 = lam4 * c34 - c23 * c24 * a - c13 * c14 * bb + c12 * c13 * c24 + c12 * c14 * c23
    lam1 = lam4 * (1 + c33) - c23**2 * a - c13**2 * bb + 2 * c12 * c13 * c23
    lam2 = lam4 * (1 + c44) - c24**2 * a - c14**2 * bb + 2 * c12 * c14 * c24
    return 4 / sp.pi**2 / sp.sqrt(lam4) * sp.asin(lam0 / sp.sqrt(lam1 * lam2))


def J2(c11, c22, c12):
    """<phi'(u) phi'(v)> = (2/pi) / sqrt((1+C11)(1+C22) - C12^2)  (phi' = sqrt(2/pi) exp(-x^2/2))."""
    return 2 / sp.pi / sp.sqrt((1 + c11) * (1 + c22) - c12**2)


def linear_I2(c11, c22, c12):
    """<u v> = C12."""
    return c12


def linear_I3(c11, c22, c33, c12, c13, c23):
    """<1 v w> = C23."""
    return c23


def linear_I4(c11, c22, c33, c44, c12, c13, c14, c23, c24, c34):
    """<1 1 w z> = C34."""
    return c34


def linear_J2(c11, c22, c12):
    """<1 1> = 1."""
    return sp.Integer(1)


class Kernels(NamedTuple):
    """The four Gaussian averages of one activation (see the module docstring)."""

    I2: object
    I3: object
    I4: object
    J2: object


KERNELS = {"erf": Kernels(I2, I3, I4, J2), "linear": Kernels(linear_I2, linear_I3, linear_I4, linear_J2)}
"""activation name (:data:`symbn.models.ACTIVATIONS`) -> its kernels."""


def on(kernel, cov, *units):
    """Apply ``kernel`` (I2, I3, I4 or J2) to ``units`` using ``cov(a, b)`` for the entries.

    Entries are passed in the kernels' order: the variances, then the upper
    triangle row by row.
    """
    n = len(units)
    diag = [cov(u, u) for u in units]
    off = [cov(units[i], units[j]) for i in range(n) for j in range(i + 1, n)]
    return kernel(*diag, *off)

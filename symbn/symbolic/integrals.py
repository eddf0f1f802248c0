"""Gaussian averages of an activation phi, as functions of the covariance entries.

Each takes the entries of the covariance matrix of the jointly Gaussian, zero-mean
arguments, variances first, then the upper triangle row by row; a repeated argument
(I3(a, a, c), I4(a, b, a, b), ...) is just a covariance matrix with repeated rows, so one
formula covers every index pattern. An activation supplies four (:data:`KERNELS`):

    I2 = <phi(u) phi(v)>,  I3 = <phi'(u) v phi(w)>,  I4 = <phi'(u) phi'(v) phi(w) phi(z)>,
    J2 = <phi'(u) phi'(v)>   (the output-noise term of dQ/dt).

erf: phi(x) = erf(x / sqrt 2) (Saad & Solla 1995; Biehl & Schwarze 1995).
linear: phi(x) = x; every average is a polynomial in the covariances (Isserlis).
relu: phi(x) = max(0, x), phi' = H (Heaviside). I2 is the arc-cosine kernel, J2 the bivariate
orthant probability (Sheppard), I3 follows from Stein's lemma; I4 = <H(u) H(v) relu(w) relu(z)>
needs the four-variate orthant probability, which has no elementary closed form: it is
:class:`NoClosedForm` here and numeric in :mod:`symbn.numeric.kernels.relu`.

Every relu form is written with s_ij = sqrt(Cii Cjj - Cij^2) = sqrt((g - Cij)(g + Cij)),
g = sqrt(Cii Cjj), and asin(rho_ij) = atan2(Cij, s_ij): continuous up to rho = +-1 (a repeated
argument) in floats too, where each factor of s_ij is >= 0 whenever |Cij| <= g (no square root of
a negative round-off, no 0/0).
"""
from typing import NamedTuple

import sympy as sp

from symbn.errors import ParameterError


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


def _sine(cii, cjj, cij):
    """s_ij = sqrt(Cii Cjj - Cij^2), factored so that float round-off at rho = +-1 gives 0."""
    g = sp.sqrt(cii * cjj)
    return sp.sqrt((g - cij) * (g + cij))


def relu_I2(c11, c22, c12):
    """<relu(u) relu(v)> = (s12 + C12 (pi/2 + asin rho)) / (2 pi), s12 = sqrt(C11 C22 - C12^2).

    The arc-cosine kernel sqrt(C11 C22) (sin t + (pi - t) cos t) / (2 pi), t = arccos(rho)
    (Cho & Saul 2009); at u = v it is <relu(u)^2> = C11/2.
    """
    s = _sine(c11, c22, c12)
    return (s + c12 * (sp.pi / 2 + sp.atan2(c12, s))) / (2 * sp.pi)


def relu_J2(c11, c22, c12):
    """<H(u) H(v)> = 1/4 + asin(rho)/(2 pi) = 1/4 + atan2(C12, s12)/(2 pi) (Sheppard)."""
    return sp.Rational(1, 4) + sp.atan2(c12, _sine(c11, c22, c12)) / (2 * sp.pi)


def relu_I3(c11, c22, c33, c12, c13, c23):
    """<H(u) v relu(w)> = C12 s13 / (2 pi C11) + C23 J2(C11, C33, C13), s13 = sqrt(C11 C33 - C13^2).

    Stein's lemma on v: C12 <delta(u) relu(w)> + C23 <H(u) H(w)>, and
    <delta(u) relu(w)> = p_u(0) <relu(w) | u = 0> = s13 / (2 pi C11).
    """
    return c12 * _sine(c11, c33, c13) / (2 * sp.pi * c11) + c23 * relu_J2(c11, c33, c13)


class NoClosedForm:
    """A kernel that exists only numerically: the symbolic side cannot use it, and calling it
    raises :class:`symbn.errors.ParameterError` saying where the numeric one is."""

    def __init__(self, name, activation, numeric):
        self.name, self.activation, self.numeric = name, activation, numeric
        self.__doc__ = f"{name} of {activation}: no closed form (numeric: {numeric})."

    def __call__(self, *entries):
        raise ParameterError(
            f"{self.name} of the {self.activation} activation has no closed form, so the symbolic "
            f"equations that need it (the eta^2 term of dQ/dt) do not exist for {self.activation}; "
            f"use the numeric ODE (symbn.integrate(..., activation={self.activation!r}), kernel "
            f"{self.numeric})")

    def __repr__(self):
        return f"NoClosedForm({self.name!r}, {self.activation!r})"


class Kernels(NamedTuple):
    """The four Gaussian averages of one activation (see the module docstring); a field may be a
    :class:`NoClosedForm` (relu's I4)."""

    I2: object
    I3: object
    I4: object
    J2: object


KERNELS = {"erf": Kernels(I2, I3, I4, J2), "linear": Kernels(linear_I2, linear_I3, linear_I4, linear_J2),
           "relu": Kernels(relu_I2, relu_I3, NoClosedForm("I4", "relu", "symbn.numeric.kernels.relu.I4"), relu_J2)}
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

"""I2, I3, I4, J2 closed forms of every activation against Gauss-Hermite quadrature, for every
index pattern (erf; linear, whose polynomial integrands the rule integrates exactly).

A repeated argument (I3(a, a, c), I4(a, b, a, b), ...) is a set partition of the
argument positions: each block is one underlying Gaussian variable. For every
partition of 2, 3 and 4 positions and 5 random covariance matrices of the
distinct variables, the expectation is computed by tensor-product Gauss-Hermite
quadrature (numpy.polynomial.hermite_e) in as many dimensions as there are
distinct variables, and compared with the generated kernels and with SymPy.

Tolerance: the integrands are entire functions times a Gaussian, so the
quadrature converges exponentially (slower for large variances, where erf is
step-like: variances here are 0.1-3). With one distinct variable, mpmath.quad
(tanh-sinh, 30 digits) is used instead. The difference between n and 3n/4 nodes
per dimension is asserted < 1e-11 on the same inputs, so 1e-10 absolute on
values of order 0.01-1 is a conservative bound on the quadrature error.
"""
import functools
import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import erf

from symbn.generated import kernels, kernels_linear
from symbn.symbolic import integrals

GENERATED = {"erf": kernels, "linear": kernels_linear}
assert set(GENERATED) == set(integrals.KERNELS) - {"relu"}     # relu (kinks, no closed I4): test_relu.py


def identity(z):
    return z


def one(z):
    return np.ones_like(z)


# phi, phi' of each activation, written here (NumPy) and in mpmath for the 1-d quadrature
PHI = {"erf": (lambda z: erf(z / np.sqrt(2)), lambda z: np.sqrt(2 / np.pi) * np.exp(-z**2 / 2)),
       "linear": (identity, one)}
MP_PHI = {"erf": (lambda z: mpmath.erf(z / mpmath.sqrt(2)), lambda z: mpmath.sqrt(2 / mpmath.pi) * mpmath.exp(-z**2 / 2)),
          "linear": (lambda z: z, lambda z: mpmath.mpf(1))}
# Which factor multiplies each argument position (0: phi, 1: phi', None: the variable itself):
# I2 = <phi phi>, I3 = <phi' id phi>, I4 = <phi' phi' phi phi>, J2 = <phi' phi'>.
FACTORS = {"I2": (0, 0), "I3": (1, None, 0), "I4": (1, 1, 0, 0), "J2": (1, 1)}


def factors(activation, kind, table=PHI):
    fns = table[activation]
    return [(lambda z: z) if f is None else fns[f] for f in FACTORS[kind]]


def partitions(n):
    """Set partitions of range(n) as block labels per position (canonical, first-occurrence order)."""
    out = []
    for labels in itertools.product(range(n), repeat=n):
        if all(labels[k] <= max(labels[:k], default=-1) + 1 for k in range(n)):
            out.append(labels)
    return out


def covariances(dim, count=5, seed=1):
    rng = np.random.default_rng(seed + dim)
    mats = []
    for _ in range(count):
        A = rng.normal(size=(dim, dim))
        C = A @ A.T / dim + 0.3 * np.eye(dim)
        mats.append(C * rng.uniform(0.3, 1.5))
    return mats


def quadrature_1d(activation, kind, cov):
    """One distinct variable: mpmath tanh-sinh quadrature at 30 digits (an independent check)."""
    sd = mpmath.sqrt(mpmath.mpf(cov[0, 0]))
    fns = factors(activation, kind, MP_PHI)
    with mpmath.workdps(30):
        def integrand(t):
            z = sd * t
            return mpmath.npdf(t) * mpmath.fprod(fn(z) for fn in fns)
        return float(mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf]))


@functools.lru_cache(maxsize=None)
def _tensor_rule(d, nodes):
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    grid = np.stack(np.meshgrid(*([x] * d), indexing="ij"), -1).reshape(-1, d)
    weight = np.prod(np.stack(np.meshgrid(*([w] * d), indexing="ij"), -1).reshape(-1, d), axis=1)
    return grid, weight


def quadrature(activation, kind, labels, cov, nodes):
    grid, weight = _tensor_rule(cov.shape[0], nodes)
    z = grid @ np.linalg.cholesky(cov).T
    integrand = weight.copy()
    for f, lab in zip(factors(activation, kind), labels):
        integrand *= f(z[:, lab])
    return integrand.sum()


def entries(labels, cov):
    """Kernel arguments: variances, then the upper triangle row by row."""
    n = len(labels)
    diag = [cov[labels[a], labels[a]] for a in range(n)]
    off = [cov[labels[a], labels[c]] for a in range(n) for c in range(a + 1, n)]
    return diag + off


# Nodes per dimension by number of distinct variables (fewer dimensions: afford more).
NODES = {2: 150, 3: 100, 4: 44}  # hermegauss overflows past ~180 nodes

CASES = [(act, kind, labels, k) for act in GENERATED for kind in FACTORS
         for labels in partitions(len(FACTORS[kind])) for k in range(5 if act == "erf" else 2)]


@pytest.mark.parametrize("activation,kind,labels,k", CASES,
                         ids=[f"{a}-{kd}-{''.join(map(str, l))}-{k}" for a, kd, l, k in CASES])
def test_kernel_matches_quadrature(activation, kind, labels, k):
    cov = covariances(max(labels) + 1)[k]
    args = entries(labels, cov)
    if max(labels) == 0:
        q = quadrature_1d(activation, kind, cov)
    else:
        nodes = NODES[max(labels) + 1]
        q = quadrature(activation, kind, labels, cov, nodes)
        q_coarse = quadrature(activation, kind, labels, cov, nodes * 3 // 4)
        assert abs(q - q_coarse) < 1e-11, "quadrature not converged"
    generated = float(getattr(GENERATED[activation], kind)(*args))
    exact = float(sp.sympify(getattr(integrals.KERNELS[activation], kind)(*[sp.Float(a, 30) for a in args])).evalf(30))
    assert generated == pytest.approx(q, abs=1e-10, rel=0)
    assert generated == pytest.approx(exact, rel=1e-14, abs=1e-16)


def test_every_pattern_is_covered():
    # Bell numbers: 2, 5 and 15 partitions of 2, 3 and 4 positions.
    assert [len(partitions(n)) for n in (2, 3, 4)] == [2, 5, 15]


def test_kernels_broadcast():
    c = np.linspace(0.1, 0.5, 6).reshape(2, 3)
    out = kernels.I2(c, 1.0, 0.05)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(2 / np.pi * np.arcsin(0.05 / np.sqrt(1.5 * 2.0)), rel=1e-15)

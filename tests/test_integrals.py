"""I2, I3, I4 closed forms against Gauss-Hermite quadrature, for every index pattern.

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

from symbn.generated import kernels
from symbn.symbolic import integrals

ARITY = {2: ("I2", integrals.I2), 3: ("I3", integrals.I3), 4: ("I4", integrals.I4)}


def phi(z):
    return erf(z / np.sqrt(2))


def dphi(z):
    return np.sqrt(2 / np.pi) * np.exp(-z**2 / 2)


# Which factor multiplies each argument position: I2 = <phi phi>, I3 = <phi' id phi>, I4 = <phi' phi' phi phi>.
FACTORS = {2: (phi, phi), 3: (dphi, lambda z: z, phi), 4: (dphi, dphi, phi, phi)}


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


def quadrature_1d(labels, cov):
    """One distinct variable: mpmath tanh-sinh quadrature at 30 digits (an independent check)."""
    sd = mpmath.sqrt(mpmath.mpf(cov[0, 0]))
    f = {phi: lambda z: mpmath.erf(z / mpmath.sqrt(2)),
         dphi: lambda z: mpmath.sqrt(2 / mpmath.pi) * mpmath.exp(-z**2 / 2)}
    factors = [f.get(fn, lambda z: z) for fn in FACTORS[len(labels)]]
    with mpmath.workdps(30):
        def integrand(t):
            z = sd * t
            return mpmath.npdf(t) * mpmath.fprod(fn(z) for fn in factors)
        return float(mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf]))


@functools.lru_cache(maxsize=None)
def _tensor_rule(d, nodes):
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    grid = np.stack(np.meshgrid(*([x] * d), indexing="ij"), -1).reshape(-1, d)
    weight = np.prod(np.stack(np.meshgrid(*([w] * d), indexing="ij"), -1).reshape(-1, d), axis=1)
    return grid, weight


def quadrature(labels, cov, nodes):
    grid, weight = _tensor_rule(cov.shape[0], nodes)
    z = grid @ np.linalg.cholesky(cov).T
    integrand = weight.copy()
    for f, lab in zip(FACTORS[len(labels)], labels):
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

CASES = [(labels, k) for n in (2, 3, 4) for labels in partitions(n) for k in range(5)]


@pytest.mark.parametrize("labels,k", CASES, ids=[f"{''.join(map(str, l))}-{k}" for l, k in CASES])
def test_kernel_matches_quadrature(labels, k):
    n = len(labels)
    cov = covariances(max(labels) + 1)[k]
    name, symbolic = ARITY[n]
    args = entries(labels, cov)
    if max(labels) == 0:
        q = quadrature_1d(labels, cov)
    else:
        nodes = NODES[max(labels) + 1]
        q = quadrature(labels, cov, nodes)
        q_coarse = quadrature(labels, cov, nodes * 3 // 4)
        assert abs(q - q_coarse) < 1e-11, "quadrature not converged"
    generated = float(getattr(kernels, name)(*args))
    exact = float(symbolic(*[sp.Float(a, 30) for a in args]).evalf(30))
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

"""Real roots of real-rooted monic polynomials of degree <= 4, each to a few ulps *relative*.

For p(x) = x^4 + a1 x^3 + a2 x^2 + a3 x + a4 with four real roots (the characteristic
polynomial of a symmetric 4 x 4 matrix) whose coefficients are known to a few ulps, the
roots are determined to a few ulps each, however different their sizes, as long as they are
well separated: a root x moves by eps * sum_k |a_k x^k| / |x p'(x)| relative. A normwise
solver (``eigvalsh`` on the matrix, or a closed-form quartic) gets the small roots only to
eps * max|x| absolute. Here, vectorised over a stack of polynomials:

1. normwise seeds for the quartic in closed form (Ferrari with the trigonometric cubic);
2. the largest-magnitude root is polished by Newton on p and divided out from the constant
   end, p = (x - r) q: q_3 = -a4 / r, q_k = (q_{k+1} - a_{k+1}) / r (backward deflation,
   stable when |r| is the largest root);
3. the same for the cubic q (trigonometric seeds); the quadratic left is solved stably
   (x1 = -(b + sign(b) sqrt(b^2 - 4c)) / 2, x2 = c / x1);
4. two Newton steps on p for every root remove the deflation errors.

The guarantee needs separated roots: with relative gaps |x_i - x_j| >= g max(|x_i|, |x_j|)
and |a_k| <= e_k(|x|), cond <= 16 / g^3. ``ok`` is False for a polynomial with a relative gap
below ``min_gap`` = 0.25 (cond could exceed 1024: near-multiple roots, ill conditioned with
respect to the coefficients although an eigenvalue need not be) or whose last Newton step was
not below 1e-12 relative; callers fall back to a normwise solver there. Exactly repeated
zeros (x = 0 from a4 = a3 = 0) are exact and pass.
"""
from __future__ import annotations

import numpy as np


def newton(coeffs, x, steps):
    """``steps`` Newton steps on the monic x^n + c1 x^(n-1) + ... + cn (Horner); returns (x, last step).

    A zero derivative (a multiple root) gives a zero step, so exact roots such as x = 0 of
    p = x^2 (x^2 + ...) stay exact.
    """
    dx = np.zeros_like(x)
    for _ in range(steps):
        p, dp = x + coeffs[0], np.ones_like(x)
        for c in coeffs[1:]:
            dp = dp * x + p
            p = p * x + c
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = np.where(dp != 0, p / dp, 0.0)
        x = x - dx
    return x, dx


_C3 = np.sqrt(3.0)


def cubic(b1, b2, b3):
    """Roots of x^3 + b1 x^2 + b2 x + b3 assumed real (trigonometric form; normwise), shape (3, ...),
    descending.

    x = t - b1/3 with t^3 + p t + q = 0, t_k = 2 m cos(theta - 2 pi k / 3), m = sqrt(-p/3),
    cos(3 theta) = (3 q / (2 p)) / m, theta in [0, pi/3]; the three cosines from cos and sin of theta.
    """
    s = b1 / 3
    p = b2 - b1 * s
    q = b3 - s * (b2 - 2 * s * s)
    m = np.sqrt(np.maximum(-p / 3, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(m > 0, 1.5 * q / (p * m), 0.0)
    cos = np.cos(np.arccos(np.clip(c, -1.0, 1.0)) / 3)
    sin = np.sqrt(np.maximum(1 - cos * cos, 0.0))
    u, v = m * cos, _C3 * m * sin
    return np.stack([2 * u - s, v - u - s, -v - u - s])


def quartic_seeds(a1, a2, a3, a4):
    """Normwise roots of a real-rooted monic quartic (Ferrari), shape (4, ...).

    x = y - a1/4, y^4 + P y^2 + Q y + R = 0; the resolvent z^3 + 2P z^2 + (P^2 - 4R) z - Q^2
    has the roots z = (y_i + y_j)^2 >= 0, and y = (+-sqrt z1 +- sqrt z2 +- sqrt z3) / 2 with
    sqrt z1 sqrt z2 sqrt z3 = -Q.
    """
    s = a1 / 4
    s2 = s * s
    P = a2 - 6 * s2
    Q = a3 - 2 * s * (a2 - 4 * s2)
    R = a4 - s * (a3 - s * (a2 - 3 * s2))
    w0, w1, w2 = 0.5 * np.sqrt(np.maximum(cubic(2 * P, P * P - 4 * R, -Q * Q), 0.0))
    w2 = np.where(Q > 0, -w2, w2)
    return np.stack([w0 + w1 + w2 - s, w0 - w1 - w2 - s, w1 - w0 - w2 - s, w2 - w0 - w1 - s])


def _largest(x):
    """The entry of largest magnitude along axis 0."""
    best = x[0]
    for row in x[1:]:
        best = np.where(np.abs(row) > np.abs(best), row, best)
    return best


def _sort4(a, b, c, d):
    """Four arrays sorted elementwise (a five-comparator sorting network)."""
    a, b = np.minimum(a, b), np.maximum(a, b)
    c, d = np.minimum(c, d), np.maximum(c, d)
    a, c = np.minimum(a, c), np.maximum(a, c)
    b, d = np.minimum(b, d), np.maximum(b, d)
    b, c = np.minimum(b, c), np.maximum(b, c)
    return a, b, c, d


def _nonzero(x):
    return np.where(x == 0, 1.0, x)


def quartic(a, tol=1e-12, min_gap=0.25):
    """Ascending real roots of x^4 + a1 x^3 + a2 x^2 + a3 x + a4, ``a`` of shape (..., 4); and ``ok``.

    Internally the roots are separate arrays (or stacked on a leading axis), so every NumPy
    loop runs over the points.
    """
    a1, a2, a3, a4 = np.ascontiguousarray(np.moveaxis(np.asarray(a, dtype=float), -1, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, _ = newton((a1, a2, a3, a4), _largest(quartic_seeds(a1, a2, a3, a4)), 2)
        r = _nonzero(r1)                 # r1 = 0 only for p = x^4, where every c below is 0 too
        c3 = -a4 / r
        c2 = (c3 - a3) / r
        c1 = (c2 - a2) / r
        r2, _ = newton((c1, c2, c3), _largest(cubic(c1, c2, c3)), 2)
        r = _nonzero(r2)
        d2 = -c3 / r
        d1 = (d2 - c2) / r
        x3 = -0.5 * (d1 + np.copysign(np.sqrt(np.maximum(d1 * d1 - 4 * d2, 0.0)), d1))
        x4 = d2 / _nonzero(x3)           # x3 = 0 only if d1 = d2 = 0
    x, dx = newton((a1, a2, a3, a4), np.stack([r1, r2, x3, x4]), 1)
    ok = np.all(np.abs(dx) <= tol * np.abs(x), axis=0)
    x = _sort4(*(x + 0.0))               # + 0.0: no negative zeros
    for lo, hi in zip(x[:-1], x[1:]):
        ok &= (hi - lo >= min_gap * np.maximum(np.abs(lo), np.abs(hi))) | ((lo == 0) & (hi == 0))
    return np.stack(x, axis=-1), ok

"""Generalization error from order parameters, for any K, M (paper Eq. 7, 13).

eps_g = (1/2) sum_pq c_p c_q I2(C'_pp, C'_qq, C'_pq),   c = (-w, v),

over students p then teachers q (second layers w, v; ones for the soft committee machine), with
I2 = <phi(u) phi(v)> of the activation; for erf, I2 = (2/pi) asin(C'_pq / sqrt((1+C'_pp)(1+C'_qq))),
i.e. the paper's sum of asin terms. The effective ("primed") covariances of the pre-activations:
vanilla Q' = tau Q, R' = tau R, T' = tau T; batch norm (large b, population statistics)
Q'_ij = g_i g_j Q_ij / sqrt(Q_ii Q_jj), R'_in = sqrt(tau) g_i R_in / sqrt(Q_ii), T' = tau T.
A BN bias beta (``bn-full``) shifts the student pre-activations' means; then
eps_g = (1/2) sum_pq w_p w_q E[phi(h_p + m_p) phi(h_q + m_q)] with w = (-1.., +1..),
m = (beta, 0) (:func:`pair_mean`).
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from symbn.errors import ParameterError
from symbn.numeric.kernels import activations


def primed(Q, R, T, tau, g=None):
    """Effective covariances (Q', R', T'); batch axes lead, matrix axes last."""
    Q, R, T = (np.asarray(a, dtype=float) for a in (Q, R, T))
    tau = np.asarray(tau, dtype=float)[..., None, None]
    if g is None:
        return tau * Q, tau * R, tau * T
    g = np.asarray(g, dtype=float)
    scale = g / np.sqrt(np.diagonal(Q, axis1=-2, axis2=-1))  # g_i / sqrt(Q_ii)
    Qp = scale[..., :, None] * Q * scale[..., None, :]
    Rp = np.sqrt(tau) * scale[..., :, None] * R
    return Qp, Rp, tau * T


def covariance(Qp, Rp, Tp):
    """The primed covariance of (students, teachers): [[Q', R'], [R'^T, T']] (..., K+M, K+M)."""
    return np.concatenate([np.concatenate([Qp, Rp], -1),
                           np.concatenate([np.swapaxes(Rp, -1, -2), Tp], -1)], -2)


def weights(K, M, w=None, v=None):
    """c = (-w, v) (..., K+M): how delta = t - s weighs each unit (ones by default)."""
    w = -np.ones(K) if w is None else -np.asarray(w, dtype=float)
    v = np.ones(M) if v is None else np.asarray(v, dtype=float)
    lead = np.broadcast_shapes(w.shape[:-1], v.shape[:-1])
    return np.concatenate([np.broadcast_to(w, lead + (K,)), np.broadcast_to(v, lead + (M,))], -1)


def eps_g(Q, R, T, tau, g=None, beta=None, *, w=None, v=None, activation="erf"):
    """Population generalization error (noiseless teacher); ``g=None`` for vanilla, the gains
    for batch norm, ``beta`` the BN biases (bn-full, erf; None or zeros: no bias); ``w`` (..., K)
    and ``v`` (M,) the second layers (None: ones); ``activation`` a registry name.

    Q: (..., K, K), R: (..., K, M), T: (..., M, M), g, beta: (..., K); returns shape (...).
    """
    Qp, Rp, Tp = primed(Q, R, T, tau, g)
    K, M = Qp.shape[-1], Tp.shape[-1]
    if beta is not None and np.any(beta):
        if activation != "erf" or any(x is not None and np.any(np.asarray(x) != 1) for x in (w, v)):
            raise ParameterError("a BN bias beta (bn-full) is supported for erf with unit second layers only")
        return _eps_g_shifted(Qp, Rp, Tp, np.asarray(beta, dtype=float))
    C = covariance(Qp, Rp, Tp)
    d = np.diagonal(C, axis1=-2, axis2=-1)
    I2 = activations.get(activation).kernels.I2(d[..., :, None], d[..., None, :], C)
    c = weights(K, M, w, v)
    return 0.5 * np.einsum("...p,...q,...pq->...", c, c, I2)


def eps_g_gram(Q, R, T, tau, g=None, **kw):
    """eps_g (:func:`eps_g`) at the nearest Gram matrix: >= 0 to round-off.

    The exact [[Q, R], [R^T, T]] is positive semi-definite, so eps_g = <(t - s)^2>/2 >= 0.
    Integration error (~rtol |Q|) can make it slightly indefinite once the student has
    learned (eps_g of the order of the tolerance) and eps_g slightly negative. Where
    that happens the negative eigenvalues are set to 0 before evaluating eps_g: a
    change of the order of the integration error (projection onto the PSD cone,
    which contains the exact state). Shapes: Q (..., K, K), R (..., K, M), T (M, M); ``kw``:
    :func:`eps_g`'s w, v, activation.
    """
    Q, R = np.asarray(Q, dtype=float), np.asarray(R, dtype=float)
    K = Q.shape[-1]
    T = np.broadcast_to(np.asarray(T, dtype=float), Q.shape[:-2] + (R.shape[-1],) * 2)
    G = np.concatenate([np.concatenate([Q, R], axis=-1),
                        np.concatenate([np.swapaxes(R, -1, -2), T], axis=-1)], axis=-2)
    w, V = np.linalg.eigh(G)
    bad = w[..., 0] < 0
    if np.any(bad):
        Gp = (V[bad] * np.clip(w[bad], 0.0, None)[..., None, :]) @ np.swapaxes(V[bad], -1, -2)
        Gp = (Gp + np.swapaxes(Gp, -1, -2)) / 2
        Q, R, T = Q.copy(), R.copy(), T.copy()
        Q[bad], R[bad], T[bad] = Gp[..., :K, :K], Gp[..., :K, K:], Gp[..., K:, K:]
    return eps_g(Q, R, T, tau, g, **kw)


def _eps_g_shifted(Qp, Rp, Tp, beta):
    C = covariance(Qp, Rp, Tp)
    K, M = Qp.shape[-1], Tp.shape[-1]
    m = np.concatenate([beta, np.zeros(np.broadcast_shapes(Tp.shape[:-2], beta.shape[:-1]) + (M,))], -1)
    w = np.concatenate([-np.ones(K), np.ones(M)])
    dC = np.diagonal(C, axis1=-2, axis2=-1)
    E = pair_mean(dC[..., :, None], dC[..., None, :], C, m[..., :, None], m[..., None, :])
    return 0.5 * np.einsum("p,q,...pq->...", w, w, E)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


def pair_mean(Caa, Cbb, Cab, ma, mb):
    """E[phi(u + ma) phi(v + mb)] for (u, v) ~ N(0, [[Caa, Cab], [Cab, Cbb]]).

    = 4 Phi2(ha, hb; rho) - 2 Phi(ha) - 2 Phi(hb) + 1, ha = ma/sqrt(1+Caa),
    rho = Cab / sqrt((1+Caa)(1+Cbb)), with the bivariate normal CDF from Plackett's
    identity, Phi2 = Phi(ha)Phi(hb) + (1/2pi) int_0^asin(rho)
    exp(-(ha^2 - 2 ha hb sin t + hb^2) / (2 cos^2 t)) dt (64-point Gauss-Legendre).
    Reduces to (2/pi) asin(rho) at ma = mb = 0.
    """
    sa, sb = np.sqrt(1 + Caa), np.sqrt(1 + Cbb)
    ha, hb = ma / sa, mb / sb
    top = np.arcsin(np.clip(Cab / (sa * sb), -1.0, 1.0))
    t = 0.5 * top[..., None] * (_GL_X + 1)
    s, c2 = np.sin(t), np.cos(t) ** 2
    ha_, hb_ = ha[..., None], hb[..., None]
    integrand = np.exp(-(ha_ * ha_ - 2 * ha_ * hb_ * s + hb_ * hb_) / (2 * c2))
    integral = 0.5 * top * (integrand * _GL_W).sum(axis=-1) / (2 * np.pi)
    Pa, Pb = ndtr(ha), ndtr(hb)
    return 4 * (Pa * Pb + integral) - 2 * Pa - 2 * Pb + 1

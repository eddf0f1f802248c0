"""Generalization error from order parameters, for any K, M (paper Eq. 7, 13).

eps_g = (1/pi) [ sum_pq asin(T'_pq / sqrt((1+T'_pp)(1+T'_qq)))
               + sum_pq asin(Q'_pq / sqrt((1+Q'_pp)(1+Q'_qq)))
               - 2 sum_pq asin(R'_pq / sqrt((1+Q'_pp)(1+T'_qq))) ]

with the effective ("primed") covariances of the pre-activations:
vanilla Q' = tau Q, R' = tau R, T' = tau T; batch norm (large b)
Q'_ij = g_i g_j Q_ij / sqrt(Q_ii Q_jj), R'_in = sqrt(tau) g_i R_in / sqrt(Q_ii), T' = tau T.
"""
from __future__ import annotations

import numpy as np


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


def _asin_sum(C, da, db):
    return np.arcsin(C / np.sqrt((1 + da)[..., :, None] * (1 + db)[..., None, :])).sum(axis=(-2, -1))


def eps_g(Q, R, T, tau, g=None):
    """Population generalization error; ``g=None`` for vanilla, the gains for batch norm.

    Q: (..., K, K), R: (..., K, M), T: (..., M, M), g: (..., K); returns shape (...).
    """
    Qp, Rp, Tp = primed(Q, R, T, tau, g)
    dq = np.diagonal(Qp, axis1=-2, axis2=-1)
    dt = np.diagonal(Tp, axis1=-2, axis2=-1)
    return (_asin_sum(Tp, dt, dt) + _asin_sum(Qp, dq, dq) - 2 * _asin_sum(Rp, dq, dt)) / np.pi

"""The state vector of the full order-parameter ODE and the covariance it implies.

State order as ``dynamics.GeneralSpace.state()``: Q upper triangle row by row (``iq``, ``jq``),
R row by row, g (batch norm), w (a learned second layer). Units a = 0..K-1 are students
(h_i), a = K..K+M-1 teachers (y_n); the primed covariance of all local fields is

.. math::

    C_{ab} = \\tau\\, s_a s_b\\, \\Gamma_{ab}, \\qquad \\Gamma = \\begin{pmatrix} Q & R \\\\ R^T & T \\end{pmatrix},

with :math:`s_i = g_i / \\sqrt{\\tau Q_{ii}}` for batch-norm students and 1 otherwise.
"""
from __future__ import annotations

import numpy as np


class StateLayout:
    """Where each order parameter sits in the state vector of widths K, M (fixed T, tau)."""

    def __init__(self, normalized, K, M, T, tau, learn_w, w):
        self.normalized, self.K, self.M, self.T, self.tau = bool(normalized), K, M, T, tau
        self.learn_w, self.w = learn_w, w
        self.L = K + M
        self.iq, self.jq = np.triu_indices(K)            # Q state order (row-major upper triangle)
        self.nq = self.iq.size
        self.ng = K if self.normalized else 0
        self.size = self.nq + K * M + self.ng + (K if learn_w else 0)
        self.diag_q = np.flatnonzero(self.iq == self.jq)  # positions of Q_ii in the Q part
        self._raw = np.zeros((self.L, self.L))
        self._raw[K:, K:] = T

    def pack(self, Q, R, g=None, w=None):
        """State vector from Q (K, K), R (K, M), g (BN; default ones), w (learned; default the fixed w)."""
        Q, R = np.asarray(Q, dtype=float), np.asarray(R, dtype=float)
        parts = [Q[self.iq, self.jq], R.ravel()]
        if self.normalized:
            parts.append(np.ones(self.K) if g is None else np.asarray(g, dtype=float).ravel())
        if self.learn_w:
            parts.append(self.w if w is None else np.asarray(w, dtype=float).ravel())
        return np.concatenate(parts)

    def unpack(self, y):
        """{Q, R[, g][, w]} from state vectors y (..., size): g for BN, w when it learns."""
        y = np.asarray(y, dtype=float)
        K, M, nq = self.K, self.M, self.nq
        Q = np.empty(y.shape[:-1] + (K, K))
        Q[..., self.iq, self.jq] = y[..., :nq]
        Q[..., self.jq, self.iq] = y[..., :nq]
        out = {"Q": Q, "R": y[..., nq:nq + K * M].reshape(y.shape[:-1] + (K, M))}
        if self.normalized:
            out["g"] = y[..., nq + K * M:nq + K * M + K]
        if self.learn_w:
            out["w"] = y[..., nq + K * M + self.ng:]
        return out

    def covariance(self, y):
        """(C, s): primed covariance (L x L) and the scales s (L) at state y; no checks."""
        K, nq = self.K, self.nq
        raw = self._raw
        raw[self.iq, self.jq] = y[:nq]
        raw[self.jq, self.iq] = y[:nq]
        R = y[nq:nq + K * self.M].reshape(K, self.M)
        raw[:K, K:] = R
        raw[K:, :K] = R.T
        s = np.ones(self.L)
        if self.normalized:
            s[:K] = y[nq + K * self.M:nq + K * self.M + K] / np.sqrt(self.tau * y[:nq][self.diag_q])
        return self.tau * s[:, None] * raw * s[None, :], s

    def decay(self, y):
        """d(state)/dt per unit weight decay: -(2 Q, R, 0 for g, w)."""
        out = -np.asarray(y, dtype=float).copy()
        out[:self.nq] *= 2
        out[self.nq + self.K * self.M:self.nq + self.K * self.M + self.ng] = 0
        return out

"""The Gaussian averages of the full ODE's right-hand side, over the primed covariance C of all
local fields (students a < K, teachers a >= K) with delta's weights c = (-w, v):

.. math::

    E(i, z) = \sum_p c_p I_3(h_i, z, p), \qquad
    F(i, j) = \sum_{pq} c_p c_q I_4(h_i, h_j, p, q) + \sigma^2 J_2(h_i, h_j).
"""
from __future__ import annotations

import numpy as np


class Averages:
    """E and F for a system with ``K``, ``L``, ``nq``, ``iq``, ``jq``, ``w``, ``v``, ``learn_w``,
    ``noise`` and the activation's ``kernels`` (a mixin of :class:`~symbn.numeric.ode.system.System`);
    F is evaluated in chunks of at most ``chunk`` kernel elements (bounded memory for large K)."""

    def __init__(self, chunk):
        self.pu, self.qu = np.triu_indices(self.L)
        self.mult = np.where(self.pu == self.qu, 1.0, 2.0)
        self.c = np.concatenate([-self.w, self.v])       # delta weighs unit p by c_p
        self.wpq = self.c[self.pu] * self.c[self.qu] * self.mult
        rows = max(1, chunk // self.pu.size)
        self._chunks = [slice(a, min(a + rows, self.nq)) for a in range(0, self.nq, rows)]
        # Flat gather indices into C for (i, p), (i, q), (j, p), (j, q): precomputed when one chunk does.
        self._gather = self._indices(self._chunks[0]) if len(self._chunks) == 1 else None

    def second_layer(self, y):
        """(w, c, wpq) at state y: the student's second layer, delta's weights c = (-w, v), and
        the I4 pair weights c_p c_q (doubled off the diagonal)."""
        if not self.learn_w:
            return self.w, self.c, self.wpq
        w = y[self.nq + self.K * self.M + self.ng:]
        c = np.concatenate([-w, self.v])
        return w, c, c[self.pu] * c[self.qu] * self.mult

    def E(self, C, c=None):
        """E(i, z) = <delta phi'(h_i) h_z> for students i and all units z: shape (K, L)."""
        K, d = self.K, np.diagonal(C)
        Ci = C[:K]
        I = self.kernels.I3(d[:K, None, None], d[None, :, None], d[None, None, :],
                            Ci[:, :, None], Ci[:, None, :], C[None, :, :])
        return I @ (self.c if c is None else c)

    def F(self, C, wpq=None):
        """F(i, j) = <delta^2 phi'(h_i) phi'(h_j)> for the pairs i <= j (state order): shape (nq,).
        Output noise adds sigma^2 J2(h_i, h_j)."""
        d, flat = np.diagonal(C), C.ravel()
        pu, qu, wpq = self.pu, self.qu, self.wpq if wpq is None else wpq
        out = np.empty(self.nq)
        c33, c44, c34 = d[pu], d[qu], C[pu, qu]
        for sl in self._chunks:
            i, j = self.iq[sl, None], self.jq[sl, None]
            ip, iq_, jp, jq_ = self._gather if self._gather is not None else self._indices(sl)
            I = self.kernels.I4(d[i], d[j], c33, c44, C[i, j], flat.take(ip), flat.take(iq_),
                                flat.take(jp), flat.take(jq_), c34)
            out[sl] = I @ wpq
        if self.noise:
            out += self.noise**2 * self.kernels.J2(d[self.iq], d[self.jq], C[self.iq, self.jq])
        return out

    def _indices(self, sl):
        L, i, j = self.L, self.iq[sl, None], self.jq[sl, None]
        return i * L + self.pu, i * L + self.qu, j * L + self.pu, j * L + self.qu

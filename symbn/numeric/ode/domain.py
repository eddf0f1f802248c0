"""The domain of the full order-parameter ODE (:class:`symbn.numeric.ode.system.System`): where its
right-hand side is defined, why a state is not, and which of many states are (vectorized).

Inside: the state is finite, tau Q_ii > 0, a BN gain g_i != 0, and every primed correlation
|C_ab| <= sqrt(C_aa C_bb) (1 + DOMAIN_SLACK), C = tau s Gamma s the covariance of the (scaled)
local fields (s_i = g_i / sqrt(tau Q_ii) for BN students, else 1).
"""
from __future__ import annotations

import numpy as np

from symbn.numeric.kernels import orderparams

DOMAIN_SLACK = 1e-6        # primed |correlation| may exceed 1 by this much before the state is rejected


class Domain:
    """Mixin of :class:`symbn.numeric.ode.system.System` (uses its K, M, nq, T, tau, diag_q, model,
    ``covariance`` and ``unpack``)."""

    def state_error(self, y):
        """Checks that need no covariance: finite, tau Q_ii > 0, g_i != 0."""
        if not np.all(np.isfinite(y)):
            return "the state is not finite (overflow or NaN)"
        qd = self.tau * y[:self.nq][self.diag_q]
        if np.any(qd <= 0):
            i = int(np.argmin(qd))
            return f"tau Q_{i}{i} = {qd[i]:.6g} <= 0"
        if self.model.normalized:
            g = y[self.nq + self.K * self.M:self.nq + self.K * self.M + self.K]
            if np.any(g == 0):  # h_i = g_i x_i / sd is smooth through 0 and E(i, i) / g_i has a limit
                return f"gain g_{int(np.argmin(np.abs(g)))} = 0 (dg/dt = eta E(i, i) / g_i is 0/0)"
        return None

    def correlation_error(self, C):
        """|C_ab| <= sqrt(C_aa C_bb) (1 + DOMAIN_SLACK) for all units a, b."""
        d = np.diagonal(C)
        if np.all(C * C <= (1 + DOMAIN_SLACK) ** 2 * (d[:, None] * d[None, :])):
            return None
        rho = np.abs(C) / np.sqrt(d[:, None] * d[None, :])
        a, b = np.unravel_index(int(np.nanargmax(rho)), rho.shape)
        name = lambda u: f"h_{u}" if u < self.K else f"y_{u - self.K}"  # noqa: E731
        return f"primed |correlation| of {name(a)} and {name(b)} is {rho[a, b]:.10g} > 1"

    def domain_error(self, y):
        """None if y is inside the domain, else the reason."""
        y = np.asarray(y, dtype=float)
        with np.errstate(all="ignore"):
            return self.state_error(y) or self.correlation_error(self.covariance(y)[0])

    def inside(self, ys):
        """Boolean (n,): which rows of ys (n, size) are inside the domain (domain_error's checks at once,
        on the covariance of :mod:`symbn.numeric.kernels.orderparams`)."""
        ys = np.atleast_2d(np.asarray(ys, dtype=float))
        st = self.unpack(ys)
        with np.errstate(all="ignore"):
            T = np.broadcast_to(self.T, (len(ys),) + np.shape(self.T))
            C = orderparams.covariance(*orderparams.primed(st["Q"], st["R"], T, self.tau, st.get("g")))
            d = np.diagonal(C, axis1=-2, axis2=-1)
            ok = np.all(np.isfinite(ys), axis=1) & np.all(self.tau * ys[:, self.diag_q] > 0, axis=1)
            ok &= np.all(C * C <= (1 + DOMAIN_SLACK) ** 2 * (d[..., :, None] * d[..., None, :]), axis=(1, 2))
            if "g" in st:
                ok &= np.all(st["g"] != 0, axis=1)
        return ok

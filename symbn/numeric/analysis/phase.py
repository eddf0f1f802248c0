"""The symmetric phase for any activation, numerically: plateau, Hessian of eps_g, Jacobian of the flow.

K = M, T = I, reduced state (R, S, Q, C[, g]) as in the generated families, but evaluated through
the full numeric ODE (:class:`symbn.numeric.ode.system.System`) on the symmetric ansatz: dR = dR_11,
dS = dR_12, dQ = dQ_11, dC = dQ_12, dg = dg_1 of the eta^1 flow (time eta t), eps_g from the
order parameters. This is the route where SymPy has no closed form (ReLU: the plateau is found
numerically); for erf it reproduces the generated closed forms (tests/test_phase.py), which is
its check.

Plateau: all students alike (R = S, Q = C). Vanilla: the point that minimises eps_g over identical
students (J_i = r sum_n B_n + orthogonal part: q >= K r^2), refined by a root of (dR, dQ) in
(r, q). Batch norm: the member Q = C = Q0 of the family, a root of (dR, dg) in (r, g).

Derivatives: the state sits on the edge of the domain (students identical: their correlation is 1,
so C <= Q), so Q and C are differenced one-sidedly into it (second order: Q increasing, C decreasing,
extrapolated in sqrt(h) for the ReLU flow's (Q - C)^(3/2) term); the others centrally. Step
h = 1e-6. (For erf the kernels are analytic across the edge and both sides agree; for ReLU they are
not, and the inside is the physics.)
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, root

from symbn import validate
from symbn.numeric.ode.system import System
from symbn.numeric.kernels.orderparams import eps_g

H = 1e-6


class Phase:
    """The symmetric phase of ``model`` (vanilla, bn-paper, bn-exact) with ``activation``, K = M >= 2."""

    def __init__(self, model, K, tau=1.0, activation="erf"):
        self.K = validate.count("K", K, low=2)
        self.tau = float(validate.positive("tau", tau))
        self.system = System(model, self.K, self.K, tau=self.tau, activation=activation)
        self.model, self.activation = self.system.model, self.system.activation.name
        self.names = ("R", "S", "Q", "C") + (("g",) if self.model.normalized else ())

    def matrices(self, y):
        """(Q, R, g) of the reduced state y = (R, S, Q, C[, g])."""
        R, S, Q, C = y[:4]
        eye = np.eye(self.K)
        g = np.full(self.K, y[4]) if self.model.normalized else None
        return (Q - C) * eye + C, (R - S) * eye + S, g

    def flow(self, y):
        """The reduced eta^1 flow (per unit eta t) at y."""
        Q, R, g = self.matrices(np.asarray(y, dtype=float))
        d = self.system.unpack(self.system.flow(self.system.pack(Q, R, g)))
        out = [d["R"][0, 0], d["R"][0, 1], d["Q"][0, 0], d["Q"][0, 1]]
        return np.array(out + ([d["g"][0]] if self.model.normalized else []))

    def eps_g(self, y):
        Q, R, g = self.matrices(np.asarray(y, dtype=float))
        return float(eps_g(Q, R, np.eye(self.K), self.tau, g, activation=self.activation))

    def plateau(self, Q0=None):
        """The plateau as a dict over ``names`` (batch norm: the member with Q = Q0, default 1)."""
        K = self.K
        if not self.model.normalized:
            if Q0 is not None:
                raise validate.ParameterError("Q0: vanilla has no fixed-point family")
            f = lambda x: self.eps_g((x[0], x[0], K * x[0] ** 2 + x[1] ** 2, K * x[0] ** 2 + x[1] ** 2))  # noqa: E731
            start = minimize(f, [1 / K, 0.1], method="Nelder-Mead", options=dict(xatol=1e-12, fatol=1e-16)).x
            guess = [start[0], K * start[0] ** 2 + start[1] ** 2]
            res = lambda x: self.flow((x[0], x[0], x[1], x[1]))[[0, 2]]  # noqa: E731
            x = root(res, guess, tol=1e-14).x
            y = (x[0], x[0], x[1], x[1])
        else:
            Q0 = 1.0 if Q0 is None else float(validate.positive("Q0", Q0))
            g0 = Phase("vanilla", K, self.tau, self.activation).plateau()     # the same plateau in h: g^2 = tau Q_v
            guess = [g0["R"] * np.sqrt(Q0 / g0["Q"]), np.sqrt(self.tau * g0["Q"])]
            res = lambda x: self.flow((x[0], x[0], Q0, Q0, x[1]))[[0, 4]]  # noqa: E731
            x = root(res, guess, tol=1e-14).x
            y = (x[0], x[0], Q0, Q0, x[1])
        if np.max(np.abs(self.flow(y))) > 1e-10:
            raise ArithmeticError(f"no plateau found for {self.model.name} / {self.activation}, K = {K}, tau = {self.tau:g}")
        return dict(zip(self.names, (float(v) for v in y)))

    SIDE = {"Q": 1, "C": -1}      # one-sided directions into the domain C <= Q

    def _derivative(self, f, y, k):
        e = np.zeros(len(y))
        e[k] = H * self.SIDE.get(self.names[k], 1)
        if self.names[k] in self.SIDE:
            # second-order one-sided differences D(h), extrapolated as 2 D(h/4) - D(h): at the ReLU plateau
            # the flow has a (Q - C)^(3/2) term, so D(h) errs by ~sqrt(h) and the extrapolation removes it
            one = lambda d: (-3 * f(y) + 4 * f(y + d) - f(y + 2 * d)) / (2 * d[k])  # noqa: E731
            return 2 * one(e / 4) - one(e)
        return (f(y + e) - f(y - e)) / (2 * H)

    def jacobian(self, point):
        """d(flow)/d(state) at ``point`` (a dict over ``names``)."""
        y = np.array([point[k] for k in self.names])
        return np.stack([self._derivative(self.flow, y, k) for k in range(len(y))], axis=1)

    def escape(self, point):
        """Eigenvalues of the Jacobian (ascending real parts) and the two transverse ones that leave the
        plateau: ``escape_rate`` (specialization, mostly R - S) and ``spread_rate`` (mostly Q - C)."""
        J = self.jacobian(point)
        n = len(self.names)
        basis = np.eye(n)
        basis[:4, :4] = [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [1, -1, 0, 0], [0, 0, 1, -1]]
        order = [0, 1] + list(range(4, n)) + [2, 3]      # plateau directions first, transverse last
        Jb = (basis @ J @ np.linalg.inv(basis))[np.ix_(order, order)]
        ev_t, vec = np.linalg.eig(Jb[-2:, -2:])
        spec = int(np.argmax(np.abs(vec[0]) / np.linalg.norm(vec, axis=0)))
        return {"eigenvalues": np.sort(np.linalg.eigvals(J).real).tolist(), "escape_rate": float(ev_t.real[spec]),
                "spread_rate": float(ev_t.real[1 - spec])}

    def hessian(self, point):
        """d^2 eps_g / d Omega^2 at ``point``, Omega = (R, S, Q, C) vanilla, (R, S, Q, g) with C = Q for
        batch norm (the paper's construction); fourth-order central differences except in C."""
        omega = ("R", "S", "Q", "g") if self.model.normalized else ("R", "S", "Q", "C")

        def f(x):
            st = dict(point, **dict(zip(omega, x)))
            if self.model.normalized:
                st["C"] = st["Q"]
            return self.eps_g([st[k] for k in self.names])

        x0 = np.array([point[k] for k in omega])
        h, n = 1e-3, len(omega)
        central = [(-2, 1 / 12), (-1, -8 / 12), (1, 8 / 12), (2, -1 / 12)]     # f', fourth order
        one_sided = [(0, -1.5), (1, 2.0), (2, -0.5)]                          # f', second order, into the domain
        second = [(0, 2.0), (1, -5.0), (2, 4.0), (3, -1.0)]                   # f'', second order, one-sided
        # batch norm's Omega has C = Q tied: Q may move either way there; vanilla's Q and C are one-sided
        side = {k: v for k, v in self.SIDE.items() if k in omega and "C" in omega}

        def stencil(k):
            return [(a * side[k], c * side[k]) for a, c in one_sided] if k in side else central

        out = np.empty((n, n))
        for i in range(n):
            for j in range(i, n):
                if i == j and omega[i] in side:
                    out[i, i] = sum(c * f(x0 + a * side[omega[i]] * h * np.eye(n)[i]) for a, c in second) / h**2
                    continue
                out[i, j] = out[j, i] = sum(ca * cc * f(x0 + h * (a * np.eye(n)[i] + c * np.eye(n)[j]))
                                            for a, ca in stencil(omega[i]) for c, cc in stencil(omega[j])) / h**2
        return out

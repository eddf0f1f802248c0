"""Order-parameter ODEs for any K, M (vanilla, bn-paper, bn-exact) and their integration.

The right-hand side is the one of :mod:`symbn.symbolic.dynamics`, evaluated
numerically with the generated kernels ``I3``, ``I4`` (:mod:`symbn.generated.kernels`).
Units a = 0..K-1 are students (pre-activation h_i), a = K..K+M-1 teachers (y_n);
the primed covariance of all pre-activations is

    C_ab = tau s_a s_b C_raw(a, b),   C_raw = [[Q, R], [R^T, T]],

with s_i = g_i / sqrt(tau Q_ii) for batch norm, s_i = 1 for vanilla, s = 1 for
teachers. With w_p = -1 (student p), +1 (teacher p):

    E(i, z) = sum_p w_p I3(h_i, z, p)                       (K x (K+M), one I3 call)
    F(i, j) = sum_pq w_p w_q I4(h_i, h_j, p, q)              (i <= j, p <= q doubled: one I4 call)
    dR_in = eta [ s_i E(i, n) - kappa (R_in / Q_ii) E(i, i) ]
    dQ_ij = eta [ (s_i/s_j) E(i, j) - kappa (Q_ij/Q_ii) E(i, i) + (i <-> j) ]
            + (eta^2 tau / b) s_i s_j F(i, j)
    dg_i  = eta E(i, i) / g_i                                  (batch norm only)

The models (:mod:`symbn.models`) differ only in ``normalized`` (s_i) and ``project``
(kappa = 1 for the exact BN gradient); there is one code path. The state vector is ordered as
``dynamics.GeneralSpace.state()``: Q upper triangle row by row, R row by row, g.

Cost of one evaluation: O(K (K+M)^2) for E, O(K^2 (K+M)^2 / 4) for F (I4
symmetries i <-> j, p <-> q used); F is evaluated in chunks so memory stays
bounded for large K.

Domain: tau Q_ii > 0, g_i != 0, every primed correlation |C_ab| <= sqrt(C_aa C_bb)
(1 + 1e-6), finite values. (A gain may change sign: h_i = g_i x_i / sd is smooth
through g_i = 0 and E(i, i) is proportional to g_i, so dg_i/dt has a limit there.)
Outside it the right-hand side returns NaN (:mod:`symbn.numeric.odesolve`). Initial states are also checked to be Gram matrices
(:mod:`symbn.numeric.initial`).
"""
from __future__ import annotations

import numpy as np

from symbn import defaults, validate
from symbn.errors import ParameterError
from symbn.generated import kernels
from symbn.numeric import initial
from symbn.numeric.odesolve import ATOL, METHOD, RTOL, Guarded, output_times, solve
from symbn.numeric.orderparams import eps_g_gram
from symbn.numeric.trajectory import Trajectory

DOMAIN_SLACK = 1e-6        # primed |correlation| may exceed 1 by this much before the state is rejected
CHUNK = 1 << 17            # elements per I4 call for large K (bounded memory, cache-friendly)


class System(Guarded):
    """The full ODE for widths K, M and fixed T, tau, eta, b: call as ``system(t, y)``.

    ``pack``/``unpack`` convert between (Q, R, g) and the state vector; ``parts(y)``
    gives the eta^1 and eta^2 tau / b coefficients separately:
    dy/dt = eta * first + (eta^2 tau / b) * second.
    """

    def __init__(self, model, K, M, T=None, tau=1.0, eta=1.0, b=1, chunk=CHUNK):
        self.model = validate.model(model, "ode")
        self.K, self.M = validate.count("K", K), validate.count("M", M)
        self.tau = float(validate.positive("tau", tau))
        self.eta = float(validate.positive("eta", eta))
        self.b = float(validate.at_least("b", b, 1))
        K, M = self.K, self.M
        L = self.L = K + M
        T = np.eye(M) if T is None else initial.symmetric_matrix("T", T, (M, M))
        self.T = T
        self.w = np.concatenate([-np.ones(K), np.ones(M)])
        self.iq, self.jq = np.triu_indices(K)            # Q state order (row-major upper triangle)
        self.nq = self.iq.size
        self.size = self.nq + K * M + (K if self.model.normalized else 0)
        self.diag_q = np.flatnonzero(self.iq == self.jq)  # positions of Q_ii in the Q part
        self.pu, self.qu = np.triu_indices(L)
        self.wpq = self.w[self.pu] * self.w[self.qu] * np.where(self.pu == self.qu, 1.0, 2.0)
        rows = max(1, chunk // self.pu.size)
        self._chunks = [slice(a, min(a + rows, self.nq)) for a in range(0, self.nq, rows)]
        # Flat gather indices into C for (i, p), (i, q), (j, p), (j, q): precomputed when one chunk does.
        self._gather = self._indices(self._chunks[0]) if len(self._chunks) == 1 else None
        self._raw = np.zeros((L, L))
        self._raw[K:, K:] = T
        self._c2 = self.eta**2 * self.tau / self.b   # coefficient of the second-order term
        self.nfev, self.last_failure = 0, None

    # -- state vector
    def pack(self, Q, R, g=None):
        Q, R = np.asarray(Q, dtype=float), np.asarray(R, dtype=float)
        parts = [Q[self.iq, self.jq], R.ravel()]
        if self.model.normalized:
            parts.append(np.ones(self.K) if g is None else np.asarray(g, dtype=float).ravel())
        return np.concatenate(parts)

    def unpack(self, y):
        """(Q, R, g) from state vectors y (..., size); g is None for vanilla."""
        y = np.asarray(y, dtype=float)
        K, M, nq = self.K, self.M, self.nq
        Q = np.empty(y.shape[:-1] + (K, K))
        Q[..., self.iq, self.jq] = y[..., :nq]
        Q[..., self.jq, self.iq] = y[..., :nq]
        R = y[..., nq:nq + K * M].reshape(y.shape[:-1] + (K, M))
        g = y[..., nq + K * M:] if self.model.normalized else None
        return Q, R, g

    # -- covariance and the averages E, F
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
        if self.model.normalized:
            s[:K] = y[nq + K * self.M:] / np.sqrt(self.tau * y[:nq][self.diag_q])
        return self.tau * s[:, None] * raw * s[None, :], s

    def E(self, C):
        """E(i, z) = <delta phi'(h_i) h_z> for students i and all units z: shape (K, L)."""
        K, d = self.K, np.diagonal(C)
        Ci = C[:K]
        I = kernels.I3(d[:K, None, None], d[None, :, None], d[None, None, :],
                       Ci[:, :, None], Ci[:, None, :], C[None, :, :])
        return I @ self.w

    def F(self, C):
        """F(i, j) = <delta^2 phi'(h_i) phi'(h_j)> for the pairs i <= j (state order): shape (nq,)."""
        d, flat = np.diagonal(C), C.ravel()
        pu, qu = self.pu, self.qu
        out = np.empty(self.nq)
        c33, c44, c34 = d[pu], d[qu], C[pu, qu]
        for sl in self._chunks:
            i, j = self.iq[sl, None], self.jq[sl, None]
            ip, iq_, jp, jq_ = self._gather if self._gather is not None else self._indices(sl)
            I = kernels.I4(d[i], d[j], c33, c44, C[i, j], flat.take(ip), flat.take(iq_),
                           flat.take(jp), flat.take(jq_), c34)
            out[sl] = I @ self.wpq
        return out

    def _indices(self, sl):
        L, i, j = self.L, self.iq[sl, None], self.jq[sl, None]
        return i * L + self.pu, i * L + self.qu, j * L + self.pu, j * L + self.qu

    def parts(self, y):
        """(first, second) with dy/dt = eta first + (eta^2 tau / b) second (no domain check)."""
        y = np.asarray(y, dtype=float)
        return self._parts(y, *self.covariance(y))

    def _parts(self, y, C, s):
        K, M, nq = self.K, self.M, self.nq
        E = self.E(C)
        si, iq, jq = s[:K], self.iq, self.jq
        Eii = np.diagonal(E)[:K].copy()
        Qp = y[:nq]
        first = np.empty(self.size)
        fq = si[iq] / si[jq] * E[iq, jq] + si[jq] / si[iq] * E[jq, iq]
        fr = si[:, None] * E[:, K:]
        if self.model.project:
            eq = Eii / Qp[self.diag_q]        # E(i, i) / Q_ii
            fq = fq - Qp * (eq[iq] + eq[jq])
            fr = fr - y[nq:nq + K * M].reshape(K, M) * eq[:, None]
        first[:nq] = fq
        first[nq:nq + K * M] = fr.ravel()
        if self.model.normalized:
            first[nq + K * M:] = Eii / y[nq + K * M:]
        second = np.zeros(self.size)
        second[:nq] = si[iq] * si[jq] * self.F(C)
        return first, second

    def _state_error(self, y):
        """Checks that need no covariance: finite, tau Q_ii > 0, g_i != 0."""
        if not np.all(np.isfinite(y)):
            return "the state is not finite (overflow or NaN)"
        qd = self.tau * y[:self.nq][self.diag_q]
        if np.any(qd <= 0):
            i = int(np.argmin(qd))
            return f"tau Q_{i}{i} = {qd[i]:.6g} <= 0"
        if self.model.normalized:
            g = y[self.nq + self.K * self.M:]
            if np.any(g == 0):  # h_i = g_i x_i / sd is smooth through 0 and E(i, i) / g_i has a limit
                return f"gain g_{int(np.argmin(np.abs(g)))} = 0 (dg/dt = eta E(i, i) / g_i is 0/0)"
        return None

    def _correlation_error(self, C):
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
            return self._state_error(y) or self._correlation_error(self.covariance(y)[0])

    def evaluate(self, y):
        reason = self._state_error(y)
        if reason is not None:
            return None, reason
        C, s = self.covariance(y)
        reason = self._correlation_error(C)
        if reason is not None:
            return None, reason
        first, second = self._parts(y, C, s)
        return self.eta * first + self._c2 * second, None


def initial_state(model, K, M, init, T, N, seed):
    """(InitialState, T, g) for :func:`integrate`: validated, T and g resolved."""
    if init is None:
        if K is None:
            raise ParameterError("give K (and M), or an initial state")
        init = initial.random(K, K if M is None else M, N=N, seed=seed)
    elif isinstance(init, str) or hasattr(init, "__fspath__"):
        init = initial.load(init)
    elif isinstance(init, dict):
        init = initial.from_dict(init)
    elif not isinstance(init, initial.InitialState):
        raise ParameterError(f"init must be an InitialState, a dict, a JSON path or None, got {type(init).__name__}")
    if K is not None and validate.count("K", K) != init.K:
        raise ParameterError(f"K = {K} does not match the initial state (K = {init.K})")
    if M is not None and validate.count("M", M) != init.M:
        raise ParameterError(f"M = {M} does not match the initial state (M = {init.M})")
    Tm = init.T
    if T is not None:
        T = initial.symmetric_matrix("T", T, (init.M, init.M))
        if not np.allclose(T, Tm, rtol=1e-12, atol=1e-14) and not np.array_equal(Tm, np.eye(init.M)):
            raise ParameterError("T given twice (argument and initial state) with different values")
        Tm = T
        init = initial.from_matrices(init.Q, init.R, Tm, init.g)
    g = init.g
    if not model.normalized and g is not None and not np.all(g == 1):
        raise ParameterError(f"model {model.name} has no gains; the initial state sets g = {g.tolist()}")
    if model.normalized and g is None:
        g = np.ones(init.K)
    return init, Tm, (g if model.normalized else None)


def integrate(model, K=None, M=None, *, tau=defaults.ODE["tau"], eta=defaults.ODE["eta"], b=defaults.ODE["b"],
              t_max=None, times=None, init=None, T=None, N=defaults.ODE["N"], seed=defaults.ODE["seed"],
              method=METHOD, rtol=RTOL, atol=ATOL) -> Trajectory:
    """Integrate the full order-parameter ODE of ``model`` (vanilla, bn-paper, bn-exact).

    init: an :class:`~symbn.numeric.initial.InitialState`, a dict with keys Q, R[, T, g],
    a path to such a JSON file, or None for the paper's random start
    ``initial.random(K, M, N, seed)`` (the initial state of ``simulate(..., N=N, seed=seed)``).
    T: teacher overlaps (default: from ``init``, identity if it has none). g defaults to ones
    for BN models. times: output times in [0, t_max] (default 101 points); t_max defaults to
    times[-1]. Returns a :class:`~symbn.numeric.trajectory.Trajectory`; raises
    :class:`~symbn.numeric.odesolve.ODEError` if the state leaves the domain.
    """
    m = validate.model(model, "ode")
    t_max, times = output_times(t_max, times)
    init, Tm, g = initial_state(m, K, M, init, T, N, seed)
    system = System(m, init.K, init.M, Tm, tau, eta, b)
    ys, elapsed = solve(system, system.pack(init.Q, init.R, g), t_max, times, method, rtol, atol)
    Q, R, gs = system.unpack(ys)
    state = {"Q": Q, "R": R, "T": np.broadcast_to(Tm, (times.size,) + Tm.shape)}
    start = {"Q": init.Q, "R": init.R, "T": Tm}
    if gs is not None:
        state["g"], start["g"] = gs.copy(), g
    params = dict(K=init.K, M=init.M, tau=system.tau, eta=system.eta, b=system.b,
                  method=method, rtol=float(rtol), atol=float(atol))
    return Trajectory(model=m.name, alpha=times, eps_g=eps_g_gram(Q, R, Tm, system.tau, gs), state=state,
                      params=params, initial=start, nfev=system.nfev, elapsed=elapsed)

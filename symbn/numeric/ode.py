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

The models differ only in ``normalized`` (s_i) and ``project`` (kappa = 1 for
the exact BN gradient); there is one code path. The state vector is ordered as
``dynamics.GeneralSpace.state()``: Q upper triangle row by row, R row by row, g.

Cost of one evaluation: O(K (K+M)^2) for E, O(K^2 (K+M)^2 / 4) for F (I4
symmetries i <-> j, p <-> q used); F is evaluated in chunks so memory stays
bounded for large K.

Integration: :func:`scipy.integrate.solve_ivp`, default ``RK45`` with
``rtol = 1e-8``, ``atol = 1e-10``: eps_g to ~5e-7 relative through a plateau
escape (K = M = 2, eta = 0.5), where DOP853 at the same tolerances is off by
~1e-4 at interior output times (see docs/ode.md for the measurements).

Domain: tau Q_ii > 0, g_i != 0, every primed correlation |C_ab| <= sqrt(C_aa C_bb)
(1 + 1e-6), finite values. (A gain may change sign: h_i = g_i x_i / sd is smooth
through g_i = 0 and E(i, i) is proportional to g_i, so dg_i/dt has a limit there.)
Outside it the right-hand side returns NaN, so the solver rejects that trial
step and shrinks it; if the true solution leaves the domain the step size
underflows and :class:`ODEError` is raised naming the time and the reason. NaNs
are never returned. Initial states are also checked to be Gram matrices
(:mod:`symbn.numeric.initial`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy.integrate import solve_ivp

from symbn import validate
from symbn.generated import kernels
from symbn.numeric import initial as _initial
from symbn.numeric.orderparams import eps_g as _eps_g
from symbn.validate import ParameterError

METHOD, RTOL, ATOL = "RK45", 1e-8, 1e-10
METHODS = ("RK45", "DOP853", "RK23", "LSODA", "Radau", "BDF")
DOMAIN_SLACK = 1e-6        # primed |correlation| may exceed 1 by this much before the state is rejected
CHUNK = 1 << 17            # elements per I4 call for large K (bounded memory, cache-friendly)


class ODEError(ArithmeticError):
    """The integration failed: the state left the domain or the solver gave up.

    ``t`` is the time at which it happened, ``reason`` says why.
    """

    def __init__(self, t, reason):
        self.t, self.reason = float(t), reason
        super().__init__(f"ODE integration failed at t = {self.t:.10g}: {reason}")


class Model(NamedTuple):
    """What distinguishes the update rules (mirrors ``symbn.symbolic.models`` without SymPy)."""

    name: str
    normalized: bool   # s_i = g_i / sqrt(tau Q_ii)
    project: bool      # kappa: the exact BN gradient removes the J_i direction


MODELS = {m.name: m for m in (Model("vanilla", False, False), Model("bn-paper", True, False),
                              Model("bn-exact", True, True))}


def get_model(name) -> Model:
    return MODELS[validate.model(name, "ode").name]


# ----------------------------------------------------------------------------- right-hand side

class _Guarded:
    """Call protocol shared by the full and reduced systems (``solve_ivp``'s ``fun``).

    Subclasses give ``_evaluate(y) -> (dy, None)`` or ``(None, reason)``, ``size``,
    ``nfev`` and ``last_failure``.
    """

    def __call__(self, t, y):
        """dy/dt; NaN (and the reason recorded in ``self.last_failure``) outside the domain."""
        self.nfev += 1
        with np.errstate(all="ignore"):
            dy, reason = self._evaluate(y)
            if reason is None and not np.all(np.isfinite(dy)):
                reason = "the right-hand side is not finite"
        if reason is None:
            return dy
        if self.last_failure is None or np.all(np.isfinite(y)):  # NaN stages only echo an earlier failure
            self.last_failure = (float(t), reason)
        return np.full(self.size, np.nan)


class System(_Guarded):
    """The full ODE for widths K, M and fixed T, tau, eta, b: call as ``system(t, y)``.

    ``pack``/``unpack`` convert between (Q, R, g) and the state vector; ``parts(y)``
    gives the eta^1 and eta^2 tau / b coefficients separately:
    dy/dt = eta * first + (eta^2 tau / b) * second.
    """

    def __init__(self, model, K, M, T=None, tau=1.0, eta=1.0, b=1, chunk=CHUNK):
        self.model = model if isinstance(model, Model) else get_model(model)
        self.K, self.M = validate.count("K", K), validate.count("M", M)
        self.tau = float(validate.positive("tau", tau))
        self.eta = float(validate.positive("eta", eta))
        self.b = float(validate.at_least("b", b, 1))
        K, M = self.K, self.M
        L = self.L = K + M
        T = np.eye(M) if T is None else _initial._symmetric("T", _initial._matrix("T", T, (M, M)))
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

    def _evaluate(self, y):
        reason = self._state_error(y)
        if reason is not None:
            return None, reason
        C, s = self.covariance(y)
        reason = self._correlation_error(C)
        if reason is not None:
            return None, reason
        first, second = self._parts(y, C, s)
        return self.eta * first + self._c2 * second, None


# ----------------------------------------------------------------------------- integration

def _times(t_max, times):
    if t_max is None and times is None:
        raise ParameterError("give t_max or times")
    if times is None:
        t_max = float(validate.positive("t_max", t_max))
        return t_max, np.linspace(0.0, t_max, 101)
    times = np.atleast_1d(validate.at_least("times", times, 0.0)).astype(float)
    if times.ndim != 1 or times.size == 0:
        raise ParameterError("times must be a non-empty list of numbers")
    if np.any(np.diff(times) <= 0):
        raise ParameterError(f"times must be strictly increasing, got {times.tolist()}")
    t_max = float(times[-1]) if t_max is None else float(validate.positive("t_max", t_max))
    if times[-1] > t_max:
        raise ParameterError(f"times must lie in [0, t_max = {t_max:g}], got {times[-1]:g}")
    return t_max, times


def _solve(fun, y0, t_max, times, method, rtol, atol):
    """solve_ivp from 0 to t_max, output at ``times``; ODEError instead of NaN or silent failure."""
    if method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    rtol, atol = float(validate.positive("rtol", rtol)), float(validate.positive("atol", atol))
    fun.last_failure = None
    reason = fun.domain_error(y0)
    if reason:
        raise ParameterError(f"initial state outside the domain: {reason}")
    if t_max == 0:
        return np.repeat(y0[None], times.size, axis=0)
    sol = solve_ivp(fun, (0.0, t_max), y0, method=method, t_eval=times, rtol=rtol, atol=atol)
    if sol.status != 0:
        t, why = fun.last_failure if fun.last_failure else (sol.t[-1] if sol.t.size else 0.0, "")
        raise ODEError(t, f"{why} ({sol.message.strip().rstrip('.')})" if why else sol.message)
    ys = sol.y.T
    bad = [k for k in range(ys.shape[0]) if fun.domain_error(ys[k])]
    if bad:  # an output point interpolated outside the domain (cannot happen for accepted steps)
        k = bad[0]
        raise ODEError(times[k], fun.domain_error(ys[k]))
    return ys


def eps_g_gram(Q, R, T, tau, g=None):
    """eps_g (orderparams.eps_g) at the nearest Gram matrix: >= 0 to round-off.

    The exact [[Q, R], [R^T, T]] is positive semi-definite, so eps_g = <(t - s)^2>/2 >= 0.
    Integration error (~rtol |Q|) can make it slightly indefinite once the student has
    learned (eps_g of the order of the tolerance) and eps_g slightly negative. Where
    that happens the negative eigenvalues are set to 0 before evaluating eps_g: a
    change of the order of the integration error (projection onto the PSD cone,
    which contains the exact state). Shapes: Q (..., K, K), R (..., K, M), T (M, M).
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
    return _eps_g(Q, R, T, tau, g)


@dataclass
class Trajectory:
    """Order parameters at the output times: t (n,), Q (n, K, K), R (n, K, M), g (n, K) or None, eps_g (n,)."""

    model: str
    t: np.ndarray
    Q: np.ndarray
    R: np.ndarray
    g: np.ndarray | None
    eps_g: np.ndarray
    T: np.ndarray
    params: dict = field(default_factory=dict)
    nfev: int = 0

    def to_json(self):
        """{"t", "eps_g", "Q", "R", "g", "T"} as plain lists (g None for vanilla)."""
        return {"t": self.t.tolist(), "eps_g": self.eps_g.tolist(), "Q": self.Q.tolist(),
                "R": self.R.tolist(), "g": None if self.g is None else self.g.tolist(),
                "T": self.T.tolist()}


def _resolve_init(model, K, M, init, T):
    if init is None:
        if K is None or M is None:
            raise ParameterError("give K and M, or an initial state")
        init = _initial.random(K, M, N=1000, seed=0)
    elif isinstance(init, (str,)) or hasattr(init, "__fspath__"):
        init = _initial.load(init)
    elif isinstance(init, dict):
        init = _initial.from_dict(init)
    elif not isinstance(init, _initial.InitialState):
        raise ParameterError(f"init must be an InitialState, a dict, a JSON path or None, got {type(init).__name__}")
    if K is not None and validate.count("K", K) != init.K:
        raise ParameterError(f"K = {K} does not match the initial state (K = {init.K})")
    if M is not None and validate.count("M", M) != init.M:
        raise ParameterError(f"M = {M} does not match the initial state (M = {init.M})")
    Tm = init.T
    if T is not None:
        T = _initial._symmetric("T", _initial._matrix("T", T, (init.M, init.M)))
        if not np.allclose(T, Tm, rtol=1e-12, atol=1e-14) and not np.array_equal(Tm, np.eye(init.M)):
            raise ParameterError("T given twice (argument and initial state) with different values")
        Tm = T
        init = _initial.from_matrices(init.Q, init.R, Tm, init.g)
    g = init.g
    if not model.normalized and g is not None and not np.all(g == 1):
        raise ParameterError(f"model {model.name} has no gains; the initial state sets g = {g.tolist()}")
    if model.normalized and g is None:
        g = np.ones(init.K)
    return init, Tm, (g if model.normalized else None)


def integrate(model, K=None, M=None, *, tau=1.0, eta=1.0, b=1, t_max=None, times=None, init=None,
              T=None, method=METHOD, rtol=RTOL, atol=ATOL) -> Trajectory:
    """Integrate the full order-parameter ODE of ``model`` (vanilla, bn-paper, bn-exact).

    init: an :class:`~symbn.numeric.initial.InitialState`, a dict with keys Q, R[, T, g],
    a path to such a JSON file, or None for the paper's random start
    ``initial.random(K, M, N=1000, seed=0)``. T: teacher overlaps (default: from
    ``init``, identity if it has none). g defaults to ones for BN models.
    times: output times in [0, t_max] (default 101 points); t_max defaults to times[-1].
    Returns a :class:`Trajectory`; raises :class:`ODEError` if the state leaves the domain.
    """
    m = get_model(model)
    t_max, times = _times(t_max, times)
    init, Tm, g = _resolve_init(m, K, M, init, T)
    system = System(m, init.K, init.M, Tm, tau, eta, b)
    ys = _solve(system, system.pack(init.Q, init.R, g), t_max, times, method, rtol, atol)
    Q, R, gs = system.unpack(ys)
    eps = eps_g_gram(Q, R, Tm, system.tau, gs)
    params = dict(K=init.K, M=init.M, tau=system.tau, eta=system.eta, b=system.b,
                  method=method, rtol=float(rtol), atol=float(atol))
    return Trajectory(m.name, times, Q, R, None if gs is None else gs.copy(), eps, Tm, params, system.nfev)


# ----------------------------------------------------------------------------- reduced (symmetric) ODE

class ReducedSystem(_Guarded):
    """The generated reduced ODE (K = M, T = I) for state (R, S, Q, C[, g]); any K >= 1 numerically."""

    def __init__(self, model, K, tau=1.0, eta=1.0, b=1):
        from symbn.generated import bn, vanilla

        self.model = model if isinstance(model, Model) else get_model(model)
        self.K = validate.count("K", K)
        self.tau = float(validate.positive("tau", tau))
        self.eta = float(validate.positive("eta", eta))
        self.b = float(validate.at_least("b", b, 1))
        self.family = bn if self.model.normalized else vanilla
        self._rhs = {"vanilla": vanilla.rhs, "bn-paper": bn.rhs_paper, "bn-exact": bn.rhs_exact}[self.model.name]
        self.names = _initial.REDUCED[:5 if self.model.normalized else 4]
        self.size = len(self.names)
        self.nfev, self.last_failure = 0, None

    def rhs(self, y):
        return self._rhs(*y, self.K, self.tau, self.eta, self.b)

    def eps_g(self, y):
        """Reduced eps_g for states y (..., size)."""
        y = np.asarray(y, dtype=float)
        return self.family.eps_g(*np.moveaxis(y, -1, 0), self.K, self.tau)

    def domain_error(self, y):
        y = np.asarray(y, dtype=float)
        if not np.all(np.isfinite(y)):
            return "the state is not finite (overflow or NaN)"
        R, S, Q, C = y[:4]
        if Q <= 0:
            return f"tau Q = {self.tau * Q:.6g} <= 0"
        if self.model.normalized and y[4] == 0:
            return "gain g = 0 (dg/dt = eta E / g is 0/0)"
        K = self.K
        for name, v, active in (("C/Q", C / Q, K > 1), ("R/sqrt(Q)", R / math.sqrt(Q), True),
                                ("S/sqrt(Q)", S / math.sqrt(Q), K > 1)):
            if active and not abs(v) <= 1 + DOMAIN_SLACK:
                return f"primed |correlation| {name} = {abs(v):.10g} > 1"
        return None

    def _evaluate(self, y):
        reason = self.domain_error(y)
        return (None, reason) if reason is not None else (self.rhs(y), None)


@dataclass
class ReducedTrajectory:
    """Reduced order parameters at the output times: t (n,), values {name: (n,)}, eps_g (n,)."""

    model: str
    K: int
    t: np.ndarray
    values: dict
    eps_g: np.ndarray
    params: dict = field(default_factory=dict)
    nfev: int = 0

    def to_json(self):
        return {"t": self.t.tolist(), "eps_g": self.eps_g.tolist(),
                **{k: v.tolist() for k, v in self.values.items()}}


def integrate_reduced(model, K, *, tau=1.0, eta=1.0, b=1, t_max=None, times=None, init=1e-3,
                      method=METHOD, rtol=RTOL, atol=ATOL) -> ReducedTrajectory:
    """Integrate the reduced symmetric ODE (generated ``rhs``/``rhs_paper``/``rhs_exact``).

    init: a dict of reduced values R, S, Q, C[, g] (g defaults to 1), a symmetric
    :class:`~symbn.numeric.initial.InitialState`, or a number: the perturbation
    of R away from the fixed point (:func:`~symbn.numeric.initial.near_fixed_point`).
    """
    system = ReducedSystem(model, K, tau, eta, b)
    t_max, times = _times(t_max, times)
    if isinstance(init, _initial.InitialState):
        init = _initial.reduced(init)
    elif not isinstance(init, dict):
        init = _initial.reduced(_initial.near_fixed_point(system.model.name, system.K, system.tau, init))
    unknown = sorted(set(init) - set(system.names))
    missing = [k for k in system.names if k not in init and k != "g"]
    if unknown or missing:
        raise ParameterError(f"reduced initial state for {system.model.name} needs keys "
                             f"{', '.join(system.names)}; unknown {unknown}, missing {missing}")
    y0 = np.array([float(validate._array(k, init.get(k, 1.0))) for k in system.names])
    ys = _solve(system, y0, t_max, times, method, rtol, atol)
    params = dict(K=system.K, tau=system.tau, eta=system.eta, b=system.b,
                  method=method, rtol=float(rtol), atol=float(atol))
    return ReducedTrajectory(system.model.name, system.K, times,
                             {k: ys[:, n].copy() for n, k in enumerate(system.names)},
                             system.eps_g(ys), params, system.nfev)


__all__ = ["integrate", "integrate_reduced", "eps_g_gram", "System", "ReducedSystem", "Trajectory",
           "ReducedTrajectory", "ODEError", "METHOD", "RTOL", "ATOL"]

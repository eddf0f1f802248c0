"""Order-parameter ODEs for any K, M (vanilla, bn-paper, bn-exact) and their integration.

The right-hand side is the one of :mod:`symbn.symbolic.dynamics`, evaluated
numerically with the generated kernels ``I3``, ``I4`` (:mod:`symbn.generated.kernels`).
Units a = 0..K-1 are students (pre-activation h_i), a = K..K+M-1 teachers (y_n);
the primed covariance of all pre-activations is

    C_ab = tau s_a s_b C_raw(a, b),   C_raw = [[Q, R], [R^T, T]],

with s_i = g_i / sqrt(tau Q_ii) for batch norm, s_i = 1 for vanilla, s = 1 for
teachers. With c = (-w, v) (student p weighs -w_p, teacher p +v_p; ones for the soft committee
machine), the activation's kernels (:mod:`symbn.numeric.activations`), P = 1 for the exact BN
gradient (``project``) else 0:

    E(i, z) = sum_p c_p I3(h_i, z, p)                            (K x (K+M), one I3 call)
    F(i, j) = sum_pq c_p c_q I4(h_i, h_j, p, q) + sigma^2 J2(h_i, h_j)   (i <= j, p <= q doubled: one I4 call)
    dR_in = eta w_i [ s_i E(i, n) - P (R_in / Q_ii) E(i, i) ] - kappa R_in
    dQ_ij = eta [ w_i (s_i/s_j) E(i, j) - P w_i (Q_ij/Q_ii) E(i, i) + (i <-> j) ]
            + (eta^2 tau / b) w_i w_j s_i s_j F(i, j) - 2 kappa Q_ij
    dg_i  = eta w_i E(i, i) / g_i                                     (batch norm only)
    dw_i  = eta_w sum_p c_p I2(h_i, p) - kappa w_i                     (a learned second layer)

The models (:mod:`symbn.models`) differ only in ``normalized`` (s_i) and ``project`` (P); there
is one code path. The state vector is ordered as ``dynamics.GeneralSpace.state()``: Q upper
triangle row by row, R row by row, g, w.

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

import importlib.util

import numpy as np

from symbn import defaults, validate
from symbn.errors import ParameterError
from symbn.numeric import activations, initial
from symbn.numeric.domain import DOMAIN_SLACK, Domain
from symbn.numeric.odesolve import ATOL, METHOD, RTOL, Guarded, output_times, solve
from symbn.numeric.orderparams import eps_g_gram
from symbn.numeric.trajectory import Trajectory

FAST_ACTIVATIONS = ("erf", "linear")   # with a compiled right-hand side (symbn.numeric.compiled_ode.CODES)
CHUNK = 1 << 17            # elements per I4 call for large K (bounded memory, cache-friendly)


def fast_available(activation) -> bool:
    """True if ``activation`` has the compiled right-hand side and numba is installed (not imported here)."""
    return activation in FAST_ACTIVATIONS and importlib.util.find_spec("numba") is not None


class System(Domain, Guarded):
    """The full ODE for widths K, M and fixed T, tau, eta, b: call as ``system(t, y)``.

    The network: ``activation`` (kernels I2, I3, I4, J2), the student's second layer ``w`` (K;
    its initial value when ``eta_w`` > 0 makes it learn, else fixed; default ones), the
    teacher's ``v`` (M, default ones), output noise ``noise`` (sigma) and ``weight_decay``
    (kappa). ``pack``/``unpack`` convert between the order parameters and the state vector;
    ``terms(y)`` gives the pieces of

        dy/dt = eta first + (eta^2 tau / b) second + eta_w wdrift - kappa decay(y),

    ``parts(y)`` = (first, second) and ``flow(y, rho)`` = first + rho wdrift (the eta -> 0 flow in
    units of eta t, rho = eta_w / eta, no decay). ``fast``: evaluate ``system(t, y)`` with the
    compiled right-hand side (:mod:`symbn.numeric.compiled_ode`; default: where the activation has
    one); the NumPy code here is the reference (``fast=False``) and always gives ``terms``.
    """

    def __init__(self, model, K, M, T=None, tau=1.0, eta=1.0, b=1, chunk=CHUNK, *, activation="erf",
                 w=None, v=None, eta_w=0.0, noise=0.0, weight_decay=0.0, fast=None):
        self.model = validate.model(model, "ode")
        self.activation = activations.get(activation)
        self.kernels = self.activation.kernels
        self.K, self.M = validate.count("K", K), validate.count("M", M)
        self.tau = float(validate.positive("tau", tau))
        self.eta = float(validate.positive("eta", eta))
        self.b = float(validate.at_least("b", b, 1))
        self.eta_w = float(validate.at_least("eta_w", eta_w, 0.0))
        self.noise = float(validate.at_least("noise", noise, 0.0))
        self.weight_decay = float(validate.at_least("weight_decay", weight_decay, 0.0))
        self.learn_w = self.eta_w > 0
        K, M = self.K, self.M
        L = self.L = K + M
        T = np.eye(M) if T is None else initial.symmetric_matrix("T", T, (M, M))
        self.T = T
        self.w = np.ones(K) if w is None else validate.vector("w", w, K)     # fixed (or initial) student second layer
        self.v = np.ones(M) if v is None else validate.vector("v", v, M)
        self.iq, self.jq = np.triu_indices(K)            # Q state order (row-major upper triangle)
        self.nq = self.iq.size
        self.ng = K if self.model.normalized else 0
        self.size = self.nq + K * M + self.ng + (K if self.learn_w else 0)
        self.diag_q = np.flatnonzero(self.iq == self.jq)  # positions of Q_ii in the Q part
        self.pu, self.qu = np.triu_indices(L)
        self.mult = np.where(self.pu == self.qu, 1.0, 2.0)
        self.c = np.concatenate([-self.w, self.v])       # delta weighs unit p by c_p
        self.wpq = self.c[self.pu] * self.c[self.qu] * self.mult
        rows = max(1, chunk // self.pu.size)
        self._chunks = [slice(a, min(a + rows, self.nq)) for a in range(0, self.nq, rows)]
        # Flat gather indices into C for (i, p), (i, q), (j, p), (j, q): precomputed when one chunk does.
        self._gather = self._indices(self._chunks[0]) if len(self._chunks) == 1 else None
        self._raw = np.zeros((L, L))
        self._raw[K:, K:] = T
        self._c2 = self.eta**2 * self.tau / self.b   # coefficient of the second-order term
        self.nfev, self.last_failure = 0, None
        self.fast = fast_available(self.activation.name) if fast is None else bool(fast)
        self._fast = self._compiled_rhs(self.eta, self._c2, self.eta_w, self.weight_decay) if self.fast else None
        self._fast_parts = {}

    def _compiled_rhs(self, eta, c2, eta_w, weight_decay):
        """f(y) = (eta first + c2 second + eta_w wdrift - weight_decay decay, status) by
        :mod:`symbn.numeric.compiled_ode`; status 0 inside the domain."""
        if not fast_available(self.activation.name):
            raise ParameterError(f"no compiled right-hand side for activation {self.activation.name!r} "
                                 f"(compiled: {', '.join(FAST_ACTIVATIONS)}; needs numba)")
        from symbn.numeric import compiled_ode

        return compiled_ode.bind(self, eta, c2, eta_w, weight_decay, (1 + DOMAIN_SLACK) ** 2)

    # -- state vector
    def pack(self, Q, R, g=None, w=None):
        """State vector from Q (K, K), R (K, M), g (BN; default ones), w (learned; default the fixed w)."""
        Q, R = np.asarray(Q, dtype=float), np.asarray(R, dtype=float)
        parts = [Q[self.iq, self.jq], R.ravel()]
        if self.model.normalized:
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
        if self.model.normalized:
            out["g"] = y[..., nq + K * M:nq + K * M + K]
        if self.learn_w:
            out["w"] = y[..., nq + K * M + self.ng:]
        return out

    def second_layer(self, y):
        """(w, c, wpq) at state y: the student's second layer, delta's weights c = (-w, v), and
        the I4 pair weights c_p c_q (doubled off the diagonal)."""
        if not self.learn_w:
            return self.w, self.c, self.wpq
        w = y[self.nq + self.K * self.M + self.ng:]
        c = np.concatenate([-w, self.v])
        return w, c, c[self.pu] * c[self.qu] * self.mult

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
            s[:K] = y[nq + K * self.M:nq + K * self.M + K] / np.sqrt(self.tau * y[:nq][self.diag_q])
        return self.tau * s[:, None] * raw * s[None, :], s

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

    def terms(self, y, second=True):
        """(first, second, wdrift) of dy/dt (class docstring); no domain check. ``second=False``
        skips the eta^2 part (the costly I4 sums; returned as None)."""
        y = np.asarray(y, dtype=float)
        return self._terms(y, *self.covariance(y), second=second)

    def _part(self, y, eta, c2, eta_w):
        """eta first + c2 second + eta_w wdrift by the compiled right-hand side, or None (not fast,
        or outside its domain)."""
        if not self.fast:
            return None
        key = (eta, c2, eta_w)
        if key not in self._fast_parts:
            self._fast_parts[key] = self._compiled_rhs(eta, c2, eta_w, 0.0)
        dy, status = self._fast_parts[key](y)
        return dy if status == 0 else None

    def parts(self, y):
        """(first, second) with dy/dt = eta first + (eta^2 tau / b) second for a fixed second layer
        without decay (no domain check; compiled when ``fast`` and inside the domain)."""
        first, second = self._part(y, 1.0, 0.0, 0.0), self._part(y, 0.0, 1.0, 0.0)
        return self.terms(y)[:2] if first is None or second is None else (first, second)

    def flow(self, y, rho=0.0):
        """first + rho wdrift: the eta -> 0 flow per unit eta t, rho = eta_w / eta, no decay
        (compiled when ``fast`` and inside the domain)."""
        dy = self._part(y, 1.0, 0.0, float(rho))
        if dy is not None:
            return dy
        first, _, wdrift = self.terms(y, second=False)
        return first if wdrift is None else first + rho * wdrift

    def decay(self, y):
        """d(state)/dt per unit weight decay: -(2 Q, R, 0 for g, w)."""
        out = -np.asarray(y, dtype=float).copy()
        out[:self.nq] *= 2
        out[self.nq + self.K * self.M:self.nq + self.K * self.M + self.ng] = 0
        return out

    def _terms(self, y, C, s, second=True):
        K, M, nq = self.K, self.M, self.nq
        w, c, wpq = self.second_layer(y)
        E = self.E(C, c)
        si, iq, jq = s[:K], self.iq, self.jq
        Eii = np.diagonal(E)[:K].copy()
        Qp = y[:nq]
        first = np.zeros(self.size)
        fq = w[iq] * (si[iq] / si[jq] * E[iq, jq]) + w[jq] * (si[jq] / si[iq] * E[jq, iq])
        fr = (w * si)[:, None] * E[:, K:]
        if self.model.project:
            eq = w * Eii / Qp[self.diag_q]        # w_i E(i, i) / Q_ii
            fq = fq - Qp * (eq[iq] + eq[jq])
            fr = fr - y[nq:nq + K * M].reshape(K, M) * eq[:, None]
        first[:nq] = fq
        first[nq:nq + K * M] = fr.ravel()
        if self.model.normalized:
            first[nq + K * M:nq + K * M + K] = w * Eii / y[nq + K * M:nq + K * M + K]
        if second:
            second = np.zeros(self.size)
            second[:nq] = (w * si)[iq] * (w * si)[jq] * self.F(C, wpq)
        else:
            second = None
        wdrift = None
        if self.learn_w:     # <delta phi(h_i)> = sum_p c_p I2(h_i, p)
            d = np.diagonal(C)
            wdrift = np.zeros(self.size)
            wdrift[nq + K * M + self.ng:] = self.kernels.I2(d[:K, None], d[None, :], C[:K]) @ c
        return first, second, wdrift

    def evaluate(self, y):
        """(dy, None) or (None, reason): compiled when ``fast`` (outside the domain the reference
        code below names the reason), else the NumPy reference."""
        if self._fast is not None:
            dy, status = self._fast(y)
            if status == 0:
                return dy, None
        reason = self.state_error(y)
        if reason is not None:
            return None, reason
        C, s = self.covariance(y)
        reason = self.correlation_error(C)
        if reason is not None:
            return None, reason
        first, second, wdrift = self._terms(y, C, s)
        dy = self.eta * first + self._c2 * second
        if wdrift is not None:
            dy += self.eta_w * wdrift
        if self.weight_decay:
            dy += self.weight_decay * self.decay(y)
        return dy, None


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
        init = initial.from_matrices(init.Q, init.R, Tm, init.g, init.w, init.v)
    g = init.g
    if not model.normalized and g is not None and not np.all(g == 1):
        raise ParameterError(f"model {model.name} has no gains; the initial state sets g = {g.tolist()}")
    if model.normalized and g is None:
        g = np.ones(init.K)
    return init, Tm, (g if model.normalized else None)


def integrate(model, K=None, M=None, *, tau=defaults.ODE["tau"], eta=defaults.ODE["eta"], b=defaults.ODE["b"],
              t_max=None, times=None, init=None, T=None, N=defaults.ODE["N"], seed=defaults.ODE["seed"],
              activation=defaults.ODE["activation"], eta_w=defaults.ODE["eta_w"], noise=defaults.ODE["noise"],
              weight_decay=defaults.ODE["weight_decay"], method=METHOD, rtol=RTOL, atol=ATOL, fast=None) -> Trajectory:
    """Integrate the full order-parameter ODE of ``model`` (vanilla, bn-paper, bn-exact).

    init: an :class:`~symbn.numeric.initial.InitialState`, a dict with keys Q, R[, T, g, w, v],
    a path to such a JSON file, or None for the paper's random start
    ``initial.random(K, M, N, seed)`` (the initial state of ``simulate(..., N=N, seed=seed)``).
    T: teacher overlaps (default: from ``init``, identity if it has none). g, w (student second
    layer), v (teacher second layer) default to ones. The network: ``activation`` (erf, linear),
    ``eta_w`` (second-layer learning rate; 0 keeps w fixed), ``noise`` (output noise sigma),
    ``weight_decay`` (kappa). times: output times in [0, t_max] (default 101 points); t_max
    defaults to times[-1]. Returns a :class:`~symbn.numeric.trajectory.Trajectory` (with ``w``
    over time when it learns); raises :class:`~symbn.numeric.odesolve.ODEError` if the state
    leaves the domain. fast: the compiled right-hand side (default where the activation has one;
    False: the NumPy reference).
    """
    m = validate.model(model, "ode")
    t_max, times = output_times(t_max, times)
    init, Tm, g = initial_state(m, K, M, init, T, N, seed)
    system = System(m, init.K, init.M, Tm, tau, eta, b, activation=activation, w=init.w, v=init.v,
                    eta_w=eta_w, noise=noise, weight_decay=weight_decay, fast=fast)
    ys, elapsed = solve(system, system.pack(init.Q, init.R, g), t_max, times, method, rtol, atol)
    state = system.unpack(ys)
    state["T"] = np.broadcast_to(Tm, (times.size,) + Tm.shape)
    start = {"Q": init.Q, "R": init.R, "T": Tm, "g": g, "w": system.w if system.learn_w else None}
    w = state.get("w", system.w)
    eps = eps_g_gram(state["Q"], state["R"], Tm, system.tau, state.get("g"), w=w, v=system.v,
                     activation=system.activation.name)
    params = dict(K=init.K, M=init.M, tau=system.tau, eta=system.eta, b=system.b, activation=system.activation.name,
                  eta_w=system.eta_w, noise=system.noise, weight_decay=system.weight_decay,
                  w=system.w.tolist(), v=system.v.tolist(), method=method, rtol=float(rtol), atol=float(atol))
    return Trajectory(model=m.name, alpha=times, eps_g=eps, state=state, params=params,
                      initial={k: v for k, v in start.items() if v is not None}, nfev=system.nfev, elapsed=elapsed)


NETWORK_PARAMS = ("tau", "eta", "b") + tuple(defaults.NETWORK)


def integrate_from(tr, seed=0, *, times=None, **kw) -> Trajectory:
    """The ODE of a simulated :class:`~symbn.numeric.trajectory.Trajectory` ``tr``, started from
    seed position ``seed``'s own initial state with the run's parameters (tau, eta, b and the
    network's activation, eta_w, noise, weight decay; ``kw`` overrides them or sets solver
    options), output at ``times`` (default: the run's recorded alpha)."""
    params = {k: tr.params[k] for k in NETWORK_PARAMS if k in tr.params}
    init = tr.initial_state(seed)
    init.pop("beta", None)          # bn-full's bias starts at 0 and the ODE has no bias
    return integrate(tr.model, init=init, times=tr.alpha if times is None else times, **{**params, **kw})

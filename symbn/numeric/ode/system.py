"""The right-hand side of the order-parameter ODEs for any K, M (vanilla, bn-paper, bn-exact).

The right-hand side is the one of :mod:`symbn.symbolic.dynamics`, evaluated
numerically with the generated kernels ``I3``, ``I4`` (:mod:`symbn.generated.kernels`).
Units a = 0..K-1 are students (pre-activation h_i), a = K..K+M-1 teachers (y_n);
the primed covariance of all pre-activations is

    C_ab = tau s_a s_b C_raw(a, b),   C_raw = [[Q, R], [R^T, T]],

with s_i = g_i / sqrt(tau Q_ii) for batch norm, s_i = 1 for vanilla, s = 1 for
teachers. With c = (-w, v) (student p weighs -w_p, teacher p +v_p; ones for the soft committee
machine), the activation's kernels (:mod:`symbn.numeric.kernels.activations`), P = 1 for the exact BN
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
Outside it the right-hand side returns NaN (:mod:`symbn.numeric.ode.solver`). Initial states are also checked to be Gram matrices
(:mod:`symbn.numeric.ode.initial`).
"""
from __future__ import annotations

import importlib.util

import numpy as np

from symbn import validate
from symbn.errors import ParameterError
from symbn.numeric.kernels import activations
from symbn.numeric.ode import initial
from symbn.numeric.ode.domain import DOMAIN_SLACK, Domain
from symbn.numeric.ode.averages import Averages
from symbn.numeric.ode.layout import StateLayout
from symbn.numeric.ode.solver import Guarded

FAST_ACTIVATIONS = ("erf", "linear")   # with a compiled right-hand side (symbn.numeric.ode.compiled.CODES)
CHUNK = 1 << 17            # elements per I4 call for large K (bounded memory, cache-friendly)


def fast_available(activation) -> bool:
    """True if ``activation`` has the compiled right-hand side and numba is installed (not imported here)."""
    return activation in FAST_ACTIVATIONS and importlib.util.find_spec("numba") is not None


class System(StateLayout, Averages, Domain, Guarded):
    """The full ODE for widths K, M and fixed T, tau, eta, b: call as ``system(t, y)``.

    The network: ``activation`` (kernels I2, I3, I4, J2), the student's second layer ``w`` (K;
    its initial value when ``eta_w`` > 0 makes it learn, else fixed; default ones), the
    teacher's ``v`` (M, default ones), output noise ``noise`` (sigma) and ``weight_decay``
    (kappa). ``pack``/``unpack`` convert between the order parameters and the state vector;
    ``terms(y)`` gives the pieces of

        dy/dt = eta first + (eta^2 tau / b) second + eta_w wdrift - kappa decay(y),

    ``parts(y)`` = (first, second) and ``flow(y, rho)`` = first + rho wdrift (the eta -> 0 flow in
    units of eta t, rho = eta_w / eta, no decay). ``fast``: evaluate ``system(t, y)`` with the
    compiled right-hand side (:mod:`symbn.numeric.ode.compiled`; default: where the activation has
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
        T = np.eye(self.M) if T is None else initial.symmetric_matrix("T", T, (self.M, self.M))
        w = np.ones(self.K) if w is None else validate.vector("w", w, self.K)   # fixed (or initial) second layer
        StateLayout.__init__(self, self.model.normalized, self.K, self.M, T, self.tau, self.learn_w, w)
        self.v = np.ones(self.M) if v is None else validate.vector("v", v, self.M)
        Averages.__init__(self, chunk)
        self._c2 = self.eta**2 * self.tau / self.b   # coefficient of the second-order term
        self.nfev, self.last_failure = 0, None
        self.fast = fast_available(self.activation.name) if fast is None else bool(fast)
        self._fast = self._compiled_rhs(self.eta, self._c2, self.eta_w, self.weight_decay) if self.fast else None
        self._fast_parts = {}

    def _compiled_rhs(self, eta, c2, eta_w, weight_decay):
        """f(y) = (eta first + c2 second + eta_w wdrift - weight_decay decay, status) by
        :mod:`symbn.numeric.ode.compiled`; status 0 inside the domain."""
        if not fast_available(self.activation.name):
            raise ParameterError(f"no compiled right-hand side for activation {self.activation.name!r} "
                                 f"(compiled: {', '.join(FAST_ACTIVATIONS)}; needs numba)")
        from symbn.numeric.ode import compiled as compiled_ode

        return compiled_ode.bind(self, eta, c2, eta_w, weight_decay, (1 + DOMAIN_SLACK) ** 2)

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

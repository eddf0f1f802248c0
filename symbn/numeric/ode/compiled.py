"""The full ODE's right-hand side compiled with numba: the hot loop of :class:`symbn.numeric.ode.system.System`
for the erf and linear activations, every model (vanilla, bn-paper, bn-exact) and network option
(second layers w, v, a learned w, output noise, weight decay).

Same equations as :mod:`symbn.numeric.ode.full` (whose NumPy code stays the reference: the two agree
to 1e-12, ``tests/test_compiled_ode.py``), evaluated with what only a loop can exploit. For erf, with
x0 = 1 + C_ii, x1 = 1 + C_jj, Lambda4 = x0 x1 - C_ij^2, a_p = C_ip, b_p = C_jp:

    Lambda1(p) = Lambda4 (1 + C_pp) - b_p^2 x0 - a_p^2 x1 + 2 C_ij a_p b_p             (per i, j, p)
    Lambda0(p, q) = Lambda4 C_pq - x0 b_p b_q - x1 a_p a_q + C_ij (a_p b_q + a_q b_p)
    F(i, j) = 4 / (pi^2 sqrt(Lambda4)) sum_{p <= q} W_pq asin(Lambda0 / sqrt(Lambda1(p) Lambda1(q)))

so the pair-only and unit-only quantities leave the K^2 L^2 / 4 loop, which holds one asin each
(fdlibm's rational approximation, branch-free, 2 ulp: 5.8 ns where NumPy's arcsin takes 14), run
in parallel over the pairs (i, j) when the system is large (numba's threads; the local job runner
gives each worker process one thread). E(i, z) = sum_p c_p I3(i, z, p) factors the same way:
(2/pi) [x0 sum_p c_p D_ip C_zp - C_iz sum_p c_p D_ip C_ip], D_ip = 1 / (x0 sqrt(x0 (1 + C_pp) - C_ip^2)).

The kernels compile on first use (seconds) into numba's on-disk cache (``__pycache__`` beside this
file, or NUMBA_CACHE_DIR); later processes load them. Importing this module imports numba:
:mod:`symbn.numeric.ode.full` does so only when it takes this path (relu has none: its I4 is an integral).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

CODES = {"erf": 0, "linear": 1}
"""Activations with a compiled right-hand side, and their codes in the kernels."""
PARALLEL_WORK = 10_000
"""I4 terms (pairs x unit pairs) above which F runs in parallel over the pairs (i, j): from K = M = 10
(11,550 terms, ~80 us per RHS on one core) the thread start-up is paid back (2 cores: 1.9x on F)."""
STATUS = ("ok", "state", "correlation")
"""Return codes of :func:`rhs`: 0 ok; 1 non-finite state or right-hand side, tau Q_ii <= 0 or g_i = 0;
2 a primed |correlation| above 1 + slack (the caller asks the NumPy reference for the reason)."""

# fdlibm e_asin.c: asin(x) = x + x R(x^2) on |x| <= 1/2, R = P / Q.
p0, p1, p2, p3, p4, p5 = (1.66666666666666657415e-01, -3.25565818622400915405e-01, 2.01212532134862925881e-01,
                          -4.00555345006794114027e-02, 7.91534994289814532176e-04, 3.47933107596021167570e-05)
q1, q2, q3, q4 = (-2.40339491173441421878e+00, 2.02094576023350569471e+00, -6.88283971605453293030e-01,
                  7.70381505559019352791e-02)
half_pi, two_over_pi, four_over_pi2 = math.pi / 2, 2 / math.pi, 4 / math.pi**2


@njit(inline="always", cache=True, fastmath={"contract"})
def asin(x):
    """asin on [-1, 1]: x + x R(x^2) for |x| <= 1/2, pi/2 - 2 (s + s R(s^2)) with s^2 = (1 - |x|)/2 above."""
    ax = abs(x)
    big = ax > 0.5
    t = 0.5 * (1.0 - ax) if big else x * x
    r = (t * (p0 + t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5)))))
         / (1.0 + t * (q1 + t * (q2 + t * (q3 + t * q4)))))
    s = math.sqrt(t)
    hi = half_pi - 2.0 * (s + s * r)
    return (hi if x > 0.0 else -hi) if big else x + x * r

@njit(cache=True)
def asin_array(x):
    """asin of every entry of the 1-D array x (the compiled approximation; tests compare it with NumPy)."""
    out = np.empty_like(x)
    for k in range(x.size):
        out[k] = asin(x[k])
    return out

@njit(inline="always", cache=True, fastmath={"reassoc", "contract"})
def pair(C, i, j, W, act, u):
    """sum_{p <= q} W_pq I4(h_i, h_j, p, q), without the erf prefactor."""
    L = C.shape[0]
    if act == 1:
        total = 0.0
        for p in range(L):
            for q in range(p, L):
                total += W[p, q] * C[p, q]
        return total
    x0, x1, cij = 1.0 + C[i, i], 1.0 + C[j, j], C[i, j]
    x2 = x0 * x1 - cij * cij
    for p in range(L):
        a, b = C[i, p], C[j, p]
        u[p] = 1.0 / math.sqrt(x2 * (1.0 + C[p, p]) - b * b * x0 - a * a * x1 + 2.0 * cij * a * b)
    total = 0.0
    for p in range(L):
        ap, bp, up = C[i, p], C[j, p], u[p]
        acc = 0.0
        for q in range(p, L):
            aq, bq = C[i, q], C[j, q]
            lam0 = x2 * C[p, q] - x0 * bp * bq - x1 * ap * aq + cij * (ap * bq + aq * bp)
            acc += W[p, q] * asin(lam0 * up * u[q])
        total += acc
    return four_over_pi2 * total / math.sqrt(x2)

@njit(cache=True)
def F_serial(C, iq, jq, W, act, out):
    u = np.empty(C.shape[0])
    for k in range(iq.size):
        out[k] = pair(C, iq[k], jq[k], W, act, u)

@njit(parallel=True, cache=True)
def F_parallel(C, iq, jq, W, act, out):
    for k in prange(iq.size):
        out[k] = pair(C, iq[k], jq[k], W, act, np.empty(C.shape[0]))

@njit(cache=True)
def rhs(y, out, K, M, T, iq, jq, w_fixed, v, normalized, project, learn_w, tau, eta, c2, eta_w, kappa,
        noise2, act, slack2, parallel):
    L, nq = K + M, iq.size
    nr, og = K * M, nq + K * M
    ow = og + (K if normalized else 0)
    for k in range(y.size):
        if not math.isfinite(y[k]):
            return 1
    raw = np.empty((L, L))
    for k in range(nq):
        raw[iq[k], jq[k]] = y[k]
        raw[jq[k], iq[k]] = y[k]
    for i in range(K):
        if tau * raw[i, i] <= 0.0:
            return 1
        for n in range(M):
            raw[i, K + n] = y[nq + i * M + n]
            raw[K + n, i] = y[nq + i * M + n]
    for n in range(M):
        for m in range(M):
            raw[K + n, K + m] = T[n, m]
    s = np.ones(L)
    if normalized:
        for i in range(K):
            if y[og + i] == 0.0:
                return 1
            s[i] = y[og + i] / math.sqrt(tau * raw[i, i])
    C = np.empty((L, L))
    for a in range(L):
        for b in range(L):
            C[a, b] = tau * s[a] * raw[a, b] * s[b]
    for a in range(L):
        for b in range(L):
            if C[a, b] * C[a, b] > slack2 * C[a, a] * C[b, b]:
                return 2
    w = y[ow:ow + K] if learn_w else w_fixed
    c = np.empty(L)
    c[:K] = -w
    c[K:] = v
    # E(i, z) = sum_p c_p I3(h_i, z, p)
    E = np.empty((K, L))
    D = np.empty(L)
    for i in range(K):
        x0 = 1.0 + C[i, i]
        if act == 1:
            for z in range(L):
                acc = 0.0
                for p in range(L):
                    acc += c[p] * C[z, p]
                E[i, z] = acc
            continue
        for p in range(L):
            D[p] = c[p] / (x0 * math.sqrt(x0 * (1.0 + C[p, p]) - C[i, p] * C[i, p]))
        diag = 0.0
        for p in range(L):
            diag += D[p] * C[i, p]
        for z in range(L):
            acc = 0.0
            for p in range(L):
                acc += D[p] * C[z, p]
            E[i, z] = two_over_pi * (x0 * acc - C[i, z] * diag)
    # the eta^1 part
    for k in range(nq):
        i, j = iq[k], jq[k]
        f = w[i] * (s[i] / s[j] * E[i, j]) + w[j] * (s[j] / s[i] * E[j, i])
        if project:
            f -= y[k] * (w[i] * E[i, i] / raw[i, i] + w[j] * E[j, j] / raw[j, j])
        out[k] = eta * f
    for i in range(K):
        eq = w[i] * E[i, i] / raw[i, i]
        for n in range(M):
            f = w[i] * s[i] * E[i, K + n]
            if project:
                f -= raw[i, K + n] * eq
            out[nq + i * M + n] = eta * f
        if normalized:
            out[og + i] = eta * w[i] * E[i, i] / y[og + i]
    # the eta^2 tau / b part: F(i, j) = sum_{p <= q} c_p c_q (2 - delta_pq) I4 + sigma^2 J2
    if c2 != 0.0:
        W = np.zeros((L, L))
        for p in range(L):
            W[p, p] = c[p] * c[p]
            for q in range(p + 1, L):
                W[p, q] = 2.0 * c[p] * c[q]
        F = np.empty(nq)
        if parallel:
            F_parallel(C, iq, jq, W, act, F)
        else:
            F_serial(C, iq, jq, W, act, F)
        for k in range(nq):
            i, j = iq[k], jq[k]
            if noise2 != 0.0:
                if act == 1:
                    F[k] += noise2
                else:
                    F[k] += noise2 * two_over_pi / math.sqrt((1.0 + C[i, i]) * (1.0 + C[j, j]) - C[i, j] ** 2)
            out[k] += c2 * w[i] * s[i] * w[j] * s[j] * F[k]
    # a learned second layer: dw_i = eta_w sum_p c_p I2(h_i, p) - kappa w_i
    if learn_w:
        for i in range(K):
            acc = 0.0
            for p in range(L):
                if act == 1:
                    acc += c[p] * C[i, p]
                else:
                    acc += c[p] * two_over_pi * asin(C[i, p] / math.sqrt((1.0 + C[i, i]) * (1.0 + C[p, p])))
            out[ow + i] = eta_w * acc - kappa * w[i]
    if kappa != 0.0:
        for k in range(nq):
            out[k] -= 2.0 * kappa * y[k]
        for k in range(nr):
            out[nq + k] -= kappa * y[nq + k]
    for k in range(out.size):
        if not math.isfinite(out[k]):
            return 1
    return 0


def bind(system, eta, c2, eta_w, weight_decay, slack2):
    """f(y) -> (dy, status) of :func:`rhs` for a :class:`symbn.numeric.ode.system.System` (its network and
    tau) with dy = eta first + c2 second + eta_w wdrift - weight_decay decay; |correlation| may
    exceed 1 by a factor sqrt(slack2)."""
    m = system.model
    args = (system.K, system.M, np.ascontiguousarray(system.T, dtype=float), system.iq.astype(np.int64),
            system.jq.astype(np.int64), np.ascontiguousarray(system.w, dtype=float),
            np.ascontiguousarray(system.v, dtype=float), bool(m.normalized), bool(m.project), system.learn_w,
            system.tau, eta, c2, eta_w, weight_decay, system.noise**2, CODES[system.activation.name], slack2,
            system.nq * system.L * (system.L + 1) // 2 > PARALLEL_WORK)
    size = system.size

    def f(y):
        dy = np.empty(size)
        return dy, rhs(np.ascontiguousarray(y, dtype=float), dy, *args)
    return f

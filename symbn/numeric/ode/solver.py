"""Integration shared by the full and the reduced ODE: solver call, output times, failures.

Integration: :func:`scipy.integrate.solve_ivp`, default ``RK45`` with ``rtol = 1e-8``,
``atol = 1e-10``: eps_g to ~5e-7 relative through a plateau escape (K = M = 2, eta = 0.5),
where DOP853 at the same tolerances is off by ~1e-4 at interior output times (see
docs/ode.md for the measurements).

A system (:class:`Guarded`) returns NaN outside its domain, so the solver rejects that
trial step and shrinks it; if the true solution leaves the domain the step size
underflows and :class:`ODEError` is raised naming the time and the reason. NaNs are
never returned.
"""
from __future__ import annotations

import time

import numpy as np
from scipy.integrate import solve_ivp

from symbn import defaults, validate
from symbn.errors import ParameterError

METHOD, RTOL, ATOL = (defaults.ODE[k] for k in ("method", "rtol", "atol"))
METHODS = ("RK45", "DOP853", "RK23", "LSODA", "Radau", "BDF")


class ODEError(ArithmeticError):
    """The integration failed: the state left the domain or the solver gave up.

    ``t`` is the time at which it happened, ``reason`` says why.
    """

    def __init__(self, t, reason):
        self.t, self.reason = float(t), reason
        super().__init__(f"ODE integration failed at t = {self.t:.10g}: {reason}")


class Guarded:
    """Call protocol of a system for ``solve_ivp``'s ``fun``.

    Subclasses give ``evaluate(y) -> (dy, None)`` or ``(None, reason)``, ``domain_error(y)``,
    ``size``, and keep ``nfev``, ``last_failure``; they may vectorize ``inside``.
    """

    def inside(self, ys):
        """Boolean (n,): which rows of ys (n, size) are inside the domain."""
        return np.array([self.domain_error(y) is None for y in ys], dtype=bool)

    def __call__(self, t, y):
        """dy/dt; NaN (and the reason recorded in ``self.last_failure``) outside the domain."""
        self.nfev += 1
        with np.errstate(all="ignore"):
            dy, reason = self.evaluate(y)
            if reason is None and not np.all(np.isfinite(dy)):
                reason = "the right-hand side is not finite"
        if reason is None:
            return dy
        if self.last_failure is None or np.all(np.isfinite(y)):  # NaN stages only echo an earlier failure
            self.last_failure = (float(t), reason)
        return np.full(self.size, np.nan)


def output_times(t_max, times):
    """(t_max, times): validated; times default to 101 points in [0, t_max], t_max to times[-1]."""
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


def solve(fun, y0, t_max, times, method=METHOD, rtol=RTOL, atol=ATOL):
    """(states (len(times), size), wall seconds): solve_ivp from 0 to t_max, output at ``times``.

    ODEError instead of NaN or a silent failure; ParameterError for a start outside the domain.
    """
    validate.choice("method", method, METHODS)
    rtol, atol = float(validate.positive("rtol", rtol)), float(validate.positive("atol", atol))
    fun.last_failure = None
    reason = fun.domain_error(y0)
    if reason:
        raise ParameterError(f"initial state outside the domain: {reason}")
    fun.evaluate(y0)                  # outside the timed part: loads a compiled right-hand side
    t0 = time.perf_counter()
    if t_max == 0:
        return np.repeat(y0[None], times.size, axis=0), 0.0
    sol = solve_ivp(fun, (0.0, t_max), y0, method=method, t_eval=times, rtol=rtol, atol=atol)
    if sol.status != 0:
        t, why = fun.last_failure if fun.last_failure else (sol.t[-1] if sol.t.size else 0.0, "")
        raise ODEError(t, f"{why} ({sol.message.strip().rstrip('.')})" if why else sol.message)
    ys = sol.y.T
    for k in np.flatnonzero(~fun.inside(ys)):   # an output point interpolated outside the domain
        reason = fun.domain_error(ys[k])          # (cannot happen for accepted steps)
        if reason:
            raise ODEError(times[k], reason)
    return ys, time.perf_counter() - t0

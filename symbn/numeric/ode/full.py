"""Integrate the full order-parameter ODE (:class:`~symbn.numeric.ode.system.System`) from an
initial state: the paper's random start, a dict or JSON file, or a simulation's own start.
"""
from __future__ import annotations

import numpy as np

from symbn import defaults, validate
from symbn.errors import ParameterError
from symbn.numeric.kernels.orderparams import eps_g_gram
from symbn.numeric.ode import initial
from symbn.numeric.ode.solver import ATOL, METHOD, RTOL, output_times, solve
from symbn.numeric.ode.system import System
from symbn.numeric.trajectory import Trajectory


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

    init: an :class:`~symbn.numeric.ode.initial.InitialState`, a dict with keys Q, R[, T, g, w, v],
    a path to such a JSON file, or None for the paper's random start
    ``initial.random(K, M, N, seed)`` (the initial state of ``simulate(..., N=N, seed=seed)``).
    T: teacher overlaps (default: from ``init``, identity if it has none). g, w (student second
    layer), v (teacher second layer) default to ones. The network: ``activation`` (erf, linear),
    ``eta_w`` (second-layer learning rate; 0 keeps w fixed), ``noise`` (output noise sigma),
    ``weight_decay`` (kappa). times: output times in [0, t_max] (default 101 points); t_max
    defaults to times[-1]. Returns a :class:`~symbn.numeric.trajectory.Trajectory` (with ``w``
    over time when it learns); raises :class:`~symbn.numeric.ode.solver.ODEError` if the state
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

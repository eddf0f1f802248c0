"""symbn: statistical mechanics of online SGD in two-layer networks, with and without batch norm.

The public numeric API (NumPy only, SymPy never imported; loaded on first use):

* symmetric phase, from the generated closed forms: ``fixed_point``, ``eps_g_star``,
  ``gradient``, ``hessian``, ``spectrum``;
* dynamics: ``integrate`` (order-parameter ODEs, any K, M), ``integrate_reduced``
  (symmetric phase), ``simulate`` (SGD, direct or exact order-parameter sampler), all
  returning a ``Trajectory``; ``integrate_from`` (the ODE from a simulated seed's start, with
  the run's parameters); ``plateau_exits`` of a simulation and ``plateau_exit_threshold`` (the
  eps_g below which a seed has left the plateau; ``simulate(..., stop_below=...)`` stops it there);
* escape from the plateau: ``escape_rate``, ``plateau_Q0`` (batch norm's plateau member a run
  reaches), ``effective_learning_rate`` (g*^2 / (tau Q0));
* finite learning rates: ``eta_max`` (the largest stable learning rate), ``finite_eta_escape``
  (the vanilla plateau with the eta^2 term and its escape rate);
* ``eps_g`` from order parameters, ``kernels`` (an activation's Gaussian averages I2, I3, I4, J2:
  erf, linear, relu), ``models`` (the model registry), ``ParameterError``;
* subpackages ``symbolic`` (SymPy: the derivations) and ``figures``.

Arguments: model, K, M (where there is one), then keywords (tau, eta, b, ...). The
symbolic side is ``symbn.symbolic``; the generated code ``symbn.generated``.
"""
__version__ = "0.1.0"

_API = {"fixed_point": "symbn.numeric.symmetric.closed_form", "eps_g_star": "symbn.numeric.symmetric.closed_form",
        "gradient": "symbn.numeric.symmetric.closed_form", "hessian": "symbn.numeric.symmetric.closed_form",
        "spectrum": "symbn.numeric.symmetric.closed_form",
        "integrate": "symbn.numeric.ode.full", "integrate_from": "symbn.numeric.ode.full",
        "integrate_reduced": "symbn.numeric.ode.reduced",
        "simulate": "symbn.numeric.sgd.simulate", "Trajectory": "symbn.numeric.trajectory",
        "plateau_exits": ("symbn.numeric.analysis.plateau", "exits"),
        "plateau_exit_threshold": ("symbn.numeric.analysis.plateau", "exit_threshold"),
        "escape_rate": "symbn.numeric.analysis.escape", "plateau_Q0": "symbn.numeric.analysis.escape",
        "effective_learning_rate": "symbn.numeric.analysis.escape", "eps_g": "symbn.numeric.kernels.orderparams",
        "ParameterError": "symbn.errors", "kernels": "symbn.numeric.kernels.activations",
        "eta_max": "symbn.numeric.analysis.learning_rate",
        "finite_eta_escape": ("symbn.numeric.analysis.learning_rate", "escape")}
_MODULES = ("models", "symbolic", "figures")
__all__ = sorted(_API) + list(_MODULES)


def __getattr__(name):  # lazy, so `import symbn` stays cheap and SymPy-free
    import importlib

    if name in _MODULES:
        return importlib.import_module(f"symbn.{name}")
    if name in _API:
        module, attr = _API[name] if isinstance(_API[name], tuple) else (_API[name], name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'symbn' has no attribute {name!r}")


def __dir__():
    return sorted(__all__ + ["__version__"])

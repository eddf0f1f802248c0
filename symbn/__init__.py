"""symbn: symmetric-phase dynamics of soft committee machines, with and without batch normalization.

The numeric API here never imports SymPy; the symbolic side lives in
``symbn.symbolic`` and the code it writes in ``symbn.generated``.
"""
__version__ = "0.1.0"

_API = {"fixed_point": "symmetric", "eps_g_star": "symmetric", "gradient": "symmetric",
        "hessian": "symmetric", "spectrum": "symmetric",
        "integrate": "ode", "integrate_reduced": "ode", "simulate": "simulate"}
__all__ = sorted(_API)


def __getattr__(name):  # lazy, so `import symbn` stays cheap and SymPy-free
    if name in _API:
        import importlib

        return getattr(importlib.import_module(f"symbn.numeric.{_API[name]}"), name)
    raise AttributeError(f"module 'symbn' has no attribute {name!r}")

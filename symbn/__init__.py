"""symbn: symmetric-phase dynamics of soft committee machines, with and without batch normalization.

The numeric API here never imports SymPy; the symbolic side lives in
``symbn.symbolic`` and the code it writes in ``symbn.generated``.
"""
__version__ = "0.1.0"

__all__ = ["fixed_point", "eps_g_star", "gradient", "hessian", "spectrum"]


def __getattr__(name):  # lazy, so `import symbn` stays cheap and SymPy-free
    if name in __all__:
        from symbn.numeric import symmetric

        return getattr(symmetric, name)
    raise AttributeError(f"module 'symbn' has no attribute {name!r}")

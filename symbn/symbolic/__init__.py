"""symbn.symbolic: the SymPy derivations (SymPy only; never imports the generated code).

The public calls (:mod:`symbn.symbolic.api`, loaded lazily) return SymPy objects keyed by
plain names: ``reduced_rhs``, ``general_rhs``, ``eps_g``, ``fixed_point``, ``hessian``,
``jacobian``, ``charpoly`` and ``latex_block``. The modules below them own one concept
each (see README, "Layout and data flow").
"""
_API = ("reduced_rhs", "general_rhs", "eps_g", "fixed_point", "hessian", "jacobian", "charpoly",
        "latex_block")
__all__ = sorted(_API)


def __getattr__(name):   # lazy, so importing one submodule does not load the API
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'symbn.symbolic' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

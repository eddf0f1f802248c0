"""The cache file generated/symbolic.json: srepr of the slow objects, written by ``symbn derive``.

Deriving the batch-norm objects from scratch takes ~30 s (the Hessian's characteristic
polynomial ~17 s, each Jacobian ~6 s); reading them back from their ``srepr`` takes well under
a second. ``symbn derive`` renders this file from :mod:`symbn.symbolic.objects` with every other
artifact, so ``symbn derive --check`` compares it byte for byte with a fresh derivation.
:func:`get` uses it only when it was written by the running SymPy version, and rebuilds each
object with evaluation off, so the tree is the stored one node for node (``srepr`` of the
loaded object equals the stored text; tests/test_symbolic_api.py checks both).
"""
from __future__ import annotations

import functools
import json

import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

from symbn import models
from symbn.files import generated_dir   # where generated/ is (not an import of generated code)

from . import objects, stable

FILE = "symbolic.json"
FORWARD = {"fixed_point": objects.fixed_point, "hessian": objects.hessian, "charpoly": objects.charpoly}
RULE = {"jacobian": objects.jacobian}


def keys():
    """(kind, model name) of every stored object: forward objects per family, Jacobians per rule."""
    families = dict.fromkeys(m.family for m in models.MODELS.values())
    return ([(kind, name) for name in families for kind in FORWARD]
            + [(kind, name) for name in models.names("ode") for kind in RULE])


def srepr(expr) -> str:
    """``sympy.srepr`` with Add and Mul arguments in their stored order (not the printing order),
    so :func:`parse` rebuilds the very same tree."""
    return sp.srepr(expr, order="none")


def encode(obj):
    """A dict as {name: srepr}, a tuple as [srepr, ...], anything else as its srepr."""
    if isinstance(obj, dict):
        return {str(k): srepr(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [srepr(v) for v in obj]
    return srepr(obj)


def entries(families=None) -> dict:
    """{"kind/model": encoded object} for the stored objects of the model families ``families``
    (default all), in :func:`keys` order."""
    out = {}
    for kind, name in keys():
        model = models.get(name)
        if families is None or model.family in families:
            compute = FORWARD.get(kind) or RULE[kind]
            out[f"{kind}/{name}"] = encode(compute(model))
    return out


def render(found=None) -> str:
    """The file's text: {generated_by, sympy, objects: {"kind/model": srepr or list or dict of srepr}};
    ``found``: the entries computed already (e.g. by :func:`entries` in other processes)."""
    found = entries() if found is None else found
    out = {f"{kind}/{name}": found[f"{kind}/{name}"] for kind, name in keys()}
    data = {"generated_by": f"symbn/derive.py with sympy {sp.__version__}: srepr of the slow objects "
                            "of symbn.symbolic (read by symbn.symbolic.api). Do not edit; regenerate "
                            "with `symbn derive`.",
            "sympy": sp.__version__, "objects": out}
    return json.dumps(data, indent=1) + "\n"


def parse(text: str):
    """The SymPy object whose ``srepr`` is ``text``, rebuilt without evaluation (node for node)."""
    namespace = {**vars(sp), "ExprCondPair": ExprCondPair, "asinm": stable.asinm, "__builtins__": {}}
    with sp.evaluate(False):
        return eval(text, namespace)   # noqa: S307 -- our own file, written by symbn derive


@functools.lru_cache(maxsize=1)
def stored() -> dict:
    """{"kind/model": encoded object} from the cache file; {} if it is missing or from another SymPy."""
    path = generated_dir() / FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return data["objects"] if data.get("sympy") == sp.__version__ else {}


@functools.lru_cache(maxsize=None)
def get(kind: str, name: str):
    """The stored object (dict keyed by name, tuple, Matrix or Expr), or None if not in the file."""
    enc = stored().get(f"{kind}/{name}")
    if enc is None:
        return None
    if isinstance(enc, dict):
        return {k: parse(v) for k, v in enc.items()}
    if isinstance(enc, list):
        return tuple(parse(v) for v in enc)
    return parse(enc)

"""Parse parameter grids such as ``--K 1:50`` or ``--tau 1e-3:1e3:log25``.

Syntax (items separated by commas, concatenated in order, duplicates kept):

=====================  ==================================================
``2``, ``1e-3``        one value
``1,2,5``              a list of values
``a:b``                a, a+1, ..., up to b inclusive (step 1)
``a:b:h``              a, a+h, ..., up to b inclusive (h > 0)
``a:b:linN``           N values evenly spaced from a to b inclusive
``a:b:logN``           N values log-spaced from a to b inclusive (a, b > 0)
=====================  ==================================================

Items combine: ``1,2,10:100:10``. For an integer parameter (``K``) a log or
lin range is rounded to integers and de-duplicated; any other non-integer value
is an error. Errors are :class:`symbn.validate.ParameterError` naming the
parameter.
"""
from __future__ import annotations

import numpy as np

from symbn.validate import ParameterError

MAX_POINTS = 10_000_000


def _number(name, text, item):
    try:
        value = float(text)
    except ValueError:
        raise ParameterError(f"{name}: cannot read {text!r} in {item!r} as a number "
                             f"(syntax: value, a,b,c, a:b, a:b:step, a:b:linN, a:b:logN)") from None
    if not np.isfinite(value):
        raise ParameterError(f"{name} must be finite, got {text!r}")
    return value


def _count(name, text, item):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1 or str(n) != text.strip():
        raise ParameterError(f"{name}: {item!r} needs a positive integer number of points, got {text!r}")
    return n


def _item(name, item, integer):
    parts = item.split(":")
    if len(parts) == 1:
        return np.array([_number(name, parts[0], item)])
    if len(parts) > 3:
        raise ParameterError(f"{name}: {item!r} has too many ':' (use a:b, a:b:step, a:b:linN or a:b:logN)")
    a, b = _number(name, parts[0], item), _number(name, parts[1], item)
    if b < a:
        raise ParameterError(f"{name}: range {item!r} must have start <= stop")
    step = parts[2].strip().lower() if len(parts) == 3 else "1"
    if step.startswith("log"):
        if a <= 0:
            raise ParameterError(f"{name}: log range {item!r} needs a start > 0")
        values = np.geomspace(a, b, _count(name, step[3:], item))
    elif step.startswith("lin"):
        values = np.linspace(a, b, _count(name, step[3:], item))
    else:
        h = _number(name, step, item)
        if h <= 0:
            raise ParameterError(f"{name}: step in {item!r} must be > 0")
        n = int(np.floor((b - a) / h * (1 + 1e-12))) + 1
        if n > MAX_POINTS:
            raise ParameterError(f"{name}: {item!r} has {n} points, more than {MAX_POINTS}")
        values = a + h * np.arange(n)
    if integer and len(parts) == 3 and step[:3] in ("log", "lin"):
        values = np.unique(np.round(values))
    if values.size > MAX_POINTS:
        raise ParameterError(f"{name}: {item!r} has {values.size} points, more than {MAX_POINTS}")
    return values


def parse(name, spec, integer=False):
    """The values of ``spec`` (see module doc) as a 1-D float array.

    ``integer``: a log/lin range is rounded to integers; other values must
    already be integers. Range checks (K >= 1, tau > 0) are left to
    :mod:`symbn.validate`.
    """
    if isinstance(spec, (int, float, np.integer, np.floating)):
        spec = repr(float(spec))
    if not isinstance(spec, str) or not spec.strip():
        raise ParameterError(f"{name}: empty specification")
    items = [s.strip() for s in spec.split(",")]
    if any(not s for s in items):
        raise ParameterError(f"{name}: empty item in {spec!r}")
    values = np.concatenate([_item(name, s, integer) for s in items])
    if values.size > MAX_POINTS:
        raise ParameterError(f"{name}: {spec!r} has {values.size} points, more than {MAX_POINTS}")
    if integer:
        bad = values != np.round(values)
        if np.any(bad):
            raise ParameterError(f"{name} must be an integer, got {float(values[bad][0])!r} from {spec!r}")
    return values


def mesh(K, tau):
    """All pairs of two 1-D grids, K-major: flat arrays (K, tau) of length len(K) * len(tau)."""
    k, t = np.meshgrid(np.asarray(K, float), np.asarray(tau, float), indexing="ij")
    return k.ravel(), t.ravel()

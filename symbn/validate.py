"""Checks on user-supplied parameters: one clear error naming the parameter and its range.

Used by the numeric layer and the CLI, so bad input never reaches NumPy as a NaN.
"""
from __future__ import annotations

import numbers

import numpy as np

from symbn import models
from symbn.errors import ParameterError


def _show(arr, bad):
    """The offending value: the scalar itself, or the first bad entry of an array."""
    if arr.size == 1:
        return f"{arr.item()!r}"
    return f"{arr[bad].flat[0].item()!r} (at index {tuple(int(i[0]) for i in np.nonzero(bad))})"


def finite(name, value):
    """``value`` as a float array, every entry finite."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a real number or array of real numbers, got {value!r}") from None
    bad = ~np.isfinite(arr)
    if np.any(bad):
        raise ParameterError(f"{name} must be finite, got {_show(arr, bad)}")
    return arr


def positive(name, value):
    """``value`` > 0 and finite (e.g. tau, eta); returns a float array."""
    arr = finite(name, value)
    bad = arr <= 0
    if np.any(bad):
        raise ParameterError(f"{name} must be > 0, got {_show(arr, bad)}")
    return arr


def at_least(name, value, low, integer=False):
    """``value`` >= ``low`` (e.g. K >= 1, b >= 1); integer-valued if ``integer``."""
    arr = finite(name, value)
    bad = arr < low
    if np.any(bad):
        raise ParameterError(f"{name} must be >= {low}, got {_show(arr, bad)}")
    bad = arr != np.round(arr)
    if integer and np.any(bad):
        raise ParameterError(f"{name} must be an integer >= {low}, got {_show(arr, bad)}")
    return arr


def count(name, value, low=1):
    """A Python integer >= ``low`` (a width K, M, a dimension N, a number of steps)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float, np.floating)):
        raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    if not np.isfinite(value) or value != int(value) or value < low:
        raise ParameterError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def model(name, scope):
    """The registry entry :class:`symbn.models.Model` called ``name``, accepted in ``scope``."""
    return models.get(name, scope)


def choice(name, value, allowed):
    """``value`` is one of ``allowed`` (a method, a normaliser, ...)."""
    if value not in allowed:
        raise ParameterError(f"unknown {name} {value!r}; choose one of {', '.join(map(str, allowed))}")
    return value


def vector(name, value, size):
    """``value`` as a finite float vector of length ``size`` (a scalar is repeated)."""
    arr = finite(name, value)
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    if arr.shape != (size,):
        raise ParameterError(f"{name} must have {size} entries, got shape {arr.shape}")
    return arr

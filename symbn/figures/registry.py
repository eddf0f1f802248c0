"""The registry of figures: name -> builder, and ``build`` to run some or all of them.

A builder takes the output directory (and keyword overrides of its settings, e.g. a
smaller run for a test), names the compiled loops its jobs use (``kernels``, compiled once before
the builders run: :mod:`symbn.numeric.runs.warm`), writes ``<name>.png``, ``.pdf`` and ``.csv`` (the plotted data)
there with :func:`symbn.figures.output.save` and returns the paths. Add a figure with::

    @figure("fig9", "what it shows")
    def fig9(out, **settings):
        ...
        return save(out, "fig9", fig, columns)
"""
from __future__ import annotations

from symbn.errors import ParameterError

FIGURES = {}
"""name -> (builder(out, **settings) -> [paths], one-line description), in registration order."""
KERNELS = {}
"""name -> the compiled loops its jobs use (:data:`symbn.numeric.runs.warm.KERNELS`)."""


def figure(name, description, kernels=()):
    def register(fn):
        FIGURES[name] = (fn, description)
        KERNELS[name] = tuple(kernels)
        return fn
    return register


def build(out, names=None):
    """Run the builders ``names`` (default: all) into ``out``; returns {name: [paths]}. Figures are
    drawn in a helper process while the next builder computes (:func:`output.background`)."""
    from symbn.figures import output

    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ParameterError(f"unknown figure {unknown[0]!r}; choose from {', '.join(FIGURES)}")
    from symbn.numeric.runs import warm

    warm.warm({k for n in names for k in KERNELS[n]})   # a fresh install: each loop compiled once
    with output.background():
        return {n: FIGURES[n][0](out) for n in names}

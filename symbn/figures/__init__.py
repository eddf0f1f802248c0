"""Figures: the paper's Figs. 1-3 and the ones that go beyond it, as a registry of builders.

``symbn figures`` and :func:`build` run them; each writes PNG, PDF and the plotted data as
CSV (:mod:`symbn.figures.output`). Importing this package registers every figure, in the
order of the imports below (the order of ``symbn figures --list``).
"""
from symbn.figures import spectra, simulation  # noqa: F401, I001  (registers fig1, fig2, fig3, fig3_theory)
from symbn.figures import escape, plateau_length  # noqa: F401  (registers escape, plateau_length)
from symbn.figures import learning_rate, relu  # noqa: F401  (registers learning_rate, relu)
from symbn.figures.registry import FIGURES, build, figure

__all__ = ["FIGURES", "build", "figure"]

"""Plateau analysis of eps_g curves: the plateau height and the exit time of each seed."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbn import models
from symbn.errors import ParameterError
from symbn.numeric.symmetric import closed_form as symmetric


@dataclass
class Plateau:
    """Per-seed plateau height and exit time (alpha); exit is ``inf`` if never reached."""

    height: np.ndarray
    exit_alpha: np.ndarray


EXIT_FRACTION = 0.5
"""A seed has left the plateau once eps_g < EXIT_FRACTION x the plateau height."""


def plateau(alpha, eps_g, *, height=None, window=None, fraction=EXIT_FRACTION):
    """Plateau height and exit time per seed.

    height: the plateau height, e.g. eps_g at the symmetric fixed point (scalar or per
    seed); if None, the median of each seed's eps_g over alpha in ``window = (a0, a1)``.
    Exit time: the first recorded alpha with eps_g < fraction * height (default one
    half), searched from the start of the run (or from the window start when the height
    is measured over a window). If eps_g never drops below it, the exit time is ``inf``
    (a right-censored value: it orders correctly, so medians and rank tests remain valid).
    """
    alpha = np.asarray(alpha, dtype=float)
    eps = np.atleast_2d(np.asarray(eps_g, dtype=float))
    if eps.shape[-1] != alpha.size:
        raise ParameterError(f"eps_g has {eps.shape[-1]} times but alpha has {alpha.size}")
    start = np.zeros(alpha.size, dtype=bool)
    if height is None:
        if window is None:
            raise ParameterError("give the plateau height or a window (a0, a1) to measure it")
        a0, a1 = window
        inside = (alpha >= a0) & (alpha <= a1)
        if not inside.any():
            raise ParameterError(f"no recorded alpha in the window {window!r}")
        height = np.median(eps[:, inside], axis=-1)
        start = alpha < a0
    height = np.broadcast_to(np.asarray(height, dtype=float), eps.shape[:1]).copy()
    below = (eps < fraction * height[:, None]) & ~start
    first = np.argmax(below, axis=-1)
    exit_alpha = np.where(below.any(axis=-1), alpha[first], np.inf)
    return Plateau(height=height, exit_alpha=exit_alpha)


def plateau_height(model, K, tau, activation="erf"):
    """eps_g at the symmetric fixed point (eta -> 0) of the model's family: the plateau height
    (erf: the generated closed form; another activation: :mod:`symbn.numeric.analysis.phase`, vanilla,
    which every BN member shares).

    bn-full shares batch norm's plateau (its bias stays 0 there: with phi odd and the
    symmetric teacher, <delta phi'(h_i)> = 0 at beta = 0).
    """
    if models.activation(activation) == "erf":
        return float(symmetric.eps_g_star(models.get(model).family, K, tau=tau))
    from symbn.numeric.analysis.phase import Phase

    ph = Phase("vanilla", K, tau, activation)
    point = ph.plateau()
    return ph.eps_g([point[k] for k in ph.names])


def exit_threshold(model, K, tau, activation="erf", fraction=EXIT_FRACTION):
    """eps_g below which a run has left the plateau: fraction * :func:`plateau_height`."""
    return fraction * plateau_height(model, K, tau, activation)


def exits(tr, fraction=EXIT_FRACTION):
    """Per-seed plateau exit alpha of a simulated :class:`~symbn.numeric.trajectory.Trajectory`:
    the first recorded alpha with eps_g < fraction * :func:`plateau_height`; ``inf`` if never."""
    height = plateau_height(tr.model, tr.K, tr.params["tau"], tr.params.get("activation", "erf"))
    return plateau(tr.alpha, tr.eps_g, height=height, fraction=fraction).exit_alpha

"""The SGD update rules, as coefficients on the batch: what every simulator applies.

Teacher t = sum_n phi(y_n), y_n = B_n . xi; student s = sum_i phi(h_i), x_i = J_i . xi,
phi(x) = erf(x / sqrt 2); the forward map h(x) is the model's (:mod:`symbn.models`):

====================  ===========================================================
``vanilla``           h_i = x_i
``bn-paper``          h_i = g_i x_i / sd_i; the paper's rule (Eqs. 2-3): the
                      normaliser sd_i is treated as a constant in the gradient
``bn-exact``          h_i = g_i x_i / sd_i; exact gradient through sd_i
``bn-full``           h_i = g_i (x_i - mu_i) / sd_i + beta_i (usual BN layer:
                      centring, gain, bias); exact gradient
====================  ===========================================================

Normaliser (BN models): ``"batch"`` uses the mini-batch statistics,
mu_i = mean_u x_i^u and sd_i = sqrt(mean_u (x_i^u - mu_i)^2) (mu_i = 0 unless centred);
``"population"`` uses the large-b limit mu_i = 0, sd_i = sqrt(tau Q_ii) = sqrt(tau) |J_i|
(the limit the ODEs describe).

One SGD step on a batch of b inputs: loss L = (1/b) sum_u (t_u - s_u)^2 / 2,
J <- J - (eta/N) dL/dJ, g <- g - (eta/N) dL/dg, beta <- beta - (eta/N) dL/dbeta. Every
rule has the form (:func:`coefficients`)

    J_i <- J_i + (eta/N) [ sum_u c_ui xi^u + d_i J_i ]

with c, d depending only on the projections (x, y) of the batch: this is what makes the
exact order-parameter sampler (:mod:`symbn.numeric.sampler`) possible.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from symbn.defaults import NORMALIZERS  # noqa: F401  (re-exported: the normalisers these rules know)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def phi(x):
    """phi(x) = erf(x / sqrt 2) = 2 Phi(x) - 1 (ndtr is about twice as fast as erf)."""
    return 2.0 * ndtr(x) - 1.0


def dphi(x):
    """phi'(x) = sqrt(2/pi) exp(-x^2/2)."""
    return _SQRT_2_OVER_PI * np.exp(-0.5 * x * x)


class Update(NamedTuple):
    """Negative batch-loss gradient: -dL/dJ_i = sum_u c[u, i] xi^u + d[i] J_i; -dL/dg = dg; -dL/dbeta = dbeta.

    For ``bn-paper`` (c, d, dg) is the paper's rule rather than a gradient.
    ``d``/``dg``/``dbeta`` are None when absent. ``loss`` is the batch loss.
    """

    c: np.ndarray
    d: np.ndarray | None
    dg: np.ndarray | None
    dbeta: np.ndarray | None
    loss: np.ndarray


def forward(model, normalizer, x, g, beta, qdiag, tau):
    """Student pre-activations h (..., b, K) from projections x (..., b, K).

    h = x (vanilla) or h = g (x - mu)/sd [+ beta]; returns (h, xhat, sd) with
    xhat = (x - mu)/sd. ``g``, ``beta``, ``qdiag`` = |J_i|^2 have shape (..., K).
    """
    if not model.normalized:
        return x, x, None
    if normalizer == "population":
        sd = np.sqrt(tau * qdiag)[..., None, :]
        xc = x
    else:
        b = x.shape[-2]
        xc = x - x.sum(axis=-2, keepdims=True) * (1.0 / b) if model.centered else x
        sd = np.sqrt((xc * xc).sum(axis=-2, keepdims=True) * (1.0 / b))
    xhat = xc / sd
    h = g[..., None, :] * xhat
    if model.centered:
        h = h + beta[..., None, :]
    return h, xhat, sd


def coefficients(model, normalizer, proj, K, g, beta, qdiag, tau):
    """The update of one SGD step as coefficients on the batch (see :class:`Update`).

    proj (..., b, K+M): columns x_i^u = J_i . xi^u then y_n^u = B_n . xi^u.
    With a_ui = delta_u phi'(h_ui) / b, delta = t - s (so a = -dL/dh):
      vanilla:              c = a
      bn (paper rule):      c = (g/sd) a                       dg = sum_u a xhat
      bn-exact, batch sd:   c = (g/sd) (a - xhat dg / b)       (dh/dx through sd)
      bn-full,  batch:      c = (g/sd) (a - dbeta/b - xhat dg / b),  dbeta = sum_u a
      exact, population sd: c = (g/sd) a,  d = -g dg / |J|^2   (sd = sqrt(tau)|J|)
    """
    x, y = proj[..., :K], proj[..., K:]
    h, xhat, sd = forward(model, normalizer, x, g, beta, qdiag, tau)
    delta = phi(y).sum(axis=-1) - phi(h).sum(axis=-1)
    b = proj.shape[-2]
    loss = (0.5 / b) * (delta * delta).sum(axis=-1)
    a = dphi(h) * (delta * (1.0 / b))[..., :, None]
    if not model.normalized:
        return Update(a, None, None, None, loss)
    dg = (a * xhat).sum(axis=-2)
    dbeta = a.sum(axis=-2) if model.centered else None
    scale = g[..., None, :] / sd
    d = None
    if model.project and normalizer == "batch":
        a = a - xhat * (dg[..., None, :] / b)
        if model.centered:
            a = a - dbeta[..., None, :] / b
    elif model.project:
        d = -g * dg / qdiag
    return Update(scale * a, d, dg, dbeta, loss)

"""The SGD update rules, as coefficients on the batch: what every simulator applies.

Teacher t = sum_n v_n phi(y_n) + sigma zeta (zeta ~ N(0, 1) per sample), y_n = B_n . xi; student
s = sum_i w_i phi(h_i), x_i = J_i . xi; phi is the activation's (:mod:`symbn.numeric.kernels.activations`);
the forward map h(x) is the model's (:mod:`symbn.models`):

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
J <- J - (eta/N) dL/dJ, g <- g - (eta/N) dL/dg, beta <- beta - (eta/N) dL/dbeta, and a learned
second layer w <- w - (eta_w/N) dL/dw; weight decay kappa then takes (kappa/N) J (and w). Every
rule has the form (:func:`coefficients`)

    J_i <- J_i + (eta/N) [ sum_u c_ui xi^u + d_i J_i ]

with c, d depending only on the projections (x, y) of the batch (and the noise): this is what
makes the exact order-parameter sampler (:mod:`symbn.numeric.sgd.sampler`) possible.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from symbn.defaults import NORMALIZERS  # noqa: F401  (re-exported: the normalisers these rules know)
from symbn.numeric.kernels import activations


class Update(NamedTuple):
    """Negative batch-loss gradient: -dL/dJ_i = sum_u c[u, i] xi^u + d[i] J_i; -dL/dg = dg;
    -dL/dbeta = dbeta; -dL/dw = dw.

    For ``bn-paper`` (c, d, dg) is the paper's rule rather than a gradient.
    ``d``/``dg``/``dbeta`` are None when absent. ``loss`` is the batch loss.
    """

    c: np.ndarray
    d: np.ndarray | None
    dg: np.ndarray | None
    dbeta: np.ndarray | None
    loss: np.ndarray
    dw: np.ndarray | None = None


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


def coefficients(model, normalizer, proj, K, g, beta, qdiag, tau, *, activation="erf", w=None, v=None,
                 noise=None, learn_w=False):
    """The update of one SGD step as coefficients on the batch (see :class:`Update`).

    proj (..., b, K+M): columns x_i^u = J_i . xi^u then y_n^u = B_n . xi^u; w (..., K) and
    v (M,) the second layers (None: ones); noise (..., b): sigma zeta_u added to the teacher
    (None: noiseless). With a_ui = delta_u w_i phi'(h_ui) / b, delta = t - s (so a = -dL/dh),
    and (``learn_w``) dw_i = sum_u delta_u phi(h_ui) / b:
      vanilla:              c = a
      bn (paper rule):      c = (g/sd) a                       dg = sum_u a xhat
      bn-exact, batch sd:   c = (g/sd) (a - xhat dg / b)       (dh/dx through sd)
      bn-full,  batch:      c = (g/sd) (a - dbeta/b - xhat dg / b),  dbeta = sum_u a
      exact, population sd: c = (g/sd) a,  d = -g dg / |J|^2   (sd = sqrt(tau)|J|)
    """
    act = activations.get(activation)
    x, y = proj[..., :K], proj[..., K:]
    h, xhat, sd = forward(model, normalizer, x, g, beta, qdiag, tau)
    ph = act.phi(h)
    teacher = act.phi(y).sum(axis=-1) if v is None else act.phi(y) @ v
    student = ph.sum(axis=-1) if w is None else (ph * w[..., None, :]).sum(axis=-1)
    delta = teacher - student if noise is None else teacher - student + noise
    b = proj.shape[-2]
    loss = (0.5 / b) * (delta * delta).sum(axis=-1)
    scaled = delta * (1.0 / b)
    a = act.dphi(h) * scaled[..., :, None]
    dw = (ph * scaled[..., :, None]).sum(axis=-2) if learn_w else None
    if w is not None:
        a = a * w[..., None, :]
    if not model.normalized:
        return Update(a, None, None, None, loss, dw)
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
    return Update(scale * a, d, dg, dbeta, loss, dw)

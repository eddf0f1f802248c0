"""Models as data: what distinguishes vanilla from batch normalization.

Every model feeds phi with h_i = s_i x_i, x_i = J_i . xi, and the update of J_i is

    Delta J_i = (eta / (N b)) sum_u delta_u phi'(h_i^u) s_i (xi^u - kappa x_i^u J_i / Q_ii),

with delta = t - s. The models differ only in

* ``normalized``: s_i = g_i / (sigma sqrt(Q_ii)) (batch norm, large-b normaliser) or 1;
* ``project`` (kappa): the true gradient through the normaliser removes the J_i
  direction (``bn-exact``); the paper's Eq. 2 drops it (``bn-paper``).

The pre-activation covariances follow as C(h_a, h_b) = tau s_a s_b C_raw(a, b) with
C_raw = Q, R, T and s = 1 for teacher units: for batch norm this is DESIGN.md's
Q'_ij = g_i g_j Q_ij / sqrt(Q_ii Q_jj), R'_in = sqrt(tau) g_i R_in / sqrt(Q_ii), T' = tau T.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Model:
    name: str
    normalized: bool
    project: bool = False

    def scale(self, gain, q_diag, tau):
        """s_i = dh_i / dx_i = g_i / (sigma sqrt(Q_ii)) for batch norm."""
        return gain / sp.sqrt(tau * q_diag)


VANILLA = Model("vanilla", normalized=False)
BN_PAPER = Model("bn-paper", normalized=True, project=False)
BN_EXACT = Model("bn-exact", normalized=True, project=True)

MODELS = {m.name: m for m in (VANILLA, BN_PAPER, BN_EXACT)}
# eps_g and its Hessian depend only on the forward pass: both BN rules share one.
FORWARD = {"vanilla": VANILLA, "bn": BN_PAPER}


def get(name: str) -> Model:
    """The model called ``name``; a clear error for an unknown one."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}") from None

"""Figures 1 and 2 of the paper: Hessian eigenvalues of eps_g at the symmetric fixed point,
vanilla beside batch norm, vs K (tau = 1) and vs tau (K = 2)."""
from __future__ import annotations

import numpy as np

from symbn.figures.output import COLORS, pyplot, save
from symbn.figures.registry import figure
from symbn.numeric.symmetric import closed_form as sym

MODELS = (("vanilla", "(a) vanilla"), ("bn", "(b) batch normalization"))
LINTHRESH = 1e-4   # symlog: linear within |lambda| < 1e-4, logarithmic outside


def spectra(K, tau):
    """Columns model, K, tau, lambda1..4 (ascending), eps_g for both models on the broadcast (K, tau)."""
    K, tau = np.broadcast_arrays(np.asarray(K, float), np.asarray(tau, float))
    K, tau = K.ravel(), tau.ravel()
    cols = {"model": [], "K": [], "tau": [], **{f"lambda{i}": [] for i in range(1, 5)}, "eps_g": []}
    for model, _ in MODELS:
        eig = sym.spectrum(model, K, tau=tau)
        cols["model"] += [model] * K.size
        cols["K"] += list(K)
        cols["tau"] += list(tau)
        for i in range(4):
            cols[f"lambda{i + 1}"] += list(eig[:, i])
        cols["eps_g"] += list(sym.eps_g_star(model, K, tau=tau))
    return {k: np.asarray(v) if k != "model" else v for k, v in cols.items()}


def _panels(x, cols, xlabel, title, logx):
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True, constrained_layout=True)
    model = np.asarray(cols["model"])
    for ax, (name, label) in zip(axes, MODELS):
        sel = model == name
        ax.axhline(0.0, color="black", lw=0.8, zorder=1)
        ax.axhspan(-LINTHRESH, LINTHRESH, color="0.92", zorder=0, lw=0)
        for i in range(4):
            ax.plot(x[sel], cols[f"lambda{i + 1}"][sel], marker="o", ms=3, lw=1.2,
                    color=COLORS[i], label=rf"$\lambda_{i + 1}$", zorder=2)
        ax.set_yscale("symlog", linthresh=LINTHRESH, linscale=0.5)
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(label)
        ax.grid(True, which="major", alpha=0.3)
    lam = np.concatenate([cols[f"lambda{i + 1}"] for i in range(4)])
    top = int(np.ceil(np.log10(max(np.abs(lam).max(), 10 * LINTHRESH))))
    low = int(np.log10(LINTHRESH)) + 1
    every = max(1, int(np.ceil((top - low + 1) / 5)))
    decades = list(range(top, low - 1, -every))
    axes[0].set_yticks([-(10.0 ** e) for e in decades] + [0.0] + [10.0 ** e for e in decades[::-1]])
    axes[0].set_ylabel(r"eigenvalue $\lambda$ of $\nabla_\Omega\nabla_\Omega\epsilon_g$" "\n"
                       rf"(symlog: linear for $|\lambda| < 10^{{{int(np.log10(LINTHRESH))}}}$, grey band)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", title="ascending")
    fig.suptitle(title)
    return fig


@figure("fig1", "Hessian eigenvalues at the symmetric fixed point vs K = 1..20, tau = 1")
def fig1(out):
    K = np.arange(1, 21)
    cols = spectra(K, 1.0)
    fig = _panels(cols["K"], cols, "hidden width $K$ (= $M$)",
                  r"Fig. 1: Hessian spectrum at the symmetric fixed point, $\tau = 1$", logx=False)
    for ax in fig.axes:
        ax.set_xticks([1, 5, 10, 15, 20])
    return save(out, "fig1", fig, cols)


@figure("fig2", "Hessian eigenvalues at the symmetric fixed point vs tau = 1e-3..1e3 (log), K = 2")
def fig2(out):
    tau = np.geomspace(1e-3, 1e3, 61)
    cols = spectra(2, tau)
    fig = _panels(cols["tau"], cols, r"input variance $\tau$",
                  r"Fig. 2: Hessian spectrum at the symmetric fixed point, $K = 2$", logx=True)
    return save(out, "fig2", fig, cols)

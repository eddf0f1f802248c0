"""The plateau_length figure: plateau exit predicted by the linear theory (escape rate and the
initial distance along the unstable direction) vs measured in SGD simulations."""
from __future__ import annotations

import numpy as np

from symbn.figures.output import COLORS, pyplot, save
from symbn.figures.registry import figure
from symbn.numeric.analysis import plateau_length as pl

@figure("plateau_length", "Plateau exit alpha predicted from the escape rate and the initial distance vs measured "
                          "in SGD (order sampler, N = 100, b = 10), vanilla / bn-paper / bn-exact over K and tau",
        kernels=("sampler", "ode"))
def plateau_length_figure(out, workers=None, Ks=pl.GRID["K"], taus=pl.GRID["tau"], **settings):
    cols = pl.data(Ks, taus, workers=workers, **settings)
    s = {**pl.PLATEAU, **settings}
    plt = pyplot()
    models = pl.GRID["models"]
    fig, axes = plt.subplots(1, len(models), figsize=(13.5, 5), sharex=True, sharey=True, constrained_layout=True)
    markers = dict(zip(Ks, "osD^v"))
    colors = dict(zip(taus, COLORS))
    model = np.asarray(cols["model"])
    pred, meas = cols["alpha_pred"], cols["alpha_exit"]
    lo = 0.7 * min(pred[pred > 0].min(), meas.min())   # seeds with d0 >= d_exit (pred <= 0) drawn at lo
    hi = 1.4 * np.nanmax(np.where(np.isfinite(meas), meas, cols["alpha_run"]))
    for ax, m in zip(axes, models):
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, label="measured = predicted")
        ax.plot([lo, hi], [2 * lo, 2 * hi], color="0.5", lw=0.8, ls=":", label="measured = 2 x predicted")
        ratios = []
        for K in Ks:
            for tau in taus:
                sel = (model == m) & (cols["K"] == K) & (cols["tau"] == tau)
                p, e, run = pred[sel], meas[sel], cols["alpha_run"][sel]
                c, mk = colors[tau], markers[K]
                ax.scatter(np.maximum(p, lo), np.where(np.isfinite(e), e, run), s=9, color=c, marker=mk, alpha=0.35, lw=0)
                p = np.maximum(p, lo)
                pm, em = np.median(p), np.median(e)
                q = np.quantile(e, [0.1, 0.9])
                if np.isfinite(em):
                    ratios.append(em / pm)
                    ax.errorbar(pm, em, yerr=[[em - q[0]], [max(q[1], em) - em if np.isfinite(q[1]) else 0]],
                                xerr=[[pm - np.quantile(p, 0.1)], [np.quantile(p, 0.9) - pm]], color=c, marker=mk,
                                ms=7, mec="black", mew=0.6, lw=1, capsize=2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.grid(True, which="both", alpha=0.25)
        span = f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "n/a (no median exit within the runs)"
        ax.set_title(f"{m}: median measured / predicted {span}", fontsize=10)
        ax.set_xlabel(r"predicted exit $\alpha$ = ln($d_{exit}/d_0$) / ($\eta\lambda$)")
    axes[0].set_ylabel(r"measured exit $\alpha$ (first $\epsilon_g < \epsilon_g^*/2$)")
    from matplotlib.lines import Line2D

    handles = axes[0].get_legend_handles_labels()[0]
    handles += [Line2D([], [], color="0.3", marker=markers[K], ls="", label=f"K = M = {K}") for K in Ks]
    handles += [Line2D([], [], color=colors[t], marker="s", ls="", label=rf"$\tau$ = {t:g}") for t in taus]
    axes[0].legend(handles=handles, loc="upper left", fontsize=7.5, ncol=2)
    fig.suptitle(f"Plateau length: linear theory (Jacobian escape rate $\\lambda$ at the plateau the run reaches, "
                 f"$d_0$ = unstable projection of the initial state)\nvs SGD: $N = {s['N']}$, $\\eta = {s['eta']:g}$, "
                 f"$b = {s['b']}$, {s['seeds']} seeds (small: per seed, prediction $\\leq 0$ at the left edge; large: "
                 f"median, 10–90%)", fontsize=9.5)
    return save(out, "plateau_length", fig, cols)

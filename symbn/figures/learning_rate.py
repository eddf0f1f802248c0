"""The learning_rate figure: plateau exit time vs eta for vanilla, bn-paper and bn-exact (K = 2,
tau = 1; b = 1 and b = 100), measured with the ODE from the same initial states (markers: median,
bars: range), beside the theory curves: vanilla ln(d_exit/d0) / lambda(eta) with the finite-eta
escape rate (symbn.numeric.analysis.learning_rate), batch norm's effective-learning-rate prediction
(symbn.numeric.analysis.autorate), each calibrated at its smallest eta; vanilla's eta_max dashed."""
from __future__ import annotations

import numpy as np

from symbn.figures.output import COLORS, pyplot, save
from symbn.figures.registry import figure
from symbn.numeric.analysis import autorate
from symbn.numeric.analysis import exits
from symbn.numeric.analysis import learning_rate

MODELS = (("vanilla", COLORS[0]), ("bn-paper", COLORS[2]), ("bn-exact", COLORS[1]))
PANELS = {1: (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0), 100: (2.0, 8.0, 32.0, 128.0, 512.0)}
SETTINGS = dict(K=2, tau=1.0, N=500, seeds=2)


def theory(model, K, tau, b, etas, eta0, exit0):
    """Predicted exit alpha on a fine eta grid, calibrated to the measured exit ``exit0`` at ``eta0``."""
    if model == "vanilla":
        top = learning_rate.eta_max(K, tau, b)
        grid = np.geomspace(min(etas), 0.995 * top, 40)
        rates = [e["escape_rate"] for e in learning_rate.escape_curve(K, tau, grid, b)]
        grid = grid[:len(rates)]                 # the plateau branch may end first: no prediction beyond
        L = exit0 * learning_rate.escape(K, tau, eta0, b)["escape_rate"]
        return grid, L / np.array(rates)
    grid = np.geomspace(min(etas), max(etas), 60)
    L = autorate.calibrate(model, K, exit0, tau=tau, eta=eta0, b=b, Q0=1.0)
    return grid, autorate.exit_time(model, K, tau=tau, eta=grid, b=b, Q0=1.0, L=L)


@figure("learning_rate", "Plateau exit time vs learning rate, vanilla vs BN (K = 2, tau = 1; b = 1 and 100): "
                         "ODE from the same initial states beside the finite-eta and auto-rate theories",
        kernels=("ode",))
def learning_rate_figure(out, workers=None, panels=None, **settings):
    p = {**SETTINGS, **settings}
    panels = PANELS if panels is None else panels
    K, tau = p["K"], p["tau"]
    cols = {"model": [], "b": [], "eta": [], "seed": [], "exit_ode": []}
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.6), constrained_layout=True, squeeze=False)
    for ax, (b, etas) in zip(axes[0], panels.items()):
        rows = exits.table([m for m, _ in MODELS], K, tau, b, etas, workers=workers, N=p["N"], seeds=p["seeds"])
        for r in rows:
            for c, key in (("model", "model"), ("b", "b"), ("eta", "eta"), ("seed", "seed"), ("exit_ode", "exit")):
                cols[c].append(r[key])
        med = exits.medians(rows, "ode")
        top = learning_rate.eta_max(K, tau, b)
        for model, color in MODELS:
            e, m = med[(model, K, tau, b)]
            lo = [min(r["exit"] for r in rows if r["model"] == model and r["eta"] == x) for x in e]
            hi = [max(r["exit"] for r in rows if r["model"] == model and r["eta"] == x) for x in e]
            ok = np.isfinite(m)
            ax.errorbar(e[ok], m[ok], yerr=[m[ok] - np.array(lo)[ok], np.array(hi)[ok] - m[ok]], fmt="o",
                        color=color, ms=5, capsize=2, label=f"{model}: ODE (median of {p['seeds']} starts)")
            if np.any(~ok):
                ax.plot(e[~ok], np.full((~ok).sum(), ax.get_ylim()[1] if ok.any() else 1e3), "x", color=color,
                        label=f"{model}: no exit (diverges or stuck)")
            if ok.any():
                i = int(np.flatnonzero(ok)[0])
                g, t = theory(model, K, tau, b, e, e[i], m[i])
                ax.plot(g, t, "-", color=color, lw=1.2, alpha=0.8,
                        label=f"{model}: " + ("L / lambda(eta), finite-eta plateau" if model == "vanilla"
                                              else "auto-rate theory (Q^2 = Q0^2 + c t)"))
        ax.axvline(top, color=COLORS[0], ls="--", lw=1, label=rf"vanilla $\eta_{{max}}$ = {top:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"learning rate $\eta$")
        ax.set_title(f"$K = M = {K}$, $\\tau = {tau:g}$, $b = {b}$" + (" (BN: population normaliser)" if b == 1 else
                                                                       " (BN: large-b limit)"))
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel(r"plateau exit $\alpha$ (first $\epsilon_g < \epsilon_g^*/2$)")
    fig.suptitle("Finite learning rates: does batch norm escape faster at its own best learning rate?", fontsize=11)
    return save(out, "learning_rate", fig, cols)

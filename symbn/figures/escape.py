"""The escape figure: plateau escape rate (largest Jacobian eigenvalue of the flow) vs K and
tau, vanilla vs batch norm at several plateau members, beside the paper's Hessian measure."""
from __future__ import annotations

import numpy as np

from symbn.figures.output import pyplot, save
from symbn.figures.registry import figure
from symbn.numeric.analysis import escape
from symbn.numeric.symmetric import closed_form as sym

ESCAPE_CURVES = (("vanilla", None, "vanilla", "tab:blue", "-"),
                 ("bn-exact", "closure", r"BN, paper's closure $Q_0 = 1/g^{*2}$ (both rules)", "tab:red", "-"),
                 ("bn-exact", 1.0, r"BN exact, $Q_0 = 1$ (from $|J_i|^2 = 1$)", "tab:orange", "--"),
                 ("bn-paper", "init", r"BN paper rule from $Q_{ii} = g_i = 1$: $Q_0 = g^{*2}$ (= vanilla / $\tau$)", "tab:green", ":"))


def escape_data(K, tau):
    """Columns curve, K, tau, Q0, escape_rate, hessian_min for the curves of ESCAPE_CURVES."""
    K, tau = np.broadcast_arrays(np.asarray(K, float), np.asarray(tau, float))
    K, tau = K.ravel(), tau.ravel()
    cols = {"curve": [], "model": [], "K": [], "tau": [], "Q0": [], "escape_rate": [], "hessian_min": []}
    for model, q, label, _, _ in ESCAPE_CURVES:
        if model == "vanilla":
            Q0 = np.full(K.shape, np.nan)
        elif q == "closure":
            Q0 = sym.closure_Q0(K, tau=tau)
        elif q == "init":
            Q0 = escape.plateau_Q0(model, K, tau=tau, Q_init=1.0, g_init=1.0)
        else:
            Q0 = np.full(K.shape, float(q))
        rate = escape.escape_rate(model, K, tau=tau, Q0=None if model == "vanilla" else Q0)
        cols["curve"] += [label] * K.size
        cols["model"] += [model] * K.size
        cols["K"] += list(K)
        cols["tau"] += list(tau)
        cols["Q0"] += list(Q0)
        cols["escape_rate"] += list(rate)
        cols["hessian_min"] += list(sym.spectrum(model, K, tau=tau)[:, 0])
    return {k: v if k in ("curve", "model") else np.asarray(v) for k, v in cols.items()}


@figure("escape", "Plateau escape rate (largest Jacobian eigenvalue) vs K (tau = 1) and vs tau (K = 2), "
                  "vanilla vs BN, beside the paper's Hessian measure")
def escape_figure(out):
    plt = pyplot()
    K = np.arange(2, 51)
    tau = np.geomspace(1e-3, 1e3, 61)
    dK, dt = escape_data(K, 1.0), escape_data(2, tau)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    for c, (d, x, xl) in enumerate(((dK, "K", r"$K = M$ ($\tau = 1$)"), (dt, "tau", r"$\tau$ ($K = M = 2$)"))):
        labels = np.asarray(d["curve"])
        for model, q, label, color, ls in ESCAPE_CURVES:
            sel = labels == label
            axes[0, c].plot(d[x][sel], d["escape_rate"][sel], color=color, ls=ls, lw=1.8, label=label)
            if q in (None, "closure"):
                axes[1, c].plot(d[x][sel], -d["hessian_min"][sel], color=color, lw=1.8,
                                label="vanilla" if q is None else "BN")
        for r in (0, 1):
            axes[r, c].set_xscale("log")
            axes[r, c].set_yscale("log")
            axes[r, c].grid(True, which="major", alpha=0.3)
            axes[r, c].set_xlabel(xl)
        if x == "K":
            for r in (0, 1):
                axes[r, c].set_xticks([2, 3, 5, 10, 20, 50], ["2", "3", "5", "10", "20", "50"])
                axes[r, c].minorticks_off()
    axes[0, 0].set_ylabel(r"escape rate $\lambda_{\max}(\partial \dot\Omega/\partial\Omega)$ per unit $\eta t$")
    axes[1, 0].set_ylabel(r"paper's measure: $|\lambda_{\min}|$ of the Hessian of $\epsilon_g$")
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=8)
    axes[0, 0].set_title("escape rate vs K")
    axes[0, 1].set_title(r"escape rate vs $\tau$")
    fig.suptitle(r"Escape from the symmetric plateau: BN rate = vanilla rate $\times\, g^{*2}/(\tau Q_0)$; "
                 r"$Q_0$ = Q on the plateau", fontsize=11)
    cols = {k: (np.concatenate([dK[k], dt[k]]) if k not in ("curve", "model") else dK[k] + dt[k]) for k in dK}
    return save(out, "escape", fig, cols)

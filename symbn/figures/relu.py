"""The ReLU figure: Figs. 1-2 of the paper and the escape figure for phi(x) = max(0, x), computed
numerically (symbn.numeric.analysis.phase): the paper's measure (most negative Hessian eigenvalue of eps_g at
the plateau, vanilla vs BN at the closure) and the escape rates (largest Jacobian eigenvalues: the
specialization mode and the spread mode), vs K (tau = 1) and vs tau (K = 2)."""
from __future__ import annotations

import numpy as np

from symbn.figures.output import COLORS, pyplot, save
from symbn.figures.registry import figure
from symbn.numeric import jobs
from symbn.numeric.analysis.phase import Phase

KS = tuple(range(2, 11))
TAUS = tuple(np.geomspace(0.05, 20.0, 13))


def phase_row(K, tau):
    """One (K, tau): plateau eps_g, Hessian lambda_min (vanilla; BN at the closure Q0 = 1/g*^2), escape
    and spread rates (vanilla; BN from |J_i|^2 = 1 (bn-exact: Q0 = 1) and bn-paper from Q = g = 1
    (Q0 = g*^2))."""
    van = Phase("vanilla", K, tau, "relu")
    p = van.plateau()
    e = van.escape(p)
    g2 = tau * p["Q"]                                     # BN's plateau: g*^2 = tau Q (the same covariances)
    bnp = Phase("bn-paper", K, tau, "relu")
    exact = Phase("bn-exact", K, tau, "relu")
    return {"K": K, "tau": tau, "eps_g": van.eps_g([p[n] for n in van.names]),
            "hessian_min_vanilla": np.linalg.eigvalsh(van.hessian(p))[0],
            "hessian_min_bn": np.linalg.eigvalsh(bnp.hessian(bnp.plateau(Q0=1 / g2)))[0],
            "rate_vanilla": e["escape_rate"], "spread_vanilla": e["spread_rate"],
            "rate_bn_exact": exact.escape(exact.plateau(Q0=1.0))["escape_rate"],
            "rate_bn_paper": bnp.escape(bnp.plateau(Q0=g2))["escape_rate"], "g_star": np.sqrt(g2)}


def phase_data(K, tau, workers=None):
    """Columns of :func:`phase_row` over the broadcast (K, tau), one job per point (:mod:`jobs`)."""
    K, tau = (a.ravel() for a in np.broadcast_arrays(np.asarray(K), np.asarray(tau, float)))
    rows = jobs.run(phase_row, [dict(K=int(k), tau=float(t)) for k, t in zip(K, tau)], workers=workers,
                    cost=[k ** 4 for k in K], label="relu plateaus")
    return {c: np.array([float(r[c]) for r in rows]) for c in rows[0]}


@figure("relu", "ReLU: the paper's Hessian measure and the escape rates at the symmetric plateau, vanilla vs BN, "
                "vs K (tau = 1) and vs tau (K = 2), numeric (symbn.numeric.analysis.phase)")
def relu_figure(out, Ks=KS, taus=TAUS, workers=None):
    nK = len(Ks)
    both = phase_data(np.r_[Ks, np.full(len(taus), 2)], np.r_[np.ones(nK), taus], workers)  # one pool pass
    dK, dt = ({c: v[:nK] for c, v in both.items()}, {c: v[nK:] for c, v in both.items()})
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    for c, (d, x, label) in enumerate(((dK, "K", r"$K = M$ ($\tau = 1$)"), (dt, "tau", r"$\tau$ ($K = M = 2$)"))):
        top, bottom = axes[0, c], axes[1, c]
        top.plot(d[x], -d["hessian_min_vanilla"], "o-", color=COLORS[0], label="vanilla")
        top.plot(d[x], -d["hessian_min_bn"], "s-", color=COLORS[1], label="BN (closure $Q_0 = 1/g^{*2}$)")
        bottom.plot(d[x], d["rate_vanilla"], "o-", color=COLORS[0], label="vanilla: specialization")
        bottom.plot(d[x], d["spread_vanilla"], "o:", color=COLORS[0], alpha=0.6, label="vanilla: spread (Q - C)")
        bottom.plot(d[x], d["rate_bn_exact"], "s-", color=COLORS[1], label=r"bn-exact from $|J_i|^2 = 1$ ($Q_0 = 1$)")
        bottom.plot(d[x], d["rate_bn_paper"], "^--", color=COLORS[2], label=r"bn-paper from $Q = g = 1$ ($Q_0 = g^{*2}$)")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(label)
            ax.grid(True, which="major", alpha=0.3)
        if x == "K":
            for ax in (top, bottom):
                ax.set_xticks([2, 3, 5, 10], ["2", "3", "5", "10"])
                ax.minorticks_off()
        top.legend(fontsize=8)
        bottom.legend(fontsize=7.5)
    axes[0, 0].set_ylabel(r"paper's measure: $|\lambda_{\min}|$ of the Hessian of $\epsilon_g$")
    axes[1, 0].set_ylabel(r"escape rate per unit $\eta t$ (largest Jacobian eigenvalues)")
    fig.suptitle(r"ReLU, $\phi(x) = \max(0, x)$: symmetric plateau, vanilla vs batch norm", fontsize=11)
    cols = {k: np.concatenate([dK[k], dt[k]]) for k in dK}
    return save(out, "relu", fig, cols)

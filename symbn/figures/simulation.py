"""Figure 3 of the paper (SGD simulations, vanilla vs batch norm) and its theory check
(the ODE against simulation from the same initial states)."""
from __future__ import annotations

import numpy as np

from symbn.figures.output import COLORS, pyplot, save
from symbn.figures.registry import figure
from symbn.numeric import jobs
from symbn.numeric.ode import full as ode
from symbn.numeric.analysis import plateau
from symbn.numeric.sgd.simulate import simulate

FIG3_PANELS = ((2, 1.0), (5, 1.0), (2, 5.0))          # (K = M, tau)
FIG3_MODELS = (("vanilla", "vanilla", "tab:blue"),
               ("bn-exact", "BN (batch statistics, exact gradient)", "tab:orange"))
FIG3 = dict(N=100, eta=1.0, b=100, steps=20_000, seeds=10, every=100, seed=0, method="order",
            normalizer="batch")
"""Fig. 3 settings (the paper's): eta = 1, N = 100, b = 100, 20,000 iterations; 10 seeds."""


def fig3_data(panels=FIG3_PANELS, models=FIG3_MODELS, workers=None, **overrides):
    """Simulations of Fig. 3: {(model, K, tau): Trajectory}; settings FIG3 updated by ``overrides``."""
    kw = {**FIG3, **overrides}
    keys = [(m, K, tau) for K, tau in panels for m, _, _ in models]
    cost = [kw["steps"] * kw["b"] ** 0.5 * K * kw["seeds"] ** 0.3 for _, K, _ in keys]
    trs = jobs.run(simulate, [dict(model=m, K=K, tau=tau, **kw) for m, K, tau in keys], workers=workers,
                   cost=cost, label="fig3 simulations")
    return dict(zip(keys, trs))


def _band(ax, x, eps, color, label, q=(0.1, 0.5, 0.9)):
    lo, mid, hi = np.quantile(eps, q, axis=0)
    floor = 1e-6
    ax.fill_between(x, np.maximum(lo, floor), np.maximum(hi, floor), color=color, alpha=0.25, lw=0)
    ax.plot(x, np.maximum(mid, floor), color=color, lw=1.6, label=label)


def _fmt_exit(ex):
    med, done = float(np.median(ex)), int(np.isfinite(ex).sum())
    text = "> run" if not np.isfinite(med) else f"{med:,.0f}"
    return f"{text} ({done}/{ex.size} seeds exited)"


@figure("fig3", "SGD simulation: eps_g vs iteration, vanilla vs BN (eta = 1, N = 100, b = 100, 10 seeds)",
        kernels=("sampler",))
def fig3(out, workers=None, panels=FIG3_PANELS, **overrides):
    cfg = {**FIG3, **overrides}
    data = fig3_data(panels, workers=workers, **overrides)
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(13.5, 4.2), sharey=True, constrained_layout=True,
                             squeeze=False)
    axes = axes[0]
    cols = {"model": [], "K": [], "tau": [], "seed": [], "iteration": [], "alpha": [], "eps_g": []}
    letters = "abcdefgh"
    for p, (ax, (K, tau)) in enumerate(zip(axes, panels)):
        star = plateau.plateau_height("vanilla", K, tau)
        for model, label, color in FIG3_MODELS:
            tr = data[(model, K, tau)]
            ex = plateau.exits(tr) * tr.N
            _band(ax, tr.steps, tr.eps_g, color, f"{label}\nmedian exit iteration {_fmt_exit(ex)}")
            for s, k in enumerate(tr.seeds):
                n = tr.steps.size
                cols["model"] += [model] * n
                cols["K"] += [K] * n
                cols["tau"] += [tau] * n
                cols["seed"] += [str(int(k))] * n
                cols["iteration"] += [str(int(i)) for i in tr.steps]
                cols["alpha"] += list(tr.alpha)
                cols["eps_g"] += list(tr.eps_g[s])
        ax.axhline(star, color="0.3", ls="--", lw=0.9, label=r"$\epsilon_g^*$ (symmetric fixed point)")
        ax.axhline(star / 2, color="0.3", ls=":", lw=0.9, label=r"$\epsilon_g^*/2$ (exit rule)")
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 3)
        ax.set_xlim(0, cfg["steps"])
        ax.set_xlabel("iteration")
        ax.set_title(f"({letters[p]}) $K = M = {K}$, $\\tau = {tau:g}$")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper right")
    axes[0].set_ylabel(r"generalization error $\epsilon_g$ (population, from $Q, R, T, g$)")
    fig.suptitle(f"Fig. 3: SGD simulation, $\\eta = {cfg['eta']:g}$, $N = {cfg['N']}$, $b = {cfg['b']}$, "
                 f"{cfg['seeds']} seeds (median and 10–90% band). BN: bn-exact, mini-batch statistics and the "
                 r"exact gradient; $\epsilon_g$ from the order parameters (BN in inference mode)", fontsize=10)
    return save(out, "fig3", fig, cols)


# --- Figure 3, theory: ODE vs simulation from the same initial conditions ----------------------

FIG3_THEORY = dict(N=10_000, K=2, tau=1.0, eta=1.0, b=1, alpha=30.0, record=0.25, seeds=4, seed=0,
                   method="order", normalizer="population")
"""Large N, b = 1 with the population normaliser sd_i = sqrt(tau Q_ii) (the ODEs' normaliser)."""
FIG3_THEORY_MODELS = (("vanilla", "(a) vanilla"), ("bn-paper", "(b) BN, paper's rule (bn-paper)"),
                      ("bn-exact", "(c) BN, exact gradient (bn-exact)"))


def ode_from_trajectory(tr, times=None):
    """eps_g (S, len(times)) of the ODE started from each seed's own initial state of ``tr``."""
    return np.stack([ode.integrate_from(tr, s, times=times).eps_g for s in range(len(tr.seeds))])


def fig3_theory_data(models=FIG3_THEORY_MODELS, workers=None, **overrides):
    """{model: (Trajectory, ODE eps_g (S, times))} for :func:`fig3_theory`."""
    p = {**FIG3_THEORY, **overrides}
    N, K = p["N"], p["K"]
    steps = int(round(p["alpha"] * N))
    every = int(round(p["record"] * N))
    kw = dict(N=N, steps=steps, every=every, tau=p["tau"], eta=p["eta"], b=p["b"], seeds=p["seeds"],
              seed=p["seed"], method=p["method"], normalizer=p["normalizer"])
    trs = jobs.run(simulate, [dict(model=m, K=K, **kw) for m, _ in models], workers=workers,
                   label="fig3_theory simulations")
    return {m: (tr, ode_from_trajectory(tr)) for (m, _), tr in zip(models, trs)}


@figure("fig3_theory", "ODE vs SGD simulation from the same initial states (N = 10^4, b = 1, population BN)",
        kernels=("sampler", "ode"))
def fig3_theory(out, workers=None, **overrides):
    data = fig3_theory_data(workers=workers, **overrides)
    p = {**FIG3_THEORY, **overrides}
    plt = pyplot()
    n = len(FIG3_THEORY_MODELS)
    fig, axes = plt.subplots(2, n, figsize=(4.6 * n, 6.2), sharex=True, sharey="row",
                             gridspec_kw={"height_ratios": (2.2, 1)}, constrained_layout=True)
    cols = {"model": [], "seed": [], "alpha": [], "eps_g_sim": [], "eps_g_ode": []}
    for c, (model, title) in enumerate(FIG3_THEORY_MODELS):
        tr, E = data[model]
        top, bottom = axes[0, c], axes[1, c]
        for s, k in enumerate(tr.seeds):
            color = COLORS[s % len(COLORS)]
            top.plot(tr.alpha, tr.eps_g[s], color=color, lw=1.4, alpha=0.8,
                     label=f"simulation, seed {int(k)}")
            top.plot(tr.alpha, E[s], color="black", lw=0.9, ls="--",
                     label="ODE from the same initial state" if s == 0 else None)
            bottom.plot(tr.alpha, tr.eps_g[s] / E[s] - 1, color=color, lw=1.0)
            m = tr.alpha.size
            cols["model"] += [model] * m
            cols["seed"] += [str(int(k))] * m
            cols["alpha"] += list(tr.alpha)
            cols["eps_g_sim"] += list(tr.eps_g[s])
            cols["eps_g_ode"] += list(E[s])
        top.axhline(plateau.plateau_height(model, p["K"], p["tau"]), color="0.4", ls=":", lw=0.9,
                    label=r"$\epsilon_g^*$ (symmetric fixed point, $\eta \to 0$)")
        top.set_yscale("log")
        top.set_title(title)
        top.grid(True, which="major", alpha=0.3)
        bottom.axhline(0.0, color="black", lw=0.8)
        bottom.grid(True, alpha=0.3)
        bottom.set_xlabel(r"$\alpha$ = iterations / $N$")
    axes[0, 0].set_ylabel(r"$\epsilon_g$")
    axes[1, 0].set_ylabel(r"simulation / ODE $- 1$")
    axes[0, 0].legend(fontsize=7.5, loc="upper right")
    fig.suptitle(f"ODE vs SGD simulation (exact order-parameter sampler), $N = {p['N']:,}$, "
                 f"$K = M = {p['K']}$, $\\tau = {p['tau']:g}$, $\\eta = {p['eta']:g}$, $b = {p['b']}$; BN with the "
                 r"population normaliser $\sqrt{\tau Q_{ii}}$ (the ODEs' large-$b$ limit)", fontsize=10)
    return save(out, "fig3_theory", fig, cols)

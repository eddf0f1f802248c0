"""The paper's figures (and later ones), as a registry of builders.

Each builder takes an output directory and writes ``<name>.png``, ``<name>.pdf``
and ``<name>.csv`` (the plotted data) there, returning the paths. Every file is
written to a temporary name in the same directory and renamed into place, so an
interrupted run never leaves a half-written file. Add a figure with::

    @figure("fig9", "what it shows")
    def fig9(out):
        ...
        return save(out, "fig9", fig, columns)

Matplotlib is imported lazily with the Agg backend (no display needed).
"""
from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from symbn.numeric import symmetric as sym

FIGURES = {}
"""name -> (builder(out_dir) -> [paths], one-line description), in registration order."""


def figure(name, description):
    def register(fn):
        FIGURES[name] = (fn, description)
        return fn
    return register


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_atomic(path, data: bytes):
    """Write ``data`` to ``path`` via a temporary file in the same directory and os.replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def csv_text(columns: dict) -> str:
    """Columns (name -> 1-D array or list) as CSV text; floats with repr (exact round trip)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(columns))
    n = len(next(iter(columns.values())))
    for i in range(n):
        w.writerow([v[i] if isinstance(v[i], str) else
                    (int(v[i]) if float(v[i]).is_integer() and name == "K" else repr(float(v[i])))
                    for name, v in columns.items()])
    return buf.getvalue()


def save(out, name, fig, columns):
    """Write ``name``.png (150 dpi), .pdf and .csv atomically into ``out``; close ``fig``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        for fmt, kw in (("png", {"dpi": 150}), ("pdf", {})):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, bbox_inches="tight", **kw)
            paths.append(write_atomic(out / f"{name}.{fmt}", buf.getvalue()))
    finally:
        _pyplot().close(fig)
    paths.append(write_atomic(out / f"{name}.csv", csv_text(columns).encode()))
    return paths


def build(out, names=None):
    """Run the builders ``names`` (default: all) into ``out``; returns {name: [paths]}."""
    from symbn.validate import ParameterError

    names = list(FIGURES) if names is None else list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ParameterError(f"unknown figure {unknown[0]!r}; choose from {', '.join(FIGURES)}")
    return {n: FIGURES[n][0](out) for n in names}


# --- Figures 1 and 2: Hessian spectra at the symmetric fixed point -----------------------------

MODELS = (("vanilla", "(a) vanilla"), ("bn", "(b) batch normalization"))
COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")
LINTHRESH = 1e-4   # symlog: linear within |lambda| < 1e-4, logarithmic outside


def spectra(K, tau):
    """Columns model, K, tau, lambda1..4 (ascending), eps_g for both models on the broadcast (K, tau)."""
    K, tau = np.broadcast_arrays(np.asarray(K, float), np.asarray(tau, float))
    K, tau = K.ravel(), tau.ravel()
    cols = {"model": [], "K": [], "tau": [], **{f"lambda{i}": [] for i in range(1, 5)}, "eps_g": []}
    for model, _ in MODELS:
        eig = sym.spectrum(model, K, tau)
        cols["model"] += [model] * K.size
        cols["K"] += list(K)
        cols["tau"] += list(tau)
        for i in range(4):
            cols[f"lambda{i + 1}"] += list(eig[:, i])
        cols["eps_g"] += list(sym.eps_g_star(model, K, tau))
    return {k: np.asarray(v) if k != "model" else v for k, v in cols.items()}


def _panels(x, cols, xlabel, title, logx):
    plt = _pyplot()
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


# --- Figure 3: SGD simulations, vanilla vs batch normalization (plateau length) ---------------

FIG3_PANELS = ((2, 1.0), (5, 1.0), (2, 5.0))          # (K = M, tau)
FIG3_MODELS = (("vanilla", "vanilla", "tab:blue"),
               ("bn-exact", "BN (batch statistics, exact gradient)", "tab:orange"))
FIG3 = dict(N=100, eta=1.0, b=100, steps=20_000, seeds=10, every=100, seed=0, method="order",
            normalizer="batch")
"""Fig. 3 settings (the paper's): eta = 1, N = 100, b = 100, 20,000 iterations; 10 seeds."""


def _simulate_job(job):
    """One simulation for a process pool: job = (model, K, M, kwargs) -> Trajectory."""
    from symbn.numeric.simulate import simulate

    model, K, M, kw = job
    return simulate(model, kw.pop("N"), K, M, kw.pop("steps"), **kw)


class _Progress:
    """'k/n simulation jobs done' on stderr, rewritten in place (only on a terminal)."""

    def __init__(self, n):
        self.n, self.done = n, 0
        self.show = sys.stderr.isatty()

    def __call__(self, result):
        self.done += 1
        if self.show:
            end = "\n" if self.done == self.n else ""
            print(f"\r  {self.done}/{self.n} simulation jobs done", end=end, file=sys.stderr, flush=True)
        return result


def _run_jobs(jobs, workers=None, fn=None):
    """Results of ``fn`` (default :func:`_simulate_job`: Trajectories) for ``jobs``, in order.

    Runs them in up to ``workers`` processes (default: the environment variable
    SYMBN_WORKERS, else the CPU count). Every seed has its own random streams
    (simulate.seed_streams), so the numbers do not depend on the process that ran them.
    With one worker, or if a process pool cannot be created, the jobs run here one after
    the other; on Ctrl-C the workers are terminated and KeyboardInterrupt propagates
    (no figure file is written before all data are in). Processes are forked where the
    platform can (no re-import of the caller's ``__main__``, which ``spawn`` needs and
    which fails for ``python -`` or unguarded scripts), else spawned.
    """
    jobs = [(m, K, M, dict(kw)) for m, K, M, kw in jobs]
    fn = _simulate_job if fn is None else fn
    progress = _Progress(len(jobs))
    if workers is None:
        workers = int(os.environ.get("SYMBN_WORKERS", 0)) or (os.cpu_count() or 1)
    workers = min(len(jobs), max(1, int(workers)))
    if workers <= 1:
        return [progress(fn(j)) for j in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    cost = [kw["steps"] * kw.get("b", 1) ** 0.5 * K * kw.get("seeds", 1) ** 0.3 for _, K, _, kw in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -cost[i])          # longest first
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
    except (OSError, NotImplementedError, ImportError):                  # no process pools here
        return [progress(fn(j)) for j in jobs]
    try:
        futures = {i: pool.submit(fn, jobs[i]) for i in order}
        for f in as_completed(futures.values()):
            progress(None)
        return [futures[i].result() for i in range(len(jobs))]
    except BaseException:                                                # Ctrl-C or a failed job
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:                                               # do not wait for running jobs
            proc.terminate()
        for proc in procs:
            proc.join(timeout=5)
        raise
    finally:
        pool.shutdown(wait=True)


def fig3_data(panels=FIG3_PANELS, models=FIG3_MODELS, workers=None, **overrides):
    """Simulations of Fig. 3: {(model, K, tau): Trajectory}; settings FIG3 updated by ``overrides``."""
    kw = {**FIG3, **overrides}
    keys = [(m, K, tau) for K, tau in panels for m, _, _ in models]
    trs = _run_jobs([(m, K, K, {**kw, "tau": tau}) for m, K, tau in keys], workers)
    return dict(zip(keys, trs))


def plateau_exits(tr, fraction=0.5):
    """Per-seed plateau exit *iteration*: first recorded step with eps_g < fraction * eps_g*.

    eps_g* is eps_g at the symmetric fixed point of the model's family (eta -> 0,
    :func:`symbn.numeric.symmetric.eps_g_star`); ``inf`` if never reached in the run.
    """
    from symbn.numeric.simulate import plateau

    height = float(sym.eps_g_star(tr.model, tr.K, tr.tau))
    return plateau(tr.alpha, tr.eps_g, height=height, fraction=fraction).exit_alpha * tr.N


def _band(ax, x, eps, color, label, q=(0.1, 0.5, 0.9)):
    lo, mid, hi = np.quantile(eps, q, axis=0)
    floor = 1e-6
    ax.fill_between(x, np.maximum(lo, floor), np.maximum(hi, floor), color=color, alpha=0.25, lw=0)
    ax.plot(x, np.maximum(mid, floor), color=color, lw=1.6, label=label)


def _fmt_exit(ex):
    med, done = float(np.median(ex)), int(np.isfinite(ex).sum())
    text = "> run" if not np.isfinite(med) else f"{med:,.0f}"
    return f"{text} ({done}/{ex.size} seeds exited)"


@figure("fig3", "SGD simulation: eps_g vs iteration, vanilla vs BN (eta = 1, N = 100, b = 100, 10 seeds)")
def fig3(out, workers=None):
    data = fig3_data(workers=workers)
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(FIG3_PANELS), figsize=(13.5, 4.2), sharey=True, constrained_layout=True)
    cols = {"model": [], "K": [], "tau": [], "seed": [], "iteration": [], "alpha": [], "eps_g": []}
    letters = "abcdefgh"
    for p, (ax, (K, tau)) in enumerate(zip(axes, FIG3_PANELS)):
        star = float(sym.eps_g_star("vanilla", K, tau))
        for model, label, color in FIG3_MODELS:
            tr = data[(model, K, tau)]
            ex = plateau_exits(tr)
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
        ax.set_xlim(0, FIG3["steps"])
        ax.set_xlabel("iteration")
        ax.set_title(f"({letters[p]}) $K = M = {K}$, $\\tau = {tau:g}$")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper right")
    axes[0].set_ylabel(r"generalization error $\epsilon_g$ (population, from $Q, R, T, g$)")
    s = FIG3
    fig.suptitle(f"Fig. 3: SGD simulation, $\\eta = {s['eta']:g}$, $N = {s['N']}$, $b = {s['b']}$, "
                 f"{s['seeds']} seeds (median and 10–90% band). BN: bn-exact, mini-batch statistics and the "
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
    from symbn.numeric import ode

    times = tr.alpha if times is None else np.asarray(times, dtype=float)
    out = np.empty((len(tr.seeds), times.size))
    for s in range(len(tr.seeds)):
        init = tr.init_dict(s)
        if tr.model == "vanilla":
            init.pop("g")
        out[s] = ode.integrate(tr.model, init=init, tau=tr.tau, eta=tr.eta, b=tr.b, times=times).eps_g
    return out


def fig3_theory_data(models=FIG3_THEORY_MODELS, workers=None, **overrides):
    """{model: (Trajectory, ODE eps_g (S, times))} for :func:`fig3_theory`."""
    p = {**FIG3_THEORY, **overrides}
    N, K = p["N"], p["K"]
    steps = int(round(p["alpha"] * N))
    every = int(round(p["record"] * N))
    kw = dict(N=N, steps=steps, every=every, tau=p["tau"], eta=p["eta"], b=p["b"], seeds=p["seeds"],
              seed=p["seed"], method=p["method"], normalizer=p["normalizer"])
    trs = _run_jobs([(m, K, K, kw) for m, _ in models], workers)
    return {m: (tr, ode_from_trajectory(tr)) for (m, _), tr in zip(models, trs)}


@figure("fig3_theory", "ODE vs SGD simulation from the same initial states (N = 10^4, b = 1, population BN)")
def fig3_theory(out, workers=None):
    data = fig3_theory_data(workers=workers)
    p = FIG3_THEORY
    plt = _pyplot()
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
        top.axhline(float(sym.eps_g_star(model, p["K"], p["tau"])), color="0.4", ls=":", lw=0.9,
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


# --- Escape rates (issue 6): Jacobian of the flow at the fixed point vs the paper's Hessian -----

ESCAPE_CURVES = (("vanilla", None, "vanilla", "tab:blue", "-"),
                 ("bn-exact", "closure", r"BN, paper's closure $Q_0 = 1/g^{*2}$ (both rules)", "tab:red", "-"),
                 ("bn-exact", 1.0, r"BN exact, $Q_0 = 1$ (from $|J_i|^2 = 1$)", "tab:orange", "--"),
                 ("bn-paper", "init", r"BN paper rule from $Q_{ii} = g_i = 1$: $Q_0 = g^{*2}$ (= vanilla / $\tau$)", "tab:green", ":"))


def escape_data(K, tau):
    """Columns curve, K, tau, Q0, escape_rate, hessian_min for the curves of ESCAPE_CURVES."""
    from symbn.numeric import escape

    K, tau = np.broadcast_arrays(np.asarray(K, float), np.asarray(tau, float))
    K, tau = K.ravel(), tau.ravel()
    cols = {"curve": [], "model": [], "K": [], "tau": [], "Q0": [], "escape_rate": [], "hessian_min": []}
    for model, q, label, _, _ in ESCAPE_CURVES:
        if model == "vanilla":
            Q0 = np.full(K.shape, np.nan)
        elif q == "closure":
            Q0 = escape.closure_Q0(K, tau)
        elif q == "init":
            Q0 = escape.plateau_Q0(model, K, tau, 1.0, 1.0)
        else:
            Q0 = np.full(K.shape, float(q))
        rate = escape.escape_rate(model, K, tau, None if model == "vanilla" else Q0)
        cols["curve"] += [label] * K.size
        cols["model"] += [model] * K.size
        cols["K"] += list(K)
        cols["tau"] += list(tau)
        cols["Q0"] += list(Q0)
        cols["escape_rate"] += list(rate)
        cols["hessian_min"] += list(sym.spectrum(model, K, tau)[:, 0])
    return {k: v if k in ("curve", "model") else np.asarray(v) for k, v in cols.items()}


@figure("escape", "Plateau escape rate (largest Jacobian eigenvalue) vs K (tau = 1) and vs tau (K = 2), "
                  "vanilla vs BN, beside the paper's Hessian measure")
def escape_figure(out):
    plt = _pyplot()
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


# --- Plateau length (issue 6): predicted from the escape rate vs measured in simulation ---------

@figure("plateau_length", "Plateau exit alpha predicted from the escape rate and the initial distance vs measured "
                          "in SGD (order sampler, N = 100, b = 10), vanilla / bn-paper / bn-exact over K and tau")
def plateau_length_figure(out, workers=None):
    from symbn.numeric import plateau_length as pl

    cols = pl.data(workers=workers)
    plt = _pyplot()
    models = pl.GRID["models"]
    fig, axes = plt.subplots(1, len(models), figsize=(13.5, 5), sharex=True, sharey=True, constrained_layout=True)
    markers = dict(zip(pl.GRID["K"], "osD^v"))
    colors = dict(zip(pl.GRID["tau"], COLORS))
    model = np.asarray(cols["model"])
    pred, meas = cols["alpha_pred"], cols["alpha_exit"]
    lo = 0.7 * min(pred[pred > 0].min(), meas.min())   # seeds with d0 >= d_exit (pred <= 0) drawn at lo
    hi = 1.4 * np.nanmax(np.where(np.isfinite(meas), meas, cols["alpha_run"]))
    for ax, m in zip(axes, models):
        ax.plot([lo, hi], [lo, hi], color="black", lw=1, label="measured = predicted")
        ax.plot([lo, hi], [2 * lo, 2 * hi], color="0.5", lw=0.8, ls=":", label="measured = 2 x predicted")
        ratios = []
        for K in pl.GRID["K"]:
            for tau in pl.GRID["tau"]:
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
        ax.set_title(f"{m}: median measured / predicted {min(ratios):.2f}–{max(ratios):.2f}", fontsize=10)
        ax.set_xlabel(r"predicted exit $\alpha$ = ln($d_{exit}/d_0$) / ($\eta\lambda$)")
    axes[0].set_ylabel(r"measured exit $\alpha$ (first $\epsilon_g < \epsilon_g^*/2$)")
    from matplotlib.lines import Line2D

    handles = axes[0].get_legend_handles_labels()[0]
    handles += [Line2D([], [], color="0.3", marker=markers[K], ls="", label=f"K = M = {K}") for K in pl.GRID["K"]]
    handles += [Line2D([], [], color=colors[t], marker="s", ls="", label=rf"$\tau$ = {t:g}") for t in pl.GRID["tau"]]
    axes[0].legend(handles=handles, loc="upper left", fontsize=7.5, ncol=2)
    s = pl.PLATEAU
    fig.suptitle(f"Plateau length: linear theory (Jacobian escape rate $\\lambda$ at the plateau the run reaches, "
                 f"$d_0$ = unstable projection of the initial state)\nvs SGD: $N = {s['N']}$, $\\eta = {s['eta']:g}$, "
                 f"$b = {s['b']}$, {s['seeds']} seeds (small: per seed, prediction $\\leq 0$ at the left edge; large: "
                 f"median, 10–90%)", fontsize=9.5)
    return save(out, "plateau_length", fig, cols)

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

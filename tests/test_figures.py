"""symbn figures: PNG + PDF + CSV per figure, the CSV holding exactly the API's numbers, atomic writes;
every builder run (the simulation figures at reduced size) with its data checked against the API."""
import csv
import io
import os
from contextlib import redirect_stdout

import numpy as np
import pytest

from symbn import cli, figures
from symbn.errors import ParameterError
from symbn.figures import escape as escape_figure
from symbn.figures import plateau_length as plateau_length_figure
from symbn.figures import simulation
from symbn.files import write_atomic
from symbn.numeric.analysis import escape
from symbn.numeric.ode import full as ode
from symbn.numeric.analysis import plateau_length
from symbn.numeric.symmetric import closed_form as sym
from symbn.numeric.sgd.simulate import simulate


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("figs")
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["figures", "--out", str(d), "--only", "fig1,fig2"]) == 0  # fig3* are slow (simulations)
    assert "fig1:" in buf.getvalue() and "fig2:" in buf.getvalue()
    return d


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_files_written(out):
    names = sorted(os.listdir(out))
    assert names == ["fig1.csv", "fig1.pdf", "fig1.png", "fig2.csv", "fig2.pdf", "fig2.png"]  # no temporaries
    for n in ("fig1", "fig2"):
        assert (out / f"{n}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{n}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (out / f"{n}.png").stat().st_size > 20_000


@pytest.mark.parametrize("name,K,tau", [("fig1", np.arange(1, 21), 1.0),
                                        ("fig2", 2, np.geomspace(1e-3, 1e3, 61))])
def test_csv_is_the_plotted_data(out, name, K, tau):
    rows = read_csv(out / f"{name}.csv")
    assert list(rows[0]) == ["model", "K", "tau", "lambda1", "lambda2", "lambda3", "lambda4", "eps_g"]
    K, tau = (a.ravel() for a in np.broadcast_arrays(np.asarray(K, float), np.asarray(tau, float)))
    for model in ("vanilla", "bn"):
        sel = [r for r in rows if r["model"] == model]
        assert len(sel) == K.size
        assert [float(r["K"]) for r in sel] == K.tolist() and [float(r["tau"]) for r in sel] == tau.tolist()
        got = np.array([[float(r[f"lambda{i}"]) for i in range(1, 5)] for r in sel])
        assert np.array_equal(got, sym.spectrum(model, K, tau=tau))
        assert np.array_equal([float(r["eps_g"]) for r in sel], sym.eps_g_star(model, K, tau=tau))


def test_paper_claims_visible_in_fig1_data(out):
    rows = read_csv(out / "fig1.csv")
    lam1 = {(r["model"], int(r["K"])): float(r["lambda1"]) for r in rows}
    # batch norm: the most negative eigenvalue is smaller in magnitude than vanilla's for K >= 3
    assert all(abs(lam1[("bn", k)]) < abs(lam1[("vanilla", k)]) for k in range(3, 21))


def test_registry_and_only(tmp_path):
    assert list(figures.FIGURES) == ["fig1", "fig2", "fig3", "fig3_theory", "escape", "plateau_length",
                                     "learning_rate", "relu"]
    paths = figures.build(tmp_path, ["fig2"])["fig2"]     # drawn by the helper process
    assert sorted(p.name for p in paths) == ["fig2.csv", "fig2.pdf", "fig2.png"]
    assert (tmp_path / "fig2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "fig2.pdf").read_bytes()[:5] == b"%PDF-"
    direct = tmp_path / "direct"                              # the same figure drawn here: same PNG, same data
    figures.FIGURES["fig2"][0](direct)
    for name in ("fig2.png", "fig2.csv"):
        assert (direct / name).read_bytes() == (tmp_path / name).read_bytes()
    with pytest.raises(ParameterError, match="unknown figure 'fig99'"):
        figures.build(tmp_path, ["fig99"])


def test_figures_name_the_compiled_loops_their_jobs_use(monkeypatch):
    from symbn.figures import registry
    from symbn.numeric import jobs
    from symbn.numeric.runs import warm

    assert set(registry.KERNELS) == set(figures.FIGURES)
    assert registry.KERNELS["fig3"] == ("sampler",) and registry.KERNELS["learning_rate"] == ("ode",)
    assert all(set(k) <= set(warm.KERNELS) for k in registry.KERNELS.values())
    assert warm.load("sampler") > 0 and warm.load("ode") > 0          # compiled or loaded here
    with pytest.raises(ParameterError, match="kernel"):
        warm.load("spline")
    assert warm.warm(["sampler", "ode"], workers=1) == []             # one worker: compiled where first used
    ran = []
    monkeypatch.setattr(jobs, "run", lambda fn, work, **kw: ran.append([j["kernel"] for j in work]) or [])
    warm.warm(["ode", "sampler", "ode"], workers=2)
    assert ran == [["ode", "sampler"]]


def test_build_warms_the_union_of_its_figures_loops(tmp_path, monkeypatch):
    from symbn.figures import registry
    from symbn.numeric.runs import warm

    calls = []
    monkeypatch.setattr(warm, "warm", lambda kernels, workers=None: calls.append(set(kernels)))
    for name in ("fig3", "learning_rate"):
        monkeypatch.setitem(registry.FIGURES, name, (lambda out: [], "stub"))
    figures.build(tmp_path, ["fig3", "learning_rate"])
    figures.build(tmp_path, ["fig2"])
    assert calls == [{"sampler", "ode"}, set()]


def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "fig1.csv"
    target.write_text("old\n")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["fig1.csv"]


# ----------------------------------------------------------------------------- the other builders, small

def written(paths, name):
    assert sorted(p.name for p in paths) == [f"{name}.csv", f"{name}.pdf", f"{name}.png"]
    assert paths[0].parent.joinpath(f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return read_csv(paths[0].parent / f"{name}.csv")


def test_fig3_small_run_plots_the_simulation(tmp_path):
    """One panel, 2 seeds, 300 steps, two worker processes (the job runner's pool path): the CSV
    is each simulation's eps_g, bit for bit the API's run with the same settings."""
    kw = dict(N=20, steps=300, seeds=2, every=50, b=4)
    rows = written(simulation.fig3(tmp_path, workers=2, panels=((2, 1.0),), **kw), "fig3")
    for model in ("vanilla", "bn-exact"):
        tr = simulate(model, 2, 2, tau=1.0, **{**simulation.FIG3, **kw})
        got = np.array([float(r["eps_g"]) for r in rows if r["model"] == model]).reshape(2, -1)
        assert np.array_equal(got, tr.eps_g)


def test_fig3_theory_small_run_plots_simulation_and_ode(tmp_path):
    kw = dict(N=200, alpha=3.0, record=0.5, seeds=2)
    rows = written(simulation.fig3_theory(tmp_path, workers=1, **kw), "fig3_theory")
    sel = [r for r in rows if r["model"] == "bn-exact" and r["seed"] == "1"]
    tr = simulate("bn-exact", 2, 2, N=200, steps=600, every=100, seeds=2, eta=1.0, b=1, normalizer="population")
    assert np.array_equal([float(r["eps_g_sim"]) for r in sel], tr.eps_g[1])
    E = ode.integrate("bn-exact", init=tr.initial_state(1), eta=1.0, b=1, times=tr.alpha).eps_g
    np.testing.assert_allclose([float(r["eps_g_ode"]) for r in sel], E, rtol=1e-12)


def test_escape_figure_data_are_the_escape_rates(tmp_path):
    rows = written(escape_figure.escape_figure(tmp_path), "escape")
    for r in rows[::17]:
        Q0 = None if r["model"] == "vanilla" else float(r["Q0"])
        rate = escape.escape_rate(r["model"], int(float(r["K"])), tau=float(r["tau"]), Q0=Q0)
        assert float(r["escape_rate"]) == pytest.approx(float(rate), rel=1e-12)
        assert float(r["hessian_min"]) == sym.spectrum(r["model"], int(float(r["K"])), tau=float(r["tau"]))[0]


def test_plateau_length_figure_small_run(tmp_path):
    """K = 2, tau = 1, two seeds of N = 50: predictions are the linear theory's, exits measured."""
    kw = dict(N=50, seeds=2, alpha_max=400.0)
    rows = written(plateau_length_figure.plateau_length_figure(tmp_path, workers=1, Ks=(2,), taus=(1.0,), **kw),
                   "plateau_length")
    assert [r["model"] for r in rows] == ["vanilla"] * 2 + ["bn-paper"] * 2 + ["bn-exact"] * 2
    direct = plateau_length.run("bn-exact", 2, 1.0, **kw)
    sel = [r for r in rows if r["model"] == "bn-exact"]
    np.testing.assert_array_equal([float(r["alpha_pred"]) for r in sel], direct["alpha_pred"])
    np.testing.assert_array_equal([float(r["alpha_exit"]) for r in sel], direct["alpha_exit"])
    assert all(float(r["alpha_pred"]) > 0 and float(r["rate"]) > 0 for r in rows)


def test_learning_rate_figure_small_run(tmp_path):
    """One learning rate at b = 1, one initial state: the CSV exits are the ODE's, from the same start."""
    from symbn.figures import learning_rate as lr_figure
    from symbn.numeric.analysis import exits

    rows = written(lr_figure.learning_rate_figure(tmp_path, workers=1, panels={1: (2.0,)}, seeds=1, N=100),
                   "learning_rate")
    assert {r["model"] for r in rows} == {"vanilla", "bn-paper", "bn-exact"}
    start = exits.initial_states(2, 100, 1)[0]
    for r in rows:
        want = exits.ode_exit(r["model"], 2, start, eta=float(r["eta"]), b=1)
        got = float(r["exit_ode"])
        assert (np.isinf(got) and np.isinf(want)) or got == pytest.approx(want, rel=1e-12)


def test_relu_figure_data_are_the_numeric_phase(tmp_path):
    from symbn.figures import relu as relu_figure
    from symbn.numeric.analysis.phase import Phase

    rows = written(relu_figure.relu_figure(tmp_path, Ks=(2, 3), taus=(0.5,)), "relu")
    assert [(int(float(r["K"])), float(r["tau"])) for r in rows] == [(2, 1.0), (3, 1.0), (2, 0.5)]
    for r in rows:
        ph = Phase("vanilla", int(float(r["K"])), float(r["tau"]), "relu")
        p = ph.plateau()
        assert float(r["rate_vanilla"]) == pytest.approx(ph.escape(p)["escape_rate"], rel=1e-12)
        # batch norm's rate from |J_i|^2 = 1 is the vanilla one times g*^2 / tau (Q0 = 1)
        assert float(r["rate_bn_exact"]) == pytest.approx(float(r["rate_vanilla"]) * float(r["g_star"]) ** 2
                                                          / float(r["tau"]), rel=1e-6)

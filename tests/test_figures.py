"""symbn figures: PNG + PDF + CSV per figure, the CSV holding exactly the API's numbers, atomic writes."""
import csv
import io
import os
from contextlib import redirect_stdout

import numpy as np
import pytest

from symbn import cli
from symbn.numeric import figures
from symbn.numeric import symmetric as sym
from symbn.validate import ParameterError


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
        assert np.array_equal(got, sym.spectrum(model, K, tau))
        assert np.array_equal([float(r["eps_g"]) for r in sel], sym.eps_g_star(model, K, tau))


def test_paper_claims_visible_in_fig1_data(out):
    rows = read_csv(out / "fig1.csv")
    lam1 = {(r["model"], int(r["K"])): float(r["lambda1"]) for r in rows}
    # batch norm: the most negative eigenvalue is smaller in magnitude than vanilla's for K >= 3
    assert all(abs(lam1[("bn", k)]) < abs(lam1[("vanilla", k)]) for k in range(3, 21))


def test_registry_and_only(tmp_path):
    assert list(figures.FIGURES)[:2] == ["fig1", "fig2"]
    paths = figures.build(tmp_path, ["fig2"])["fig2"]
    assert sorted(p.name for p in paths) == ["fig2.csv", "fig2.pdf", "fig2.png"]
    with pytest.raises(ParameterError, match="unknown figure 'fig99'"):
        figures.build(tmp_path, ["fig99"])


def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "fig1.csv"
    target.write_text("old\n")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        figures.write_atomic(target, b"new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["fig1.csv"]

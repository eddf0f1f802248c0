"""symbn sweep: the grid, the tidy table, resume after an interrupt, bad input, and a real
dask.distributed scheduler and worker on the loopback interface giving the local rows bit for bit."""
import csv
import math

import numpy as np
import pytest

from symbn import cli
from symbn.errors import ParameterError
from symbn.numeric.ode import initial
from symbn.numeric import jobs
from symbn.numeric.ode import full as ode
from symbn.numeric.runs import sweep
from symbn.numeric.sgd.simulate import simulate

SIM = dict(N=100, base=0, steps=3000, method="order", normalizer="population")
ODE = dict(N=200, base=0, t=120.0, points=121)


def axes(**over):
    a = dict(model=["vanilla"], K=[2], M=[None], tau=[1.0], eta=[1.0], b=[1], activation=["erf"], eta_w=[0.0],
             noise=[0.0], weight_decay=[0.0], seed=[0, 1])
    return {**a, **over}


def rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_grid_is_the_cartesian_product_with_M_defaulting_to_K():
    jobs_ = sweep.grid(axes(K=[2, 3], eta=[0.5, 1.0]), SIM)
    assert len(jobs_) == 2 * 2 * 2
    assert [(j["K"], j["M"], j["eta"], j["seed"]) for j in jobs_[:3]] == [(2, 2, 0.5, 0), (2, 2, 0.5, 1), (2, 2, 1.0, 0)]
    assert all(j["steps"] == 3000 for j in jobs_)


def test_ode_rows_are_the_ode_from_each_seeds_random_start(tmp_path):
    out = tmp_path / "s.csv"
    ran, skipped = sweep.run("ode", sweep.grid(axes(), ODE), out, workers=1)
    table = rows(out)
    assert (ran, skipped, len(table)) == (2, 0, 2)
    assert tuple(table[0]) == sweep.columns("ode")
    for r in table:
        s = int(r["seed"])
        tr = ode.integrate("vanilla", init=initial.random(2, 2, 200, 0, s), times=np.linspace(0, 120, 121))
        assert float(r["eps_g"]) == tr.eps_g[-1]            # the wiring: seed index -> initial state
        # exit: the first output time with eps_g below one half (the pinned exit fraction) of the
        # plateau height, Saad & Solla's eps_g* at Q = C = 1/3, R = S = 1/sqrt(6) (K = M = 2, tau = 1),
        # computed here from the arcsine formula: exact on the output grid, no tolerance
        I2 = lambda a, b, c: 2 / math.pi * math.asin(c / math.sqrt((1 + a) * (1 + b)))  # noqa: E731
        q, c = 1 / 3, 1 / math.sqrt(6)
        height = (2 * I2(1, 1, 1) + 2 * I2(q, q, q) + 2 * I2(q, q, q) - 4 * I2(q, 1, c) - 4 * I2(q, 1, c)) / 2
        assert abs(height - 0.0116108403126684) < 1e-15
        below = np.flatnonzero(tr.eps_g < 0.5 * height)
        assert below.size and float(r["exit_alpha"]) == tr.alpha[below[0]] and float(r["elapsed_s"]) > 0
    assert table[0]["eps_g"] != table[1]["eps_g"]


def test_simulate_rows_match_symbn_simulate_of_that_seed(tmp_path):
    out = tmp_path / "s.csv"
    sweep.run("simulate", sweep.grid(axes(seed=[3]), SIM), out, workers=1)
    (r,) = rows(out)
    tr = simulate("vanilla", 2, N=100, steps=3000, seeds=[3], seed=0, every=10)
    assert float(r["eps_g"]) == tr.eps_g[0, -1]
    assert r["exit_alpha"] == "inf"                     # alpha 30 is still on the plateau at N = 100


def interrupted_after_one_job(work, out, monkeypatch):
    """Run the simulation sweep ``work`` into ``out`` and interrupt it (Ctrl-C) after its first job."""
    real = jobs.imap

    def interrupted(*args, **kw):
        gen = real(*args, **kw)
        yield next(gen)
        raise KeyboardInterrupt

    monkeypatch.setattr(jobs, "imap", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sweep.run("simulate", work, out, workers=1)
    monkeypatch.setattr(jobs, "imap", real)


def test_an_interrupted_sweep_keeps_its_rows_and_resume_skips_them(tmp_path, monkeypatch):
    out = tmp_path / "s.csv"
    work = sweep.grid(axes(seed=[0, 1, 2]), SIM)
    interrupted_after_one_job(work, out, monkeypatch)
    assert len(rows(out)) == 1 and not list(tmp_path.glob(".*part"))
    with open(out, "a") as fh:                          # a torn line, as a killed process leaves
        fh.write("vanilla,2,2,1.0")
    ran, skipped = sweep.run("simulate", work, out, resume=True, workers=1)
    table = rows(out)
    assert (ran, skipped) == (2, 1)
    assert sorted(int(r["seed"]) for r in table) == [0, 1, 2] and all(r["eps_g"] for r in table)
    assert sweep.run("simulate", work, out, resume=True, workers=1) == (0, 3)


def test_a_parquet_table_is_typed_written_at_the_end_and_resumable(tmp_path, monkeypatch):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "s.parquet"
    work = sweep.grid(axes(seed=[0, 1, 2]), SIM)
    interrupted_after_one_job(work, out, monkeypatch)
    log = tmp_path / "s.parquet.rows.csv"
    assert not out.exists() and len(rows(log)) == 1     # no half-written Parquet: the journal keeps the row
    assert sweep.run("simulate", work, out, resume=True, workers=1) == (2, 1)
    assert not log.exists()
    got = pq.read_table(out)
    assert got.column_names == list(sweep.columns("simulate"))
    types = {f.name: str(f.type) for f in got.schema}
    assert (types["model"], types["K"], types["seed"], types["tau"], types["eps_g"]) == \
        ("string", "int64", "int64", "double", "double")
    data = got.to_pydict()
    assert sorted(data["seed"]) == [0, 1, 2]
    csv_out = tmp_path / "s.csv"                         # the same jobs into CSV: the same numbers
    sweep.run("simulate", work, csv_out, workers=1)
    by_seed = {int(r["seed"]): float(r["eps_g"]) for r in rows(csv_out)}
    assert {s: e for s, e in zip(data["seed"], data["eps_g"])} == by_seed
    assert data["exit_alpha"] == [math.inf] * 3         # still on the plateau at alpha 30
    # extending a finished sweep: --resume reads the Parquet table, runs only the new seed
    assert sweep.run("simulate", sweep.grid(axes(seed=[0, 1, 2, 3]), SIM), out, resume=True, workers=1) == (1, 3)
    assert sorted(pq.read_table(out).column("seed").to_pylist()) == [0, 1, 2, 3]
    with pytest.raises(ParameterError, match="exists"):
        sweep.run("simulate", work, out, workers=1)


def test_bad_input_names_the_parameter(tmp_path, capsys):
    out = str(tmp_path / "s.csv")
    cases = {("--K", "0"): "K must be", ("--eta", "-1"): "eta must be > 0", ("--tau", "nan"): "tau",
             ("--model", "bn"): "bn", ("--activation", "tanh"): "activation", ("--b", "0.5"): "b must be",
             ("--seeds", "0"): "seeds", ("--noise", "-0.1"): "noise must be >= 0"}
    for (flag, value), text in cases.items():
        assert cli.main(["sweep", "simulate", flag, value, "--out", out]) == 2
        assert text in capsys.readouterr().err
    (tmp_path / "s.csv").write_text("model\n")
    assert cli.main(["sweep", "ode", "--out", out]) == 2
    assert "exists" in capsys.readouterr().err
    assert cli.main(["sweep", "ode", "--out", str(tmp_path / "s.json")]) == 2
    assert ".csv or .parquet" in capsys.readouterr().err
    with pytest.raises(ParameterError, match="columns"):
        sweep.run("ode", sweep.grid(axes(), ODE), out, resume=True)


def test_a_dask_cluster_on_loopback_gives_the_local_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    work = sweep.grid(axes(model=["vanilla", "bn-exact"], seed=[0, 1]), SIM)
    sweep.run("simulate", work, tmp_path / "local.csv", workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        ran, _ = sweep.run("simulate", work, tmp_path / "dask.csv", scheduler=cluster.scheduler_address)
    assert ran == 4
    key = lambda r: (r["model"], r["seed"])  # noqa: E731
    local, remote = sorted(rows(tmp_path / "local.csv"), key=key), sorted(rows(tmp_path / "dask.csv"), key=key)
    drop = lambda r: {k: v for k, v in r.items() if k != "elapsed_s"}  # noqa: E731
    assert [drop(r) for r in local] == [drop(r) for r in remote]
    assert all(math.isfinite(float(r["eps_g"])) for r in remote)


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(jobs, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(ParameterError, match="dask scheduler"):
        sweep.run("simulate", sweep.grid(axes(seed=[0]), SIM), tmp_path / "s.csv", scheduler="tcp://127.0.0.1:9")


def test_each_row_is_on_disk_when_its_job_is_reported(tmp_path, monkeypatch):
    """fsync per row, observed: every finished job's row is fsynced (one call per row, on the table's
    file) before the next job starts, and at that moment the file on disk holds exactly that many rows."""
    import os

    from symbn.numeric.runs import table

    out = tmp_path / "s.csv"
    seen, real = [], os.fsync

    def spy(fd):
        real(fd)
        if os.path.realpath(f"/proc/self/fd/{fd}") == os.path.realpath(out):
            with open(out) as fh:
                seen.append(len(list(csv.DictReader(fh))))

    monkeypatch.setattr(table.os, "fsync", spy)
    started = []
    job = sweep.JOBS["simulate"]
    monkeypatch.setitem(sweep.JOBS, "simulate", lambda **kw: (started.append(len(seen)), job(**kw))[1])
    sweep.run("simulate", sweep.grid(axes(seed=[0, 1, 2]), SIM), out, workers=1)
    assert seen == [1, 2, 3]
    assert started == [0, 1, 2]         # job k starts after the k rows before it are on disk

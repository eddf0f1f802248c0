"""symbn simulate: JSON equals the API's numbers, --save-init round trip into symbn ode, errors, atomic output."""
import io
import json
import time
import os
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

from symbn import cli
from symbn.numeric.ode import initial
from symbn.numeric.ode import full as ode
from symbn.numeric.sgd.simulate import simulate


def call(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = cli.main(argv)
    return rc, out.getvalue(), err.getvalue()


SMALL = ["--N", "30", "--K", "2", "--M", "3", "--tau", "1.5", "--eta", "0.7", "--b", "4", "--steps", "60",
         "--seeds", "3", "--seed", "11", "--every", "20"]


@pytest.mark.parametrize("model,method,normalizer", [("vanilla", "direct", "batch"),
                                                     ("bn-exact", "order", "batch"),
                                                     ("bn-paper", "direct", "population"),
                                                     ("bn-full", "order", "batch")])
def test_json_matches_the_api(model, method, normalizer):
    rc, out, _ = call(["simulate", "--model", model, "--method", method, "--normalizer", normalizer,
                       *SMALL, "--json", "--order-params"])
    assert rc == 0
    doc = json.loads(out)
    tr = simulate(model, 2, 3, N=30, steps=60, tau=1.5, eta=0.7, b=4, normalizer=normalizer, method=method,
                  seeds=3, seed=11, every=20)
    assert doc["params"] == {"model": model, "method": method, "normalizer": normalizer, "N": 30, "K": 2,
                             "M": 3, "tau": 1.5, "eta": 0.7, "b": 4, "seed": 11, "steps": 60,
                             "activation": "erf", "eta_w": 0.0, "noise": 0.0, "weight_decay": 0.0,
                             "w": [1.0, 1.0], "v": [1.0, 1.0, 1.0]}
    assert doc["seeds"] == [0, 1, 2] and doc["steps"] == [0, 20, 40, 60]
    assert doc["alpha"] == [0.0, 20 / 30, 40 / 30, 2.0] == tr.alpha.tolist()
    assert np.array(doc["eps_g"]).shape == (3, 4)
    assert np.array_equal(doc["eps_g"], tr.eps_g)                     # exact: same seeds, same code
    shapes = {"Q": (3, 4, 2, 2), "R": (3, 4, 2, 3), "T": (3, 4, 3, 3), "g": (3, 4, 2)}
    for k, shape in shapes.items():
        if k == "g" and model == "vanilla":
            assert doc[k] is None and tr.g is None          # no gains
            continue
        assert np.array(doc[k]).shape == shape
        assert np.array_equal(doc[k], getattr(tr, k))
    assert ("beta" in doc) == (model == "bn-full")


def test_without_order_params_only_eps_g_and_table_output():
    t0 = time.perf_counter()
    rc, out, _ = call(["simulate", *SMALL, "--json"])
    wall = time.perf_counter() - t0
    assert rc == 0
    doc = json.loads(out)
    assert set(doc) == {"model", "params", "seeds", "steps", "alpha", "eps_g", "elapsed_s"}
    assert 0 < doc["elapsed_s"] < wall                  # the SGD loop alone, inside the command's time
    rc, out, _ = call(["simulate", *SMALL])
    lines = out.splitlines()
    assert rc == 0 and lines[0].startswith("# symbn simulate vanilla (order") and len(lines) == 2 + 4
    tr = simulate("vanilla", 2, 3, N=30, steps=60, tau=1.5, eta=0.7, b=4, method="order", seeds=3, seed=11, every=20)
    assert np.allclose([float(x.split()[1]) for x in lines[2:]], tr.eps_g.mean(0), rtol=1e-5)


def test_save_init_round_trips_into_symbn_ode(tmp_path):
    path = tmp_path / "init.json"
    rc, out, _ = call(["simulate", "--model", "bn-exact", *SMALL, "--json", "--save-init", str(path),
                       "--init-index", "1"])
    assert rc == 0 and sorted(os.listdir(tmp_path)) == ["init.json"]   # no temporaries left
    state = initial.load(path)
    tr = simulate("bn-exact", 2, 3, N=30, steps=60, tau=1.5, eta=0.7, b=4, method="order", seeds=3, seed=11, every=20)
    assert np.allclose(state.Q, tr.initial["Q"][1], rtol=1e-15, atol=0)
    assert np.array_equal(state.R, tr.initial["R"][1]) and np.array_equal(state.T, tr.initial["T"][1])
    assert np.array_equal(state.g, [1.0, 1.0])
    assert json.loads(path.read_text()).keys() == {"Q", "R", "T", "g"}
    # the ODE reads it: its eps_g at t = 0 is the simulation's eps_g of that seed at step 0
    rc, out, _ = call(["ode", "--model", "bn-exact", "--init", str(path), "--tau", "1.5", "--eta", "0.7",
                       "--b", "4", "--times", "0,1", "--json"])
    assert rc == 0
    res = json.loads(out)
    assert np.isclose(res["eps_g"][0], json.loads(call(["simulate", "--model", "bn-exact", *SMALL, "--json"])[1])
                      ["eps_g"][1][0], rtol=1e-12)
    api = ode.integrate("bn-exact", init=tr.initial_state(1), tau=1.5, eta=0.7, b=4, times=[0, 1])
    assert np.allclose(res["eps_g"], api.eps_g, rtol=1e-12)


def test_save_init_vanilla_is_accepted_by_the_vanilla_ode(tmp_path):
    path = tmp_path / "v.json"
    assert call(["simulate", "--steps", "0", "--N", "50", "--K", "3", "--save-init", str(path)])[0] == 0
    assert initial.load(path).Q.shape == (3, 3)
    assert call(["ode", "--model", "vanilla", "--init", str(path), "--times", "0,1"])[0] == 0
    # seed index 0 of base seed 0 is symbn ode's own random start for --N 50 --seed 0
    ref = initial.random(3, 3, 50, seed=0)
    assert np.allclose(initial.load(path).Q, ref.Q, rtol=1e-14, atol=1e-15)


def test_out_file_is_written_atomically_and_equals_stdout(tmp_path):
    path = tmp_path / "run.json"
    rc, out, _ = call(["simulate", *SMALL, "--json", "--out", str(path)])
    assert rc == 0 and out == ""
    timeless = lambda text: {k: v for k, v in json.loads(text).items() if k != "elapsed_s"}  # noqa: E731
    assert timeless(path.read_text()) == timeless(call(["simulate", *SMALL, "--json"])[1])
    assert sorted(os.listdir(tmp_path)) == ["run.json"]


def test_interrupt_leaves_no_output(tmp_path, monkeypatch):
    from symbn.numeric.sgd import simulate as sim_mod

    (tmp_path / "init.json").write_text("old\n")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim_mod, "simulate", interrupted)
    rc, out, err = call(["simulate", *SMALL, "--json", "--out", str(tmp_path / "run.json"),
                         "--save-init", str(tmp_path / "init.json")])
    assert rc == 130 and out == "" and "interrupted" in err
    assert sorted(os.listdir(tmp_path)) == ["init.json"] and (tmp_path / "init.json").read_text() == "old\n"


@pytest.mark.parametrize("args,match", [
    (["--b", "0"], "b must be an integer >= 1"),
    (["--steps", "-1"], "steps must be an integer >= 0"),
    (["--N", "3", "--K", "2", "--method", "order"], "needs N >= K \\+ M"),
    (["--K", "0"], "K must be an integer >= 1"),
    (["--tau", "0"], "tau must be > 0"),
    (["--tau", "nan"], "tau must be finite"),
    (["--eta", "-1"], "eta must be > 0"),
    (["--seeds", "0"], "seeds must be an integer >= 1"),
    (["--every", "0"], "every must be an integer >= 1"),
    (["--seeds", "2", "--save-init", "x.json", "--init-index", "2"], "init-index must be < --seeds"),
    (["--model", "bn-full", "--b", "1"], "bn-full with the batch normaliser needs b >= 2"),
    (["--save-init", "/nonexistent-dir/x.json"], "cannot write"),
])
def test_bad_input_exits_2(args, match):
    rc, out, err = call(["simulate", "--N", "20", "--steps", "5", *args])
    assert rc == 2 and out == ""
    assert err.startswith("symbn simulate: error: ")
    assert __import__("re").search(match, err), err


@pytest.mark.parametrize("command,names", [
    ("simulate", "vanilla, bn-paper, bn-exact, bn-full"), ("ode", "vanilla, bn-paper, bn-exact"),
    ("escape", "vanilla, bn-paper, bn-exact"), ("spectrum", "vanilla, bn, bn-paper, bn-exact")])
def test_unknown_model_lists_the_valid_names(command, names):
    """One message from the registry, naming the choices of that entry point (exit 2)."""
    extra = ["--t", "1"] if command == "ode" else []
    rc, out, err = call([command, "--model", "bn-bogus", *extra])
    assert rc == 2 and out == ""
    assert err.strip() == f"symbn {command}: error: unknown model 'bn-bogus'; choose one of {names}"

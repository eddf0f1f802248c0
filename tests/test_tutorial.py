"""docs/tutorial.ipynb runs top to bottom in a fresh kernel, and the numbers it prints are the API's.

The notebook is committed without outputs; this test executes it with nbclient in ipykernel's
default ``python3`` kernel (installed with ipykernel by the ``test`` extra; jupyter_client starts
it with this interpreter), fails on any cell error, and reads the printed lines of the cells
tagged ``fixed-point``, ``spectrum``, ``ode-vs-simulation``, ``escape`` and ``escape-from-init``.
Printed values have 6 significant digits, hence rel = 1e-5 against the API. The escape-rate
factors are also checked against their closed forms (closure tau/u^2, Q0 = 1: 1/u, bn-paper from
Q = g = 1: 1/tau; u = K + (K-1) tau), computed here, not by symbn.
"""
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import symbn

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"
NUMBER = r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?"
# Appended to the executed copy only: which interpreter and which symbn the kernel used.
PROBE = "import json, sys, symbn; print(json.dumps({'python': sys.executable, 'symbn': symbn.__file__}))"


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    t0 = time.perf_counter()
    client.execute()          # raises CellExecutionError on the first failing cell
    nb.metadata["elapsed"] = time.perf_counter() - t0
    return nb


def cell(nb, tag):
    found = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(found) == 1, f"one cell tagged {tag!r} expected, found {len(found)}"
    return found[0]


def text(nb, tag):
    return "".join(o.get("text", "") for o in cell(nb, tag).outputs if o.output_type == "stream")


def has_png(nb, tag):
    return any("image/png" in o.get("data", {}) for o in cell(nb, tag).outputs)


def numbers(pattern, s):
    """Every match of ``pattern`` (NUMBER groups) in ``s`` as tuples of floats; at least one."""
    found = re.findall(pattern, s)
    assert found, f"{pattern!r} not in output:\n{s}"
    return [tuple(map(float, m)) if isinstance(m, tuple) else (float(m),) for m in found]


def test_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_kernel_is_this_environment(executed):
    probe = json.loads(executed.cells[-1].outputs[0]["text"])
    assert os.path.realpath(probe["python"]) == os.path.realpath(sys.executable)
    assert Path(probe["symbn"]).resolve() == Path(symbn.__file__).resolve()


def test_no_errors_and_figures(executed):
    for c in executed.cells:
        if c.cell_type == "code":
            assert not any(o.output_type == "error" for o in c.outputs)
            assert not any(o.output_type == "stream" and o.name == "stderr" for o in c.outputs), c.source
    assert has_png(executed, "spectrum") and has_png(executed, "ode-vs-simulation")


def test_fixed_point(executed):
    out = text(executed, "fixed-point")
    for model in ("vanilla", "bn"):
        line = next(s for s in out.splitlines() if s.startswith(model + " "))
        K, tau = numbers(rf"K = ({NUMBER}), tau = ({NUMBER})", line)[0]
        fp = symbn.fixed_point(model, int(K), tau=tau)
        printed = dict(re.findall(rf"\b([RSQCg])\* = ({NUMBER})", line))
        assert set(printed) == set(fp)
        for name, value in fp.items():
            assert float(printed[name]) == pytest.approx(float(value), rel=1e-5)
        eps = numbers(rf"eps_g\* = ({NUMBER})", line)[0][0]
        assert eps == pytest.approx(float(symbn.eps_g_star(model, int(K), tau=tau)), rel=1e-5)
    sym = cell(executed, "fixed-point-symbolic")
    latex = "".join(o.get("data", {}).get("text/latex", "") for o in sym.outputs)
    assert "g^*" in latex and "\\tau" in latex
    diffs = numbers(rf"max \|SymPy - numeric\| .*: ({NUMBER})", text(executed, "fixed-point-symbolic"))
    assert len(diffs) == 2 and all(d < 1e-12 for (d,) in diffs)


def test_spectrum(executed):
    out = text(executed, "spectrum")
    rows = numbers(rf"K = +(\d+): lambda_1 vanilla = ({NUMBER}), BN = ({NUMBER})", out)
    assert len(rows) == 2
    for K, lv, lb in rows:
        assert lv == pytest.approx(symbn.spectrum("vanilla", int(K), tau=1.0)[0], rel=1e-5)
        assert lb == pytest.approx(symbn.spectrum("bn", int(K), tau=1.0)[0], rel=1e-5)
        assert abs(lb) < abs(lv)
    assert "smaller at every K shown: True" in out


def test_ode_matches_simulation(executed):
    out = text(executed, "ode-vs-simulation")
    rows = numbers(rf"simulation ({NUMBER}), ODE ({NUMBER}), mean difference ({NUMBER}) \+- ({NUMBER})", out)
    assert len(rows) == 2
    for sim, ode, diff, se in rows:   # the criterion of tests/test_ode_vs_sim.py, N = 1000
        assert abs(diff) <= 4 * se + 5 * ode / 1000


def test_escape_rate_factor(executed):
    out = text(executed, "escape")
    K, tau, rate_v = numbers(rf"K = (\d+), tau = ({NUMBER}): vanilla escape rate ({NUMBER})", out)[0]
    K = int(K)
    assert rate_v == pytest.approx(symbn.escape_rate("vanilla", K, tau=tau), rel=1e-5)
    u = K + (K - 1) * tau
    expected = {"closure": tau / u**2, "Q0 = 1": 1 / u}
    rows = re.findall(rf"^(closure|Q0 = 1) .*?(bn-\w+) +rate ({NUMBER}): rate / vanilla = ({NUMBER}), "
                      rf"g\*\^2 / \(tau Q0\) = ({NUMBER})", out, flags=re.MULTILINE)
    assert len(rows) == 4
    for which, model, rate, ratio, factor in rows:
        Q0 = None if which == "closure" else 1.0
        assert float(rate) == pytest.approx(symbn.escape_rate(model, K, tau=tau, Q0=Q0), rel=1e-5)
        assert float(ratio) == pytest.approx(expected[which], rel=1e-5)
        assert float(factor) == pytest.approx(expected[which], rel=1e-5)
    init = dict(re.findall(rf"^(bn-\w+) +from Q = g = 1: .*rate / vanilla = ({NUMBER})",
                           text(executed, "escape-from-init"), flags=re.MULTILINE))
    assert float(init["bn-exact"]) == pytest.approx(1 / u, rel=1e-5)
    assert float(init["bn-paper"]) == pytest.approx(1 / tau, rel=1e-5)


def test_fast(executed):
    # issue 10: the notebook runs in CI in under a minute (measured ~13 s on the shared 2-core machine)
    assert executed.metadata["elapsed"] < 60

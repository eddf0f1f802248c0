"""symbn spectrum: Hessian eigenvalues of eps_g at the symmetric fixed point, over a grid of K and tau.

``--K`` and ``--tau`` take a value, a comma list, a range ``a:b`` (step 1),
``a:b:step``, ``a:b:linN`` or a log range ``a:b:logN`` (see symbn.numeric.grid);
every pair (K, tau) is evaluated, K-major. Output: a readable table (default),
``--json`` (a list of objects with keys K, tau, eigenvalues (ascending),
fixed_point, eps_g; floats printed with repr, so they round-trip exactly) or
``--csv``.
"""
from __future__ import annotations

import csv
import json
import sys

def register(sub):
    from symbn import models

    s = sub.add_parser("spectrum", help="Hessian spectrum of eps_g at the symmetric fixed point",
                       description=__doc__.split("\n\n", 1)[1],
                       formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    s.add_argument("--model", default="vanilla",
                   help=f"one of {', '.join(models.names('forward'))} (default vanilla; bn-paper and bn-exact "
                        "share bn's forward map, hence its spectrum)")
    s.add_argument("--K", default="2", help="student = teacher width: 2, 1,2,5, 1:50, 1:1000:log10 (default 2)")
    s.add_argument("--tau", default="1", help="input variance: 1, 0.1,1,10, 1e-3:1e3:log25 (default 1)")
    fmt = s.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON list of objects")
    fmt.add_argument("--csv", action="store_true", help="CSV with one row per (K, tau)")
    s.set_defaults(func=run)


def table(model, K, tau):
    """Everything the command prints, as columns: dict of 1-D arrays (K, tau, lambda1..4, fixed point, eps_g)."""
    from symbn.numeric import grid
    from symbn.numeric.symmetric import closed_form as sym

    k, t = grid.mesh(grid.parse("K", K, integer=True), grid.parse("tau", tau))
    eig = sym.spectrum(model, k, tau=t)    # validates the model, K >= 1 and tau > 0
    cols = {"K": k, "tau": t}
    cols.update({f"lambda{i + 1}": eig[:, i] for i in range(eig.shape[-1])})
    cols.update(sym.fixed_point(model, k, tau=t))
    cols["eps_g"] = sym.eps_g_star(model, k, tau=t)
    return cols


def rows(model, K, tau):
    """The JSON objects: [{K, tau, eigenvalues, fixed_point, eps_g}, ...]."""
    from symbn.numeric.symmetric import closed_form as sym

    cols = table(model, K, tau)
    names = [n for n in cols if n.startswith("lambda")]
    state = [n for n in cols if n not in names and n not in ("K", "tau", "eps_g")]
    assert set(state) == set(sym.family(model).STATE)
    return [{"K": int(cols["K"][n]), "tau": float(cols["tau"][n]),
             "eigenvalues": [float(cols[c][n]) for c in names],
             "fixed_point": {s: float(cols[s][n]) for s in state},
             "eps_g": float(cols["eps_g"][n])}
            for n in range(cols["K"].size)]


def run(args):
    out = sys.stdout
    if args.json:
        json.dump(rows(args.model, args.K, args.tau), out, indent=1)
        out.write("\n")
        return 0
    cols = table(args.model, args.K, args.tau)
    if args.csv:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(list(cols))
        for n in range(cols["K"].size):
            w.writerow([int(cols["K"][n])] + [repr(float(v[n])) for c, v in cols.items() if c != "K"])
        return 0
    for r in rows(args.model, args.K, args.tau):
        fps = ", ".join(f"{k}*={v:.10g}" for k, v in r["fixed_point"].items())
        out.write(f"{args.model} K={r['K']} tau={r['tau']:g}: {fps}; eps_g*={r['eps_g']:.10g}\n")
        out.write("  Hessian eigenvalues (ascending): " + ", ".join(f"{e:.10g}" for e in r["eigenvalues"]) + "\n")
    return 0

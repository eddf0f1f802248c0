"""symbn learning-rate: the largest stable learning rate and the fastest plateau escape.

For each (K, tau): ``eta_max``, the largest eta at which the perfect solution is linearly
stable (the largest learning rate that still converges; exactly proportional to b), and
``eta_best_escape``, the learning rate below eta_max with the fastest escape from the finite-eta
plateau, with its ``escape_rate_best`` (specialization mode, per unit t). Vanilla only: batch norm
has no eta_max (scale invariance; the output says so). ``--K`` and ``--tau`` take grids as in
``symbn spectrum``.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(sub):
    from symbn import models

    s = sub.add_parser("learning-rate", help="largest stable learning rate and fastest plateau escape",
                       description=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--model", default="vanilla", help=f"one of {', '.join(models.names('ode'))} (default vanilla)")
    s.add_argument("--K", default="2", help="student = teacher width (grid, default 2)")
    s.add_argument("--tau", default="1", help="input variance (grid, default 1)")
    s.add_argument("--b", type=float, default=1.0, help="mini-batch size (default 1)")
    s.add_argument("--json", action="store_true", help="JSON list of objects")
    s.set_defaults(func=run)


def run(args):
    from symbn.numeric.analysis import learning_rate

    rows = learning_rate.learning_rate_rows(args.model, args.K, args.tau, args.b)
    out = sys.stdout
    if args.json:
        json.dump(rows, out, indent=1)
        out.write("\n")
        return 0
    fmt = lambda v: "-" if v is None else f"{v:.8g}"  # noqa: E731
    for r in rows:
        out.write(f"{r['model']} K={r['K']} tau={r['tau']:g} b={r['b']:g}: eta_max {fmt(r['eta_max'])}, "
                  f"eta_best_escape {fmt(r['eta_best_escape'])}, escape_rate_best {fmt(r['escape_rate_best'])}"
                  + (f"\n  {r['note']}" if "note" in r else "") + "\n")
    return 0

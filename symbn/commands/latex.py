"""symbn latex WHAT --model M [--entry E]: the LaTeX of one symbolic object, as one align* block.

WHAT is hessian, rhs, fixed-point, eps-g or jacobian (Python: symbn.symbolic.latex_block).
The block, after one % comment line naming the object, compiles inside a minimal
\\documentclass{article} with \\usepackage{amsmath}; long sums continue on further rows as in
generated/*.tex, and a page may break between equations. --entry R,S prints one matrix entry
(hessian, jacobian: row and column by state name); --entry Q one state's equations (rhs,
fixed-point).
"""
from __future__ import annotations

import argparse
import sys

from symbn import models


def register(sub):
    s = sub.add_parser("latex", help="print the LaTeX of one symbolic object (an align* block)",
                       description=__doc__.split("\n\n", 1)[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("what", metavar="WHAT", help="hessian, rhs, fixed-point, eps-g or jacobian")
    s.add_argument("--model", required=True,
                   help=f"{', '.join(models.names('forward'))} (hessian, fixed-point, eps-g); "
                        f"{', '.join(models.names('ode'))} (rhs, jacobian)")
    s.add_argument("--learn-w", action="store_true",
                   help="the symmetric phase with a learned second layer (state adds w; teacher v = 1)")
    s.add_argument("--entry", default=None,
                   help="ROW,COLUMN for hessian and jacobian (e.g. R,S); one state name for rhs "
                        "and fixed-point (e.g. Q)")
    s.set_defaults(func=run)


def run(args):
    from symbn.symbolic import api

    sys.stdout.write(api.latex_block(args.what, args.model, args.entry, learn_w=args.learn_w))
    return 0

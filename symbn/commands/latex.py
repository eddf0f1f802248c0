"""symbn latex WHAT --model M [--entry E]: the LaTeX of one symbolic object, as one align* block.

WHAT is hessian, rhs, fixed-point, eps-g or jacobian (``symbn.symbolic.latex_block``). The
block compiles inside ``\\documentclass{article}\\usepackage{amsmath}``; long sums break
across rows as in generated/*.tex. ``--entry R,S`` picks one matrix entry (hessian,
jacobian: row, column by state name), ``--entry Q`` one state's equation (rhs, fixed-point).
"""
from __future__ import annotations

import sys


def register(sub):
    s = sub.add_parser("latex", help="print the LaTeX of one symbolic object (an align* block)",
                       description=__doc__.split("\n\n", 1)[1],
                       formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    s.add_argument("what", metavar="WHAT", help="hessian, rhs, fixed-point, eps-g or jacobian")
    s.add_argument("--model", required=True,
                   help="vanilla, bn, bn-paper, bn-exact (hessian, fixed-point, eps-g); "
                        "vanilla, bn-paper, bn-exact (rhs, jacobian)")
    s.add_argument("--entry", default=None,
                   help="ROW,COLUMN for hessian and jacobian (e.g. R,S); one state name for rhs "
                        "and fixed-point (e.g. Q)")
    s.set_defaults(func=run)


def run(args):
    from symbn.symbolic import api

    sys.stdout.write(api.latex_block(args.what, args.model, args.entry))
    return 0

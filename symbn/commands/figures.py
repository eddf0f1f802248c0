"""symbn figures: write the paper's figures (PNG, PDF and the plotted data as CSV) into a directory."""
from __future__ import annotations

import os
import sys


def register(sub):
    s = sub.add_parser("figures", help="write figures (PNG + PDF + CSV data) into a directory",
                       description=__doc__)
    s.add_argument("--out", default="figures", help="output directory (created if missing; default ./figures)")
    s.add_argument("--only", default=None, help="comma list of figure names (default: all; see --list)")
    s.add_argument("--list", action="store_true", help="list the figures and exit")
    s.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the figures' jobs on the dask.distributed scheduler at ADDRESS (sets SYMBN_DASK; "
                        "default: local processes)")
    s.set_defaults(func=run)


def run(args):
    from symbn import figures

    if args.list:
        for name, (_, description) in figures.FIGURES.items():
            print(f"{name}: {description}")
        return 0
    if args.dask:
        os.environ["SYMBN_DASK"] = args.dask        # read by the one job runner, symbn.numeric.jobs
    names = None if args.only is None else [n.strip() for n in args.only.split(",") if n.strip()]
    for name, paths in figures.build(args.out, names).items():
        print(f"{name}: " + ", ".join(str(p) for p in paths), file=sys.stdout)
    return 0

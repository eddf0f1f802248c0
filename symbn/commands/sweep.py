"""symbn sweep ode|simulate: one ODE integration or SGD run per grid point, into a tidy table (CSV or Parquet).

Every parameter flag takes a list or range ('--K 2:5', '--eta 0.5,1,2', '--tau 0.1:10:log5';
the grid syntax of 'symbn spectrum'); the sweep is their Cartesian product. '--seeds 4' means
seed indices 0..3 (as in 'symbn simulate'), '--seeds 3:7' or '--seeds 0,5' lists them; an
ODE job starts from its seed's random start, the initial state of the simulation with that seed.
One row per job: the parameters (model, K, M, tau, eta, b, activation, eta_w, noise,
weight_decay, seed, then the fixed settings), eps_g at the end, exit_alpha (plateau exit: eps_g
below half the plateau height; inf if not in the run, empty where undefined: K != M, a learned
second layer, linear activation) and elapsed_s (wall time of the integration or SGD loop alone).
Rows are appended as jobs finish (a .parquet table: into FILE.parquet.rows.csv, turned into the
Parquet file when the sweep is done; pip install 'symbn[parquet]'); an interrupted sweep keeps them
and --resume skips their jobs.
Jobs run in local processes (--workers, default the CPU count) or on a dask.distributed cluster
(--dask tcp://host:port; pip install 'symbn[dask]', symbn installed on the workers).
"""
from __future__ import annotations

import argparse
import sys


def register(sub):
    from symbn import defaults, models

    d = defaults.SWEEP
    s = sub.add_parser("sweep", help="parameter sweeps of ODEs or simulations into a CSV or Parquet table (local or dask)",
                       description=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("kind", choices=("ode", "simulate"), help="integrate the ODE or simulate SGD")
    s.add_argument("--model", default="vanilla", help=f"comma list of {', '.join(models.names('simulate'))} "
                                                      "(ode: not bn-full; default vanilla)")
    s.add_argument("--K", default="2", help="student widths (grid, default 2)")
    s.add_argument("--M", default=None, help="teacher widths (grid, default K)")
    for name, help_ in (("tau", "input variances"), ("eta", "learning rates (times N)"), ("b", "mini-batch sizes"),
                        ("eta-w", "second-layer learning rates (0: fixed)"), ("noise", "output noise sigmas"),
                        ("weight-decay", "weight decays kappa")):
        default = d[name.replace("-", "_")]
        s.add_argument(f"--{name}", default=f"{default:g}", help=f"{help_} (grid, default {default:g})")
    s.add_argument("--activation", default=d["activation"], help=f"comma list of {', '.join(models.ACTIVATIONS)} "
                                                                 f"(default {d['activation']})")
    s.add_argument("--seeds", default=str(d["seeds"]), help=f"a count n (indices 0..n-1) or a grid of indices "
                                                            f"such as 3:7 or 0,5 (default {d['seeds']})")
    s.add_argument("--seed", type=int, default=d["base"], help=f"base seed (default {d['base']})")
    s.add_argument("--N", type=int, default=d["N"], help=f"input dimension (default {d['N']})")
    s.add_argument("--t", type=float, default=d["t"], help=f"ode: final alpha (default {d['t']:g})")
    s.add_argument("--points", type=int, default=d["points"], help=f"ode: output times (default {d['points']})")
    s.add_argument("--steps", type=int, default=d["steps"], help=f"simulate: SGD steps (default {d['steps']})")
    s.add_argument("--method", default=d["method"], choices=defaults.SIMULATION_METHODS,
                   help=f"simulate: exact order sampler or direct (default {d['method']})")
    s.add_argument("--normalizer", default=d["normalizer"], choices=defaults.NORMALIZERS,
                   help=f"simulate: BN statistics (default {d['normalizer']})")
    s.add_argument("--out", required=True, metavar="FILE.csv|FILE.parquet",
                   help="the table (created; see --resume)")
    s.add_argument("--resume", action="store_true", help="keep the rows already in --out and skip their jobs")
    s.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU count)")
    s.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the jobs on the dask.distributed scheduler at ADDRESS (e.g. tcp://host:8786)")
    s.set_defaults(func=run)


def _seeds(spec):
    from symbn.numeric import grid

    from symbn import validate

    values = grid.parse("seeds", spec, integer=True)
    if "," not in spec and ":" not in spec:          # a count, as in `symbn simulate --seeds`
        return list(range(validate.count("seeds", int(values[0]))))
    return [int(v) for v in values]


def run(args):
    import time

    from symbn.numeric import grid

    from symbn.numeric.runs import sweep

    lists = lambda text: [x.strip() for x in text.split(",") if x.strip()]  # noqa: E731
    axes = dict(model=lists(args.model), activation=lists(args.activation),
                K=[int(k) for k in grid.parse("K", args.K, integer=True)],
                M=[None] if args.M is None else [int(m) for m in grid.parse("M", args.M, integer=True)],
                seed=_seeds(args.seeds))
    for name in ("tau", "eta", "b", "eta_w", "noise", "weight_decay"):
        axes[name] = grid.parse(name, getattr(args, name)).tolist()
    settings = dict(N=args.N, base=args.seed)
    settings.update(dict(t=args.t, points=args.points) if args.kind == "ode" else
                    dict(steps=args.steps, method=args.method, normalizer=args.normalizer))
    axes = sweep.check(args.kind, axes, settings)
    jobs = sweep.grid(axes, settings)
    t0 = time.perf_counter()
    ran, skipped = sweep.run(args.kind, jobs, args.out, resume=args.resume, workers=args.workers,
                             scheduler=args.dask)
    print(f"symbn sweep {args.kind}: {ran} jobs in {time.perf_counter() - t0:.1f} s"
          + (f" ({skipped} already in the table)" if skipped else "") + f" -> {args.out}", file=sys.stderr)
    return 0

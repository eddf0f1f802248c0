"""symbn simulate: online SGD of a two-layer network (exact order sampler or direct N-dimensional)."""
from __future__ import annotations

import json
import math
import sys
import warnings


def register(sub):
    from symbn import defaults, models
    from symbn.commands import network

    d = defaults.SIMULATE
    s = sub.add_parser(
        "simulate", help="simulate online SGD (vanilla, bn-paper, bn-exact, bn-full) over many seeds",
        description="Run online mini-batch SGD from the paper's random start (weights N(0, 1/N), g = 1) for "
                    "--seeds seeds and print eps_g (population error from the order parameters) at "
                    "alpha = steps/N = 0, every/N, 2 every/N, ..., steps/N. --method order uses the exact "
                    "order-parameter sampler (same distribution as --method direct, cost per step independent "
                    "of N). With --json: {model, params, alpha, seeds, steps, eps_g[seed][time]} and, with "
                    "--order-params, Q, R, T, g (leading axes seed, time). Seed k of base --seed starts from "
                    "the same state as `symbn ode --N N --seed SEED` (k = 0) and does not depend on the "
                    "other seeds run with it. Defaults are those of symbn.simulate().")
    s.add_argument("--model", default="vanilla", help=f"one of {', '.join(models.names('simulate'))} (default vanilla)")
    s.add_argument("--method", default=d["method"], choices=defaults.SIMULATION_METHODS,
                   help=f"exact order-parameter sampler or direct N-dimensional simulation (default {d['method']})")
    s.add_argument("--normalizer", default=d["normalizer"], choices=defaults.NORMALIZERS,
                   help=f"BN statistics: mini-batch sd, or the large-b limit sqrt(tau Q_ii) (default {d['normalizer']})")
    s.add_argument("--N", type=int, default=d["N"], help=f"input dimension (default {d['N']})")
    s.add_argument("--K", type=int, default=2, help="student width (default 2)")
    s.add_argument("--M", type=int, default=None, help="teacher width (default K)")
    s.add_argument("--tau", type=float, default=d["tau"], help=f"input variance sigma^2 (default {d['tau']:g})")
    s.add_argument("--eta", type=float, default=d["eta"], help=f"learning rate times N (default {d['eta']:g})")
    s.add_argument("--b", type=int, default=d["b"], help=f"mini-batch size (default {d['b']})")
    s.add_argument("--steps", type=int, default=d["steps"], help=f"SGD steps (default {d['steps']})")
    s.add_argument("--seeds", type=int, default=d["seeds"], help=f"number of seeds, indices 0..seeds-1 (default {d['seeds']})")
    s.add_argument("--seed", type=int, default=d["seed"], help=f"base seed (default {d['seed']})")
    network.add_arguments(s)
    s.add_argument("--every", type=int, default=None, help="record every this many steps (default steps/100)")
    s.add_argument("--test-size", type=int, default=0,
                   help="also record a test-set eps_g on this many fresh inputs (eps_test)")
    s.add_argument("--order-params", action="store_true", help="with --json also print Q, R, T, g (and w when it learns)")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.add_argument("--out", metavar="FILE", default=None, help="write the output to FILE (atomically) instead of stdout")
    s.add_argument("--save-init", metavar="FILE", default=None,
                   help="write the initial Q, R, T, g (w, v) of one seed as JSON for `symbn ode --init FILE`")
    s.add_argument("--init-index", type=int, default=0,
                   help="which seed index --save-init writes (default 0)")
    s.add_argument("--progress", action="store_true", help="progress bar on stderr")
    s.set_defaults(func=run)


def table(tr):
    """Text: one line per recorded time with alpha and the seed quantiles of eps_g."""
    import numpy as np

    p = tr.params
    lines = [f"# symbn simulate {tr.model} ({p['method']}, normalizer {p['normalizer']}) N={p['N']} K={tr.K} "
             f"M={tr.M} tau={p['tau']:g} eta={p['eta']:g} b={p['b']} seeds={len(tr.seeds)} base seed={p['seed']} "
             f"({tr.elapsed:.2f} s)",
             f"{'alpha':>12s}  {'mean':>12s}  {'q10':>12s}  {'median':>12s}  {'q90':>12s}"]
    q = np.quantile(tr.eps_g, [0.1, 0.5, 0.9], axis=0)
    for j, a in enumerate(tr.alpha):
        lines.append(f"{a:12.6g}  {tr.eps_g[:, j].mean():12.6g}  {q[0, j]:12.6g}  {q[1, j]:12.6g}  {q[2, j]:12.6g}")
    return "\n".join(lines) + "\n"


def init_state(tr, position):
    """The InitialState (Q, R, T, g; validated) of seed position ``position`` of ``tr``."""
    from symbn.numeric.ode import initial

    d = tr.initial_state(position)
    d.pop("beta", None)  # bn-full: beta starts at 0 and the ODE has no bias
    return initial.from_dict(d)


def _write(path, text):
    from symbn.errors import ParameterError
    from symbn.files import write_atomic

    try:
        write_atomic(path, text)
    except OSError as e:
        raise ParameterError(f"cannot write {str(path)!r}: {e.strerror or e}") from None


def run(args):
    from symbn import models, validate
    from symbn.commands import network
    from symbn.errors import ParameterError
    from symbn.numeric.sgd.simulate import simulate

    m = models.get(args.model, "simulate")
    seeds = validate.count("seeds", args.seeds)
    every = None if args.every is None else validate.count("every", args.every)
    index = validate.count("init-index", args.init_index, low=0)
    if args.save_init is not None and index >= seeds:
        raise ParameterError(f"--init-index must be < --seeds = {seeds}, got {index}")
    for name in ("tau", "eta"):
        if not math.isfinite(getattr(args, name)):
            raise ParameterError(f"{name} must be finite, got {getattr(args, name)!r}")
    with warnings.catch_warnings(record=True) as caught:      # a note on stderr, not a Python warning
        warnings.simplefilter("always")
        tr = simulate(m.name, args.K, args.M, N=args.N, steps=args.steps, tau=args.tau, eta=args.eta, b=args.b,
                      normalizer=args.normalizer, method=args.method, seeds=seeds, seed=args.seed,
                      every=every, test_size=args.test_size, progress=args.progress, **network.kwargs(args))
    for w in caught:
        print(f"symbn simulate: note: {w.message}", file=sys.stderr)
    # Everything is rendered in memory first: an interrupt before this point writes nothing,
    # and files are replaced atomically.
    text = (json.dumps(tr.to_json(args.order_params)) + "\n") if args.json else table(tr)
    if args.save_init is not None:
        _write(args.save_init, json.dumps(init_state(tr, index).to_dict(), indent=1) + "\n")
    if args.out is not None:
        _write(args.out, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0

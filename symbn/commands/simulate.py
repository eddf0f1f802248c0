"""symbn simulate: online SGD of a soft committee machine (direct N-dimensional or exact order sampler)."""
from __future__ import annotations

import json
import math
import sys


def register(sub):
    s = sub.add_parser(
        "simulate", help="simulate online SGD (vanilla, bn-paper, bn-exact, bn-full) over many seeds",
        description="Run online mini-batch SGD from the paper's random start (weights N(0, 1/N), g = 1) for "
                    "--seeds seeds and print eps_g (population error from the order parameters) at "
                    "alpha = steps/N = 0, every/N, 2 every/N, ..., steps/N. --method order uses the exact "
                    "order-parameter sampler (same distribution as --method direct, cost per step independent "
                    "of N). With --json: {params, alpha, steps, seeds, eps_g[seed][time]} and, with "
                    "--order-params, Q, R, T, g (leading axes seed, time). Seed k of base --seed starts from "
                    "the same state as `symbn ode --N N --seed SEED` (k = 0) and does not depend on the "
                    "other seeds run with it.")
    s.add_argument("--model", default="vanilla", choices=("vanilla", "bn-paper", "bn-exact", "bn-full"))
    s.add_argument("--method", default="order", choices=("direct", "order"),
                   help="direct N-dimensional simulation or the exact order-parameter sampler (default)")
    s.add_argument("--normalizer", default="batch", choices=("batch", "population"),
                   help="BN statistics: mini-batch sd, or the large-b limit sqrt(tau Q_ii) (default batch)")
    s.add_argument("--N", type=int, default=100, help="input dimension (default 100)")
    s.add_argument("--K", type=int, default=2, help="student width (default 2)")
    s.add_argument("--M", type=int, default=None, help="teacher width (default K)")
    s.add_argument("--tau", type=float, default=1.0, help="input variance sigma^2 (default 1)")
    s.add_argument("--eta", type=float, default=1.0, help="learning rate times N (default 1)")
    s.add_argument("--b", type=int, default=1, help="mini-batch size (default 1)")
    s.add_argument("--steps", type=int, default=1000, help="SGD steps (default 1000)")
    s.add_argument("--seeds", type=int, default=1, help="number of seeds, indices 0..seeds-1 (default 1)")
    s.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    s.add_argument("--every", type=int, default=None, help="record every this many steps (default steps/100)")
    s.add_argument("--test-size", type=int, default=0,
                   help="also record a test-set eps_g on this many fresh inputs (eps_test)")
    s.add_argument("--order-params", action="store_true", help="with --json also print Q, R, T, g")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.add_argument("--out", metavar="FILE", default=None, help="write the output to FILE (atomically) instead of stdout")
    s.add_argument("--save-init", metavar="FILE", default=None,
                   help="write the initial Q, R, T, g of one seed as JSON for `symbn ode --init FILE`")
    s.add_argument("--init-index", type=int, default=0,
                   help="which seed index --save-init writes (default 0)")
    s.add_argument("--progress", action="store_true", help="progress bar on stderr")
    s.set_defaults(func=run)


def _finite_lists(a):
    """Nested lists of floats with NaN/inf as None (valid JSON)."""
    import numpy as np

    a = np.asarray(a, dtype=float)
    if np.all(np.isfinite(a)):
        return a.tolist()
    return np.where(np.isfinite(a), a, None).tolist()


def to_json(tr, order_params=False):
    """The JSON document of a :class:`~symbn.numeric.simulate.Trajectory` (leading axes seed, time)."""
    doc = {"params": {"model": tr.model, "method": tr.method, "normalizer": tr.normalizer, "N": tr.N,
                      "K": tr.K, "M": tr.M, "tau": tr.tau, "eta": tr.eta, "b": tr.b, "seed": tr.seed,
                      "steps": int(tr.steps[-1])},
           "seeds": [int(k) for k in tr.seeds],
           "steps": [int(s) for s in tr.steps],
           "alpha": tr.alpha.tolist(),
           "eps_g": _finite_lists(tr.eps_g)}
    if tr.eps_test is not None:
        doc["eps_test"] = _finite_lists(tr.eps_test)
    if order_params:
        for k in ("Q", "R", "T", "g"):
            doc[k] = _finite_lists(getattr(tr, k))
        if tr.model == "bn-full":
            doc["beta"] = _finite_lists(tr.beta)
    return doc


def table(tr):
    """Text: one line per recorded time with alpha and the seed quantiles of eps_g."""
    import numpy as np

    lines = [f"# symbn simulate {tr.model} ({tr.method}, normalizer {tr.normalizer}) N={tr.N} K={tr.K} "
             f"M={tr.M} tau={tr.tau:g} eta={tr.eta:g} b={tr.b} seeds={len(tr.seeds)} base seed={tr.seed} "
             f"({tr.elapsed:.2f} s)",
             f"{'alpha':>12s}  {'mean':>12s}  {'q10':>12s}  {'median':>12s}  {'q90':>12s}"]
    q = np.quantile(tr.eps_g, [0.1, 0.5, 0.9], axis=0)
    for j, a in enumerate(tr.alpha):
        lines.append(f"{a:12.6g}  {tr.eps_g[:, j].mean():12.6g}  {q[0, j]:12.6g}  {q[1, j]:12.6g}  {q[2, j]:12.6g}")
    return "\n".join(lines) + "\n"


def init_state(tr, position):
    """The InitialState (Q, R, T, g; validated) of seed position ``position`` of ``tr``."""
    from symbn.numeric import initial

    d = tr.init_dict(position)
    d.pop("beta", None)  # bn-full: beta starts at 0 and the ODE has no bias
    return initial.from_dict(d)


def _write(write_atomic, path, text):
    from symbn.validate import ParameterError

    try:
        write_atomic(path, text.encode())
    except OSError as e:
        raise ParameterError(f"cannot write {str(path)!r}: {e.strerror or e}") from None


def run(args):
    from symbn.numeric.figures import write_atomic
    from symbn.numeric.simulate import simulate
    from symbn.validate import ParameterError, count

    M = args.K if args.M is None else args.M
    seeds = count("seeds", args.seeds)
    every = None if args.every is None else count("every", args.every)
    index = count("init-index", args.init_index, low=0)
    if args.save_init is not None and index >= seeds:
        raise ParameterError(f"--init-index must be < --seeds = {seeds}, got {index}")
    for name in ("tau", "eta"):
        if not math.isfinite(getattr(args, name)):
            raise ParameterError(f"{name} must be finite, got {getattr(args, name)!r}")
    if args.model in ("bn-paper", "bn-exact") and args.normalizer == "batch" and args.b == 1:
        print("symbn simulate: note: batch statistics of one sample make h_i = g_i sign(x_i); J does not "
              "learn (use --b > 1 or --normalizer population)", file=sys.stderr)
    tr = simulate(args.model, args.N, args.K, M, args.steps, tau=args.tau, eta=args.eta, b=args.b,
                  normalizer=args.normalizer, method=args.method, seeds=seeds, seed=args.seed,
                  every=every, test_size=args.test_size, progress=args.progress)
    # Everything is rendered in memory first: an interrupt before this point writes nothing,
    # and files are replaced atomically.
    text = (json.dumps(to_json(tr, args.order_params)) + "\n") if args.json else table(tr)
    if args.save_init is not None:
        state = init_state(tr, index)
        _write(write_atomic, args.save_init, json.dumps(state.to_dict(), indent=1) + "\n")
    if args.out is not None:
        _write(write_atomic, args.out, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0

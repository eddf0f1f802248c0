"""symbn ode: integrate the order-parameter ODEs (full, any K, M; or reduced symmetric)."""
from __future__ import annotations

import json
import sys


def _times(text):
    import argparse

    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--times must be comma-separated numbers, got {text!r}") from None


def register(sub):
    from symbn import defaults, models
    from symbn.commands import network

    d = defaults.ODE
    s = sub.add_parser("ode", help="integrate the order-parameter ODEs (vanilla, bn-paper, bn-exact)",
                       description="Integrate the order-parameter ODEs from 0 to --t and print eps_g "
                                   "(and with --json also Q, R, T, g and, when the second layer learns, w) at --times. Initial state: --init FILE "
                                   "(JSON with keys Q, R[, T, g, w, v]: w and v the student's and teacher's second layers, default ones), or a symmetric start --near-fixed-point DELTA "
                                   "(R_ii = R* + DELTA, K = M, T = I), or else the paper's random start "
                                   "(weights N(0, 1/N), g = 1) for --N and --seed, identical to "
                                   "`symbn simulate`'s initial state for that seed.")
    s.add_argument("--model", default="vanilla", help=f"one of {', '.join(models.names('ode'))} (default vanilla)")
    s.add_argument("--K", type=int, default=None, help="student width (default 2, or from --init)")
    s.add_argument("--M", type=int, default=None, help="teacher width (default K, or from --init)")
    s.add_argument("--tau", type=float, default=d["tau"], help=f"input variance sigma^2 (default {d['tau']:g})")
    s.add_argument("--eta", type=float, default=d["eta"], help=f"learning rate (times N) (default {d['eta']:g})")
    s.add_argument("--b", type=float, default=d["b"], help=f"mini-batch size, enters eta^2 tau / b (default {d['b']})")
    s.add_argument("--t", type=float, default=None, help="final time (default: last of --times)")
    s.add_argument("--times", type=_times, default=None,
                   help="comma-separated output times in [0, t] (default: 0, t/10, ..., t)")
    start = s.add_mutually_exclusive_group()
    start.add_argument("--init", metavar="FILE", help="JSON initial state with keys Q, R[, T, g, w, v]")
    start.add_argument("--near-fixed-point", type=float, metavar="DELTA", default=None,
                       help="symmetric start at the fixed point with R_ii += DELTA (K = M, T = I)")
    s.add_argument("--N", type=int, default=d["N"], help=f"input dimension for the random start (default {d['N']})")
    s.add_argument("--seed", type=int, default=d["seed"], help=f"seed for the random start (default {d['seed']})")
    network.add_arguments(s)
    s.add_argument("--reduced", action="store_true",
                   help="integrate the reduced symmetric ODE (needs --near-fixed-point)")
    s.add_argument("--method", default=d["method"], help=f"solve_ivp method (default {d['method']})")
    s.add_argument("--rtol", type=float, default=d["rtol"], help=f"relative tolerance (default {d['rtol']:g})")
    s.add_argument("--atol", type=float, default=d["atol"], help=f"absolute tolerance (default {d['atol']:g})")
    s.add_argument("--json", action="store_true",
                   help="print JSON {model, params, alpha, t, eps_g, Q, R, T, g} (reduced: R, S, Q, C[, g])")
    s.set_defaults(func=run)


def run(args):
    import numpy as np

    from symbn import defaults, models
    from symbn.commands import network
    from symbn.errors import ParameterError
    from symbn.numeric.ode import initial
    from symbn.numeric.ode import full as ode
    from symbn.numeric.ode import solver as odesolve
    from symbn.numeric.ode import reduced

    models.get(args.model, "ode")
    if args.t is None and args.times is None:
        raise ParameterError("give --t or --times")
    times = (np.linspace(0.0, args.t, 11) if args.times is None and args.t > 0 else args.times)
    solver = dict(method=args.method, rtol=args.rtol, atol=args.atol)
    common = dict(tau=args.tau, eta=args.eta, b=args.b, t_max=args.t, times=times, **solver)
    net = network.kwargs(args)
    try:
        if args.reduced:
            if args.near_fixed_point is None:
                raise ParameterError("--reduced needs --near-fixed-point DELTA")
            if args.M is not None and args.M != (args.K or 2):
                raise ParameterError("--reduced needs M = K")
            if net != defaults.NETWORK:
                raise ParameterError("--reduced integrates the soft committee machine (erf, fixed second "
                                     "layers, no noise, no weight decay); drop the network flags")
            tr = reduced.integrate_reduced(args.model, args.K or 2, init=args.near_fixed_point, **common)
        else:
            if args.init is not None:
                init = initial.load(args.init)
            elif args.near_fixed_point is not None:
                K = args.K or 2
                if args.M is not None and args.M != K:
                    raise ParameterError("--near-fixed-point needs M = K")
                init = initial.near_fixed_point(args.model, K, args.tau, args.near_fixed_point)
            else:
                K = args.K or 2
                init = initial.random(K, args.M or K, args.N, args.seed)
            tr = ode.integrate(args.model, args.K, args.M, init=init, **common, **net)
    except odesolve.ODEError as e:
        print(f"symbn ode: error: {e}", file=sys.stderr)
        return 1
    if args.json:
        json.dump(tr.to_json(), sys.stdout)
        print()
        return 0
    what = "reduced" if args.reduced else f"K={tr.K} M={tr.M}"
    print(f"# symbn ode {tr.model} {what} tau={args.tau:g} eta={args.eta:g} b={args.b:g} "
          f"({solver['method']}, rtol={solver['rtol']:g}, atol={solver['atol']:g}; {tr.nfev} RHS evaluations)")
    print(f"{'t':>12s}  {'eps_g':>20s}")
    for t, e in zip(tr.alpha, tr.eps_g):
        print(f"{t:12.6g}  {e:20.14g}")
    return 0

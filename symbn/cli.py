"""The ``symbn`` command: one entry point, one subcommand per task."""
from __future__ import annotations

import argparse
import json
import sys
import time


def _derive(args):
    from symbn import derive

    t0 = time.perf_counter()
    out = derive.generated_dir() if args.out is None else __import__("pathlib").Path(args.out)
    files = derive.artifacts()
    if args.check:
        d = derive.diff(out, files)
        if d:
            sys.stdout.write(d)
            print(f"generated/ differs from what derivations/ writes now ({out}); "
                  "run `symbn derive` to update.", file=sys.stderr)
            return 1
        print(f"generated/ is up to date ({len(files)} files, {time.perf_counter() - t0:.1f} s)")
        return 0
    changed = derive.write(out, files)
    print(f"wrote {len(changed)} of {len(files)} files to {out} "
          f"({', '.join(changed) or 'none changed'}) in {time.perf_counter() - t0:.1f} s")
    return 0


def _spectrum(args):
    import numpy as np

    from symbn.numeric import symmetric as sym

    K, tau = np.broadcast_arrays(np.atleast_1d(args.K), np.atleast_1d(args.tau))
    fp = sym.fixed_point(args.model, K, tau)
    eig = sym.spectrum(args.model, K, tau)
    eps = sym.eps_g_star(args.model, K, tau)
    rows = [{"K": int(K[n]), "tau": float(tau[n]), "eigenvalues": eig[n].tolist(),
             "fixed_point": {k: float(v[n]) for k, v in fp.items()}, "eps_g": float(eps[n])}
            for n in range(K.size)]
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    else:
        for r in rows:
            fps = ", ".join(f"{k}*={v:.10g}" for k, v in r["fixed_point"].items())
            print(f"{args.model} K={r['K']} tau={r['tau']:g}: {fps}; eps_g*={r['eps_g']:.10g}")
            print("  Hessian eigenvalues (ascending): "
                  + ", ".join(f"{e:.10g}" for e in r["eigenvalues"]))
    return 0


def parser():
    p = argparse.ArgumentParser(prog="symbn", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("derive", help="regenerate generated/ from derivations/")
    d.add_argument("--check", action="store_true",
                   help="exit 1 with a diff if generated/ differs from what derivations/ writes now")
    d.add_argument("--out", help="output directory (default: the symbn.generated package)")
    d.set_defaults(func=_derive)
    s = sub.add_parser("spectrum", help="Hessian spectrum at the symmetric fixed point")
    s.add_argument("--model", default="vanilla", choices=("vanilla", "bn"))
    s.add_argument("--K", type=float, default=2.0)
    s.add_argument("--tau", type=float, default=1.0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_spectrum)
    return p


def main(argv=None):
    from symbn.validate import ParameterError

    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as e:
        print(f"symbn {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"symbn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""symbn spectrum: Hessian eigenvalues at the symmetric fixed point."""
from __future__ import annotations

import json
import sys


def register(sub):
    s = sub.add_parser("spectrum", help="Hessian spectrum of eps_g at the symmetric fixed point")
    s.add_argument("--model", default="vanilla", choices=("vanilla", "bn"))
    s.add_argument("--K", type=float, default=2.0)
    s.add_argument("--tau", type=float, default=1.0)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=run)


def run(args):
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
        return 0
    for r in rows:
        fps = ", ".join(f"{k}*={v:.10g}" for k, v in r["fixed_point"].items())
        print(f"{args.model} K={r['K']} tau={r['tau']:g}: {fps}; eps_g*={r['eps_g']:.10g}")
        print("  Hessian eigenvalues (ascending): " + ", ".join(f"{e:.10g}" for e in r["eigenvalues"]))
    return 0

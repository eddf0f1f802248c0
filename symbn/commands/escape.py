"""symbn escape: Jacobian eigenvalues of the flow at the symmetric fixed point (plateau escape rates).

Eigenvalues of the Jacobian of the eta^1 part of the reduced ODE (time in units of
eta t, t = iterations / N), sorted ascending by real part; ``eigenvalues`` are the
real parts, ``eigenvalues_imag`` the imaginary parts (0 on every grid checked). The
largest, ``escape_rate``, is Saad & Solla's plateau escape rate. State: vanilla
(R, S, Q, C); BN (R, S, Q, C, g).

Batch norm's fixed points form a family in Q0 = Q on the plateau. Default: the
paper's closure Q0 = 1/g*^2 = (K + (K-1) tau)/tau (``Q0_is_closure``: true).
``--Q0 1`` is the plateau reached from weights N(0, 1/N) with bn-exact (Q_ii
conserved). The BN rate is the vanilla rate times ``effective_learning_rate``
= g*^2 / (tau Q0).

``--K`` and ``--tau`` take grids as in ``symbn spectrum`` (2, 1,2,5, 2:10, 1e-2:1e2:log9).

With ``--eta`` (a list) and ``--b``: finite learning rates, rates per unit t. Vanilla: the plateau
with the eta^2 tau / b term kept (``fixed_point`` R, S, Q, C), ``escape_rate`` of the
specialization mode, ``spread_rate`` of the Q - C mode, ``largest``, ``eigenvalues`` (all four).
Batch norm has no finite-eta fixed point: the rate at t = 0 and the plateau's drift constant
(docs/learning_rate.md).
"""
from __future__ import annotations

import argparse
import json
import sys

def register(sub):
    from symbn import models

    s = sub.add_parser("escape", help="Jacobian eigenvalues / plateau escape rate at the symmetric fixed point",
                       description=__doc__.split("\n\n", 1)[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--model", default="vanilla", help=f"one of {', '.join(models.names('ode'))} (default vanilla)")
    s.add_argument("--K", default="2", help="student = teacher width (grid, default 2)")
    s.add_argument("--tau", default="1", help="input variance (grid, default 1)")
    s.add_argument("--Q0", type=float, default=None,
                   help="BN only: Q on the plateau (default: the paper's closure (K + (K-1) tau)/tau)")
    s.add_argument("--eta", default=None, help="finite learning rates (list / grid); rates per unit t")
    s.add_argument("--b", type=float, default=1.0, help="mini-batch size, with --eta (default 1)")
    s.add_argument("--json", action="store_true", help="JSON list of objects")
    s.set_defaults(func=run)


def run(args):
    from symbn import models
    from symbn.errors import ParameterError
    from symbn.numeric.analysis import escape

    if args.Q0 is not None and not models.get(args.model, "ode").normalized:
        raise ParameterError(f"Q0: {args.model} has no fixed-point family; --Q0 applies to bn-paper and bn-exact")
    out = sys.stdout
    if args.eta is not None:
        from symbn.numeric.analysis import learning_rate

        rows = learning_rate.escape_rows(args.model, args.K, args.tau, args.eta, args.b, args.Q0)
        if args.json:
            json.dump(rows, out, indent=1)
            out.write("\n")
            return 0
        for r in rows:
            head = f"{r['model']} K={r['K']} tau={r['tau']:g} b={r['b']:g} eta={r['eta']:g}: "
            if r["fixed_point"] is None:
                out.write(head + f"escape rate at t = 0 {r['escape_rate']:.10g} per unit t (Q0 = {r['Q0']:.6g}); "
                          f"plateau drift Q^2 = Q0^2 + {r['drift_constant']:.6g} t\n  {r['note']}\n")
            else:
                fp = ", ".join(f"{k}={v:.10g}" for k, v in r["fixed_point"].items())
                out.write(head + f"escape rate {r['escape_rate']:.10g}, spread rate {r['spread_rate']:.10g} per "
                          f"unit t (largest: {r['largest']}); plateau {fp}\n")
        return 0
    rows = escape.table(args.model, args.K, args.tau, args.Q0)
    if args.json:
        json.dump(rows, out, indent=1)
        out.write("\n")
        return 0
    for r in rows:
        extra = ""
        if "Q0" in r:
            extra = (f", Q0={r['Q0']:.10g}{' (closure)' if r['Q0_is_closure'] else ''}, "
                     f"g*^2/(tau Q0)={r['effective_learning_rate']:.10g}")
        out.write(f"{r['model']} K={r['K']} tau={r['tau']:g}{extra}: escape rate {r['escape_rate']:.10g}\n")
        imag = any(v != 0 for v in r["eigenvalues_imag"])
        ev = ", ".join(f"{re:.10g}" + (f"{im:+.3g}i" if imag else "")
                       for re, im in zip(r["eigenvalues"], r["eigenvalues_imag"]))
        out.write(f"  Jacobian eigenvalues (ascending real parts) over ({', '.join(r['state'])}): {ev}\n")
    return 0

"""The network flags shared by ``symbn ode`` and ``symbn simulate`` (names fixed: other tools call them)."""
from __future__ import annotations


def add_arguments(parser):
    """--activation, --eta-w, --noise, --weight-decay, with the defaults of symbn.defaults.NETWORK."""
    from symbn import defaults, models

    d = defaults.NETWORK
    parser.add_argument("--activation", default=d["activation"],
                        help=f"phi, the same for teacher and student: {', '.join(models.ACTIVATIONS)} "
                             f"(default {d['activation']})")
    parser.add_argument("--eta-w", type=float, default=d["eta_w"], metavar="X",
                        help="learning rate of the student's second layer (times N); 0 keeps it fixed (default 0)")
    parser.add_argument("--noise", type=float, default=d["noise"], metavar="SIGMA",
                        help="output noise: the teacher's label gets sigma zeta, zeta ~ N(0, 1) (default 0)")
    parser.add_argument("--weight-decay", type=float, default=d["weight_decay"], metavar="KAPPA",
                        help="weight decay per unit time: J (and a learned w) lose (KAPPA/N) of themselves "
                             "per step (default 0)")


def kwargs(args) -> dict:
    """The flags as keywords of symbn.integrate / symbn.simulate."""
    return dict(activation=args.activation, eta_w=args.eta_w, noise=args.noise, weight_decay=args.weight_decay)

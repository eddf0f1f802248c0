"""symbn: symbolic derivations, generated code, ODEs and simulations of soft committee machines."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# One module per subcommand in symbn/commands/.
COMMANDS = ("derive", "spectrum", "figures", "ode", "simulate", "escape", "learning-rate", "latex", "sweep")


def parser():
    p = argparse.ArgumentParser(prog="symbn", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"symbn.commands.{name.replace('-', '_')}").register(sub)
    return p


def main(argv=None):
    from symbn.errors import ParameterError

    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as e:
        print(f"symbn {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"symbn {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # the reader went away (`symbn ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""symbn derive [--check] [--out DIR]: regenerate or check generated/."""
from __future__ import annotations

import sys
import time
from pathlib import Path


def register(sub):
    d = sub.add_parser("derive", help="regenerate generated/ from the recipes in derivations/")
    d.add_argument("--check", action="store_true",
                   help="exit 1 with a unified diff if generated/ differs from what derivations/ writes now")
    d.add_argument("--out", type=Path, help="output directory (default: the symbn.generated package)")
    d.set_defaults(func=run)


def run(args):
    from symbn import derive
    from symbn.files import generated_dir

    t0 = time.perf_counter()
    out = generated_dir() if args.out is None else args.out
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

"""Recipe: the soft committee machine without normalization (Saad & Solla 1995, input variance tau)."""
from symbn.symbolic import build as _build

RECIPE = "derivations/vanilla.py"


def build():
    return _build.symmetric_family(RECIPE, "vanilla", "Vanilla network")

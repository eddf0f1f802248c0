"""Recipe: batch normalization (large b), both update rules: the paper's and the exact gradient."""
from symbn.symbolic import build as _build

RECIPE = "derivations/bn.py"


def build():
    return _build.symmetric_family(RECIPE, "bn", "Batch normalization")

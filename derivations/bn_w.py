"""Recipe: batch normalization (large b), both update rules, with a learned second layer (w_i = w, v = 1)."""
from symbn.symbolic import build as _build

RECIPE = "derivations/bn_w.py"


def build():
    return _build.symmetric_family(RECIPE, "bn", "Batch normalization, learned second layer", learn_w=True)

"""Recipe: batch normalization (large b), both update rules: the paper's and the exact gradient."""
from symbn.symbolic import build as _build
from symbn.symbolic.models import BN_EXACT, BN_PAPER

RECIPE = "derivations/bn.py"


def build():
    return _build.symmetric_family(RECIPE, "bn", BN_PAPER,
                                   {"_paper": BN_PAPER, "_exact": BN_EXACT}, "Batch normalization")

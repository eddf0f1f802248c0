"""Recipe: the soft committee machine whose second layer learns (w_i = w, teacher v = 1), symmetric phase."""
from symbn.symbolic import build as _build

RECIPE = "derivations/vanilla_w.py"


def build():
    return _build.symmetric_family(RECIPE, "vanilla", "Vanilla network, learned second layer", learn_w=True)

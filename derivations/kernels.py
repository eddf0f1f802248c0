"""Recipe: the Gaussian-average kernels I2, I3, I4, J2 of each activation (erf -> kernels.py,
any other -> kernels_<name>.py); a kernel without closed form (relu's I4) is left out."""
import sympy as sp

from symbn import models
from symbn.symbolic import codegen, integrals

RECIPE = "derivations/kernels.py"


def module_name(activation):
    """The generated module of an activation's kernels."""
    return "kernels" if activation == "erf" else f"kernels_{activation}"


def build():
    c = {n: sp.Symbol(f"c{n}", real=True) for n in
         ("11", "22", "33", "44", "12", "13", "14", "23", "24", "34")}
    args = {"I2": [c[k] for k in ("11", "22", "12")],
            "I3": [c[k] for k in ("11", "22", "33", "12", "13", "23")],
            "I4": [c[k] for k in ("11", "22", "33", "44", "12", "13", "14", "23", "24", "34")]}
    args["J2"] = args["I2"]
    out = {}
    for activation, kernels in integrals.KERNELS.items():
        functions = []
        for name in ("I2", "I3", "I4", "J2"):
            kernel = getattr(kernels, name)
            if isinstance(kernel, integrals.NoClosedForm):      # relu's I4: numeric only
                continue
            functions.append(codegen.Function(name, tuple(args[name]), kernel(*args[name]), kernel.__doc__))
        doc = (f"Gaussian averages of {models.ACTIVATIONS[activation]}.\n"
               "Arguments: covariance entries (variances first, then the upper triangle row by row); "
               "they broadcast.")
        out[f"{module_name(activation)}.py"] = codegen.render_module(RECIPE, doc, functions)
    return out

"""Recipe: the Gaussian-average kernels I2, I3, I4 for phi(x) = erf(x / sqrt 2)."""
import sympy as sp

from symbn.symbolic import codegen, integrals

RECIPE = "derivations/kernels.py"


def build():
    c = {n: sp.Symbol(f"c{n}", real=True) for n in
         ("11", "22", "33", "44", "12", "13", "14", "23", "24", "34")}
    args2 = [c[k] for k in ("11", "22", "12")]
    args3 = [c[k] for k in ("11", "22", "33", "12", "13", "23")]
    args4 = [c[k] for k in ("11", "22", "33", "44", "12", "13", "14", "23", "24", "34")]
    functions = [
        codegen.Function("I2", tuple(args2), integrals.I2(*args2), integrals.I2.__doc__),
        codegen.Function("I3", tuple(args3), integrals.I3(*args3), integrals.I3.__doc__),
        codegen.Function("I4", tuple(args4), integrals.I4(*args4), integrals.I4.__doc__),
    ]
    doc = ("Gaussian averages for phi(x) = erf(x/sqrt 2) as functions of covariance entries\n"
           "(variances first, then the upper triangle row by row); they broadcast.")
    return {"kernels.py": codegen.render_module(RECIPE, doc, functions)}

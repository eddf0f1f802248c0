"""The numeric side never imports SymPy."""
import subprocess
import sys


def test_numeric_layer_does_not_import_sympy():
    code = ("import sys, symbn, symbn.numeric, symbn.numeric.symmetric.closed_form, symbn.generated.kernels, "
            "symbn.generated.vanilla, symbn.generated.bn, symbn.numeric.kernels.orderparams\n"
            "symbn.spectrum('bn', [1, 2, 3], tau=1.0)\n"
            "assert 'sympy' not in sys.modules, 'sympy was imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

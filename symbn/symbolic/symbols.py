"""Every shared SymPy symbol, declared once with its assumptions.

Variances and gains are ``positive`` (so ``sqrt(Q**2)`` stays ``Q`` and no
``Abs``/``DiracDelta`` appears in derivatives); overlaps that may change sign
are ``real``.
"""
import sympy as sp

K = sp.Symbol("K", positive=True, integer=True)  # student width (= teacher width M in the symmetric phase)
tau = sp.Symbol("tau", positive=True)            # input variance sigma^2
eta = sp.Symbol("eta", positive=True)            # learning rate (times N)
b = sp.Symbol("b", positive=True)                # mini-batch size

# Reduced (symmetric-phase) order parameters.
R = sp.Symbol("R", real=True)   # R_ii
S = sp.Symbol("S", real=True)   # R_in, i != n
Q = sp.Symbol("Q", positive=True)  # Q_ii
C = sp.Symbol("C", real=True)   # Q_ij, i != j
g = sp.Symbol("g", positive=True)  # g_i

Q0 = sp.Symbol("Q0", positive=True)  # batch norm: Q on the plateau (the fixed-point family parameter)

# General two-layer networks.
w = sp.Symbol("w", real=True)                    # reduced student second layer (w_i = w)
eta_w = sp.Symbol("eta_w", nonnegative=True)     # second-layer learning rate (0: fixed second layer)
rho = sp.Symbol("rho", nonnegative=True)         # eta_w / eta (the Jacobian's time is eta t)
sigma = sp.Symbol("sigma", nonnegative=True)     # output-noise standard deviation
kappa = sp.Symbol("kappa", nonnegative=True)     # weight decay per unit time

# Shifted widths. Closed forms are kept polynomial in these where that makes every
# coefficient non-negative (float64 evaluation without cancellation); generated code
# computes them first from K, exactly (K is an integer).
KM1 = sp.Symbol("KM1", nonnegative=True)  # K - 1 >= 0
KM2 = sp.Symbol("KM2", integer=True)      # K - 2 (>= 0 for K >= 2)
SHIFTED = {KM1: K - 1, KM2: K - 2}

REDUCED = {"R": R, "S": S, "Q": Q, "C": C, "g": g, "w": w}


def second_layers(K_: int, M_: int):
    """Symbols w1..wK (student second layer) and v1..vM (teacher second layer)."""
    return ([sp.Symbol(f"w{i + 1}", real=True) for i in range(K_)],
            [sp.Symbol(f"v{n + 1}", real=True) for n in range(M_)])


def general(K_: int, M_: int, gains: bool):
    """Symbol matrices Q (K x K, symmetric), R (K x M), T (M x M) and gains g (K) for fixed widths."""
    Qm = sp.Matrix(K_, K_, lambda i, j: sp.Symbol(f"Q{min(i, j) + 1}{max(i, j) + 1}",
                                                  positive=True) if i == j else
                   sp.Symbol(f"Q{min(i, j) + 1}{max(i, j) + 1}", real=True))
    Rm = sp.Matrix(K_, M_, lambda i, n: sp.Symbol(f"R{i + 1}{n + 1}", real=True))
    Tm = sp.Matrix(M_, M_, lambda n, m: sp.Symbol(f"T{min(n, m) + 1}{max(n, m) + 1}",
                                                  positive=True) if n == m else
                   sp.Symbol(f"T{min(n, m) + 1}{max(n, m) + 1}", real=True))
    gv = [sp.Symbol(f"g{i + 1}", positive=True) for i in range(K_)] if gains else None
    return Qm, Rm, Tm, gv

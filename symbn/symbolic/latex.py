"""LaTeX export (pure: returns text; ``derive`` writes).

Long sums are split over lines in ``align*`` environments (``multiline_latex``
would do it, but in SymPy 1.14 it cannot take printer settings); the standalone document ``\\input``s each piece and
compiles with plain ``pdflatex`` and amsmath.
"""
from __future__ import annotations

import sympy as sp

from . import symbols as sy

NAMES = {sy.tau: r"\tau", sy.eta: r"\eta", sy.Q0: "Q_0", sy.KM1: r"(K{-}1)", sy.KM2: r"(K{-}2)"}


def tex(expr) -> str:
    return sp.latex(expr, inv_trig_style="full", symbol_names=NAMES)


def rows(lhs: str, rhs, terms_per_line=2) -> str:
    """The ``align*`` rows of lhs = rhs (no environment); sums longer than ``terms_per_line``
    terms continue on further rows."""
    rhs = sp.expand(sp.sympify(rhs), deep=False)   # distribute one level so long sums can break
    terms = sp.Add.make_args(rhs)
    terms = sorted(terms, key=sp.default_sort_key)
    lines = []
    for k in range(0, len(terms), terms_per_line):
        chunk = " ".join(_signed(t, first=(k == 0 and n == 0))
                         for n, t in enumerate(terms[k:k + terms_per_line]))
        lines.append(("&= " if k == 0 else "&\\quad ") + chunk)
    return f"{lhs} " + " \\\\\n".join(lines)


def equation(lhs: str, rhs, terms_per_line=2) -> str:
    """One displayed equation (an ``align*`` environment); long sums are split."""
    return f"\\begin{{align*}}\n{rows(lhs, rhs, terms_per_line)}\n\\end{{align*}}\n"


def align(equations, terms_per_line=2) -> str:
    """Several equations [(lhs, rhs), ...] in one ``align*`` environment; long sums are split.

    A page may break between equations (``\\displaybreak[0]``, no ``\\allowdisplaybreaks``
    needed), so a block longer than a page (e.g. a Jacobian) is not cut off.
    """
    body = " \\displaybreak[0] \\\\\n".join(rows(lhs, rhs, terms_per_line) for lhs, rhs in equations)
    return f"\\begin{{align*}}\n{body}\n\\end{{align*}}\n"


def _signed(term, first):
    if term.could_extract_minus_sign():
        return "- " + tex(-term)
    return tex(term) if first else "+ " + tex(term)


def section(title: str, header: str, blocks) -> str:
    """A ``\\section`` of (caption, [(lhs, rhs), ...]) blocks, headed by ``header`` comment lines."""
    out = [header, f"\\section{{{title}}}"]
    for caption, eqs in blocks:
        out.append(f"\\subsection*{{{caption}}}")
        out.extend(equation(lhs, rhs) for lhs, rhs in eqs)
    return "\n".join(out)


def document(header: str, pieces) -> str:
    """Standalone document that ``\\input``s ``pieces`` (file names beside it)."""
    inputs = "\n".join(f"\\input{{{p}}}" for p in pieces)
    return (f"{header}\\documentclass[10pt]{{article}}\n"
            "\\usepackage[a4paper,margin=1.5cm,landscape]{geometry}\n"
            "\\usepackage{amsmath}\n\\allowdisplaybreaks\n"
            "\\title{symbn: symmetric-phase dynamics of soft committee machines,\\\\"
            " with and without batch normalization}\n"
            "\\date{}\n\\begin{document}\n\\maketitle\n\\small\n"
            f"{inputs}\n\\end{{document}}\n")

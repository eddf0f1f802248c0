"""Figure output: Matplotlib without a display, and PNG + PDF + CSV written atomically."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from symbn.files import write_all

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def pyplot():
    """matplotlib.pyplot with the Agg backend (no display needed), imported on first use."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def csv_text(columns: dict) -> str:
    """Columns (name -> 1-D array or list) as CSV text; floats with repr (exact round trip)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(columns))
    n = len(next(iter(columns.values())))
    for i in range(n):
        w.writerow([v[i] if isinstance(v[i], str) else
                    (int(v[i]) if float(v[i]).is_integer() and name == "K" else repr(float(v[i])))
                    for name, v in columns.items()])
    return buf.getvalue()


def save(out, name, fig, columns):
    """Write ``name``.png (150 dpi), .pdf and .csv into ``out`` as one atomic group; close ``fig``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    try:
        for fmt, kw in (("png", {"dpi": 150}), ("pdf", {})):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, **kw)   # constrained layout: no second (tight-bbox) draw
            files[out / f"{name}.{fmt}"] = buf.getvalue()
    finally:
        pyplot().close(fig)
    files[out / f"{name}.csv"] = csv_text(columns)
    return write_all(files)

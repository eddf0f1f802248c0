"""Figure output: Matplotlib without a display, and PNG + PDF + CSV written atomically; inside
:func:`background`, drawn by a helper process while the caller goes on."""
from __future__ import annotations

import contextlib
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


class Drawer:
    """The helper process (a one-worker pool) that draws and writes figures, and what it was given.
    ``Drawer.active`` is the one of the enclosing :func:`background`, else None."""

    active = None

    def __init__(self, pool):
        self.pool, self.futures = pool, []

    def submit(self, *args):
        self.futures.append(self.pool.submit(write, *args))

    def wait(self):
        """Every file written (a drawing error is raised here)."""
        for future in self.futures:
            future.result()


@contextlib.contextmanager
def background():
    """Within: :func:`save` hands each figure (pickled) to one helper process that draws and writes
    it, so the next figure's jobs run meanwhile (drawing a figure's PNG + PDF takes 1-3 s); on
    leaving, wait for every file (a drawing error is raised here)."""
    import multiprocessing
    import os
    import sys
    from concurrent.futures import ProcessPoolExecutor

    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main is not None and not os.path.exists(main):     # `python -` or -c: a spawned helper cannot start
        yield
        return
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_quiet) as pool:
        Drawer.active = drawer = Drawer(pool)
        try:
            yield
            drawer.wait()
        except BaseException:           # Ctrl-C or a failure: finish the figure being written, drop the rest
            pool.shutdown(cancel_futures=True)
            raise
        finally:
            Drawer.active = None


def _quiet():
    """The helper ignores Ctrl-C: the caller stops it (after the figure it is writing, whole)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def save(out, name, fig, columns):
    """Write ``name``.png (150 dpi), .pdf and .csv into ``out`` as one atomic group; close ``fig``.
    Returns the paths (inside :func:`background`: they exist once it is left)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if Drawer.active is not None:
        try:
            Drawer.active.submit(out, name, fig, columns)
        finally:
            pyplot().close(fig)
        return [out / f"{name}.{ext}" for ext in ("png", "pdf", "csv")]
    return write(out, name, fig, columns)


def write(out, name, fig, columns):
    """Draw ``fig`` into PNG and PDF, write them and the CSV of ``columns`` atomically; close ``fig``."""
    files = {}
    try:
        for fmt, kw in (("png", {"dpi": 150}), ("pdf", {})):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, bbox_inches="tight", **kw)   # long suptitles need the tight box
            files[out / f"{name}.{fmt}"] = buf.getvalue()
    finally:
        pyplot().close(fig)
    files[out / f"{name}.csv"] = csv_text(columns)
    return write_all(files)

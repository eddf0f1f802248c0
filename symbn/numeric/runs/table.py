"""The sweep's tidy table on disk: a CSV that grows one flushed line per finished job, or a Parquet
file written once at the end from such a CSV journal.

CSV (``.csv``): the header, then one line per row, each appended with a single write, flushed and
fsynced; a killed run leaves at most a torn last line, which :func:`read` drops. Cells: integers
plain, floats by ``repr`` (they round-trip), NaN empty.

Parquet (``.parquet``, needs pyarrow: ``pip install 'symbn[parquet]'``): a Parquet file cannot be
appended to, so rows stream into the journal ``<out>.rows.csv`` beside it (the CSV format above)
and, when the last job is done, the typed table (int64 / float64 / string columns, NaN as null) is
written atomically and the journal removed. An interrupted sweep keeps its journal; ``--resume``
continues from it (or from a finished Parquet table, to extend a sweep).
"""
from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np

from symbn.errors import ParameterError
from symbn.files import write_atomic

FORMATS = (".csv", ".parquet")


def cell(value):
    """A CSV cell: integers plain, floats by repr (round-trips), nan as empty."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)


def line(cells):
    """One CSV line (with its newline) of the already formatted ``cells``."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def journal(path) -> Path:
    """Where rows stream while the table at ``path`` is being made (the path itself for CSV)."""
    path = Path(path)
    return path if path.suffix.lower() == ".csv" else path.with_name(path.name + ".rows.csv")


def _parquet():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ParameterError("a .parquet table needs pyarrow: pip install 'symbn[parquet]' "
                             "(or write --out FILE.csv)") from None
    return pyarrow, pyarrow.parquet


def read(path):
    """(header, rows as dicts of CSV cells) of a table, CSV or Parquet; a torn last CSV line is dropped."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        _, pq = _parquet()
        data = pq.read_table(path).to_pydict()
        header = tuple(data)
        n = len(data[header[0]]) if header else 0
        return header, [{c: "" if data[c][k] is None else cell(data[c][k]) for c in header} for k in range(n)]
    text = path.read_text()
    if not text.endswith("\n"):
        text = text[:text.rfind("\n") + 1]
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        return None, []
    return tuple(lines[0]), [dict(zip(lines[0], r)) for r in lines[1:] if len(r) == len(lines[0])]


def start(path, header, resume):
    """Open the journal of the table ``path`` for appending; returns (file handle, rows already there).

    Without ``resume`` an existing table or journal is an error (nothing is overwritten); with it the
    journal (else a finished table) is read and rewritten without its torn line."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ParameterError(f"--out must be a .csv or .parquet file, got {str(path)!r}")
    if path.suffix.lower() == ".parquet":
        _parquet()
    log = journal(path)
    sources = [p for p in (log, path) if p.exists() and p.stat().st_size]
    rows = []
    if sources and not resume:
        raise ParameterError(f"{str(sources[0])!r} exists: pass --resume to continue it, or remove it")
    if sources:
        found, rows = read(sources[0])
        if found is not None and found != tuple(header):
            raise ParameterError(f"--resume: {str(sources[0])!r} has columns {', '.join(found)}, "
                                 f"not those of this sweep ({', '.join(header)})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(log, line(header) + "".join(line([r[c] for c in header]) for r in rows))
        return open(log, "a"), rows
    except OSError as e:
        raise ParameterError(f"cannot write {str(log)!r}: {e.strerror or e}") from None


def append(fh, header, row):
    """Append ``row`` (a dict with the ``header`` keys) to the journal: one write, flushed, fsynced."""
    fh.write(line([cell(row[c]) for c in header]))
    fh.flush()
    os.fsync(fh.fileno())


def finish(path, types):
    """Turn the journal of a finished Parquet table into the table (atomically) and remove it;
    ``types`` maps each column to int, float or str. A CSV table is already finished."""
    path = Path(path)
    if path.suffix.lower() != ".parquet":
        return path
    pa, pq = _parquet()
    log = journal(path)
    header, rows = read(log)
    kinds = {int: pa.int64(), float: pa.float64(), str: pa.string()}
    parse = {int: int, float: float, str: str}
    columns = {c: pa.array([None if r[c] == "" else parse[types[c]](r[c]) for r in rows], type=kinds[types[c]])
               for c in header}
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), buf)
    write_atomic(path, buf.getvalue().to_pybytes())
    log.unlink()
    return path

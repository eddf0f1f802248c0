"""The one place that writes files: atomically, so an interrupted run never leaves half a file.

Every file is written to a temporary name in its own directory and renamed into place
(``os.replace``, atomic on POSIX); a group of files is renamed only after all of them
have been written.
"""
from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path


def generated_dir() -> Path:
    """Where ``symbn.generated`` lives (the repository's generated/ in an editable install)."""
    spec = importlib.util.find_spec("symbn.generated")
    return Path(list(spec.submodule_search_locations)[0])


def write_atomic(path, data) -> Path:
    """Write ``data`` (bytes or str) to ``path`` via a temporary file beside it; returns the path."""
    return write_all({path: data})[0]


def write_all(files) -> list[Path]:
    """Write {path: bytes or str} atomically as a group: all temporaries first, then the renames.

    If anything fails (or is interrupted) before the renames, no target file has changed.
    """
    temps = []
    try:
        for path, data in files.items():
            path = Path(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode() if isinstance(data, str) else data)
            os.chmod(tmp, 0o644)
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [path for _, path in temps]

"""CSV output that is safe to open in a spreadsheet.

A cell beginning with = + - @ (or a tab, carriage return or NUL) is a formula to Excel and
LibreOffice; an export from police data must never execute one, so such cells are prefixed
with an apostrophe (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lantern.errors import LanternError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write to a file beside ``path`` with ``write``, then move it into place: a failure
    never leaves half a file where the user asked for one."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise LanternError(f"cannot write {path}: no folder {folder}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".lantern-", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        raise LanternError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_csv(path: Path, rows: Iterable[Mapping[str, Any] | Sequence[Any]], columns: Sequence[str]) -> int:
    """Write rows (mappings by column name, or sequences in column order) to a CSV file with a
    header, every cell formula-safe; returns the number of rows."""
    written = 0

    def write(tmp: Path) -> None:
        nonlocal written
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                values = [row.get(c) for c in columns] if isinstance(row, Mapping) else row
                writer.writerow([neutralise(v) for v in values])
                written += 1

    write_atomically(path, write)
    return written

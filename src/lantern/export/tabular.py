"""CSV output that is safe to open in a spreadsheet.

A cell beginning with = + - @ (or a tab, carriage return or NUL) is a formula to Excel and
LibreOffice; an export from police data must never execute one, so such cells are prefixed
with an apostrophe (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lantern.errors import LanternError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> int:
    """Write rows (mappings) to a CSV file with a header; returns the number of rows."""
    n = 0
    try:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([neutralise(row.get(c)) for c in columns])
                n += 1
    except OSError as exc:
        raise LanternError(f"cannot write {path}: {exc.strerror}") from None
    return n

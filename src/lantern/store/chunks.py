"""Long lists of ids asked for in pieces: a database takes only so many parameters in one
statement (a national case has millions of records), so ``x IN (...)`` goes chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

PARAMETERS = 20_000  # well under SQLite's (32,766 by default) and PostgreSQL's (65,535) limits
T = TypeVar("T", int, str)


def in_chunks(values: Iterable[T], size: int = PARAMETERS) -> Iterator[list[T]]:
    """The distinct values, sorted, in lists of at most ``size``."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def unindexed(column: Any) -> Any:
    """``column || ''``: the same values, in a form no index serves. Asked for some properties
    of a chunk of records, SQLite otherwise picks the (prop, value) index and scans every
    statement of that property for each chunk (5.4 s a chunk at 1M people, instead of 0.03 s
    through the record index)."""
    return column.concat("")

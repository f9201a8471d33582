"""Long lists of ids asked for in pieces: a database takes only so many parameters in one
statement (a national case has millions of records), so ``x IN (...)`` goes chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

PARAMETERS = 20_000  # well under SQLite's (32,766 by default) and PostgreSQL's (65,535) limits
T = TypeVar("T", int, str)


def in_chunks(values: Iterable[T], size: int = PARAMETERS) -> Iterator[list[T]]:
    """The distinct values, sorted, in lists of at most ``size``."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]

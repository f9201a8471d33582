"""Where each record came from: file, row and the id it carries in its source system."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from lantern.store import tables
from lantern.timeline.model import Source

CHUNK = 50_000  # stay under database parameter limits


def record_sources(conn: Connection, record_ids: Iterable[int]) -> dict[int, Source]:
    r, src = tables.records, tables.sources
    wanted = sorted(set(record_ids))
    out: dict[int, Source] = {}
    for start in range(0, len(wanted), CHUNK):
        for record, file_name, row, own in conn.execute(
                select(r.c.id, src.c.file_name, r.c.row_number, r.c.source_record_id)
                .join(src, src.c.id == r.c.source_id).where(r.c.id.in_(wanted[start:start + CHUNK]))):
            out[int(record)] = Source(file_name, int(row), own)
    return out


def describe_sources(sources: Iterable[Source], limit: int = 3) -> str:
    """A few sources in full; many (a day of calls) as rows per file."""
    found = list(dict.fromkeys(sources))
    if len(found) <= limit:
        return "; ".join(s.describe() for s in found)
    per_file: dict[str, int] = {}
    for source in found:
        per_file[source.file] = per_file.get(source.file, 0) + 1
    return "; ".join(f"{file} ({n} rows)" for file, n in per_file.items())

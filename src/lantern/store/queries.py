"""Read queries over the store: counts for `status`, the quarantine, statements for export."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from lantern.store import tables

s, r, src, q, lk = (
    tables.statements,
    tables.records,
    tables.sources,
    tables.quarantine,
    tables.links,
)


@dataclass(frozen=True)
class SourceSummary:
    id: int
    file_name: str
    profile_name: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    loaded_at: str
    loaded_by: str
    sha256: str


@dataclass(frozen=True)
class CaseSummary:
    """What `status` shows of a case."""

    sources: list[SourceSummary]
    records_by_schema: dict[str, int]
    records_by_source: dict[int, int]
    links_by_type: dict[str, int]
    quarantine: dict[str, int]

    def digest(self) -> str:
        """A hash of exactly what is shown, for the audit of this consultation."""
        shown = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(shown.encode("utf-8")).hexdigest()


def case_summary(conn: Connection, case_id: int) -> CaseSummary:
    by_source: dict[int, int] = {}
    for (source_id, _), n in record_counts_by_source(conn, case_id).items():
        by_source[source_id] = by_source.get(source_id, 0) + n
    return CaseSummary(
        sources=sources(conn, case_id),
        records_by_schema=record_counts_by_schema(conn, case_id),
        records_by_source=by_source,
        links_by_type=link_counts_by_type(conn, case_id),
        quarantine=quarantine_counts(conn, case_id),
    )


def sources(conn: Connection, case_id: int) -> list[SourceSummary]:
    rows = conn.execute(select(src).where(src.c.case_id == case_id).order_by(src.c.id))
    return [
        SourceSummary(
            row.id,
            row.file_name,
            row.profile_name,
            row.rows_read,
            row.rows_loaded,
            row.rows_quarantined,
            row.loaded_at.isoformat(timespec="seconds"),
            row.loaded_by,
            row.sha256,
        )
        for row in rows
    ]


def record_counts_by_schema(conn: Connection, case_id: int) -> dict[str, int]:
    query = (
        select(r.c.schema, func.count())
        .where(r.c.case_id == case_id)
        .group_by(r.c.schema)
        .order_by(r.c.schema)
    )
    return {schema: int(n) for schema, n in conn.execute(query)}


def record_counts_by_source(conn: Connection, case_id: int) -> dict[tuple[int, str], int]:
    query = (
        select(r.c.source_id, r.c.schema, func.count())
        .where(r.c.case_id == case_id)
        .group_by(r.c.source_id, r.c.schema)
    )
    return {(int(sid), schema): int(n) for sid, schema, n in conn.execute(query)}


def link_counts_by_type(conn: Connection, case_id: int) -> dict[str, int]:
    query = (
        select(lk.c.type, func.count())
        .where(lk.c.case_id == case_id)
        .group_by(lk.c.type)
        .order_by(lk.c.type)
    )
    return {t: int(n) for t, n in conn.execute(query)}


def quarantine_counts(conn: Connection, case_id: int) -> dict[str, int]:
    query = select(q.c.action, func.count()).where(q.c.case_id == case_id).group_by(q.c.action)
    return {action: int(n) for action, n in conn.execute(query)}


def quarantine_rows(
    conn: Connection, case_id: int, source_id: int | None = None, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    query = (
        select(
            q.c.id,
            src.c.file_name,
            q.c.row_number,
            q.c.field,
            q.c.raw_value,
            q.c.reason,
            q.c.action,
        )
        .join(src, src.c.id == q.c.source_id)
        .where(q.c.case_id == case_id)
        .order_by(q.c.source_id, q.c.row_number, q.c.id)
    )
    if source_id is not None:
        query = query.where(q.c.source_id == source_id)
    if limit is not None:
        query = query.limit(limit)
    for row in conn.execute(query):
        yield dict(row._mapping)


def statements_with_provenance(conn: Connection, case_id: int) -> Iterator[dict[str, Any]]:
    """Every statement with the record and the source row it came from, in load order."""
    query = (
        select(
            r.c.id.label("record_id"),
            r.c.schema,
            r.c.namespace,
            r.c.source_record_id,
            r.c.alias,
            s.c.prop,
            s.c.value,
            s.c.original,
            s.c.quality,
            src.c.file_name,
            src.c.sha256,
            r.c.row_number,
            src.c.profile_name,
        )
        .join(r, r.c.id == s.c.record_id)
        .join(src, src.c.id == r.c.source_id)
        .where(r.c.case_id == case_id)
        .order_by(r.c.id, s.c.id)
        .execution_options(yield_per=5000)
    )
    for row in conn.execute(query):
        yield dict(row._mapping)


def links_with_provenance(conn: Connection, case_id: int) -> Iterator[dict[str, Any]]:
    query = (
        select(
            lk.c.id.label("link_id"),
            lk.c.type,
            lk.c.from_record_id,
            lk.c.to_record_id,
            lk.c.properties,
            src.c.file_name,
            src.c.sha256,
            lk.c.row_number,
        )
        .join(src, src.c.id == lk.c.source_id)
        .where(lk.c.case_id == case_id)
        .order_by(lk.c.id)
        .execution_options(yield_per=5000)
    )
    for row in conn.execute(query):
        yield dict(row._mapping)


def case_version(conn: Connection, case_id: int) -> tuple[int, ...]:
    """The newest network, resolution, extraction and source of the case: whatever is derived
    from the case's data and kept for reuse is keyed by this, so any change is a new key."""
    return tuple(int(conn.scalar(select(func.max(t.c.id)).where(t.c.case_id == case_id)) or 0)
                 for t in (tables.network_runs, tables.resolution_runs, tables.text_runs,
                           tables.sources))

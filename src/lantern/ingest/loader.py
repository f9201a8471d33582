"""Load one source file into the store: one transaction, keyed by the file's SHA-256.

After a crash or a kill mid-import the workspace holds the whole file or none of it, and
loading the same bytes again is a no-op. Rows stream through the mapper in batches, so
memory stays flat whatever the file's size.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from lantern import __version__
from lantern.errors import LanternError
from lantern.ingest.mapper import ROW_REJECTED, MappedRow, RowMapper
from lantern.ingest.profile import Profile
from lantern.ingest.readers import open_table
from lantern.security.files import check_file_size
from lantern.store import tables
from lantern.store.bulk import bulk_insert
from lantern.store.workspace import Workspace, utcnow

BATCH_ROWS = 10_000
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class IngestResult:
    file: str
    source_id: int
    duplicate: bool
    sha256: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    values_rejected: int = 0
    records: int = 0
    statements: int = 0
    links: int = 0
    seconds: float = 0.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


RECORD_COLUMNS = ("id", "case_id", "source_id", "row_number", "alias", "schema", "namespace",
                  "source_record_id")
STATEMENT_COLUMNS = ("record_id", "prop", "original", "value", "quality")
LINK_COLUMNS = ("case_id", "source_id", "row_number", "type", "from_record_id", "to_record_id",
                "properties")
ISSUE_COLUMNS = ("case_id", "source_id", "row_number", "field", "raw_value", "reason", "action")


class _BatchWriter:
    """Collects mapped rows as tuples and writes each table with one bulk insert."""

    def __init__(self, conn: Connection, case_id: int, source_id: int, first_record_id: int) -> None:
        self.conn = conn
        self.case_id = case_id
        self.source_id = source_id
        self.next_record_id = first_record_id
        self.records: list[tuple[Any, ...]] = []
        self.statements: list[tuple[Any, ...]] = []
        self.links: list[tuple[Any, ...]] = []
        self.issues: list[tuple[Any, ...]] = []
        self.counts = {"records": 0, "statements": 0, "links": 0, "loaded": 0, "quarantined": 0,
                       "values_rejected": 0}

    def add(self, mapped: MappedRow) -> None:
        ids: dict[str, int] = {}
        case_id, source_id, row = self.case_id, self.source_id, mapped.number
        for record in mapped.records:
            record_id = self.next_record_id
            self.next_record_id += 1
            ids[record.alias] = record_id
            self.records.append((record_id, case_id, source_id, row, record.alias, record.schema,
                                 record.namespace, record.source_record_id))
            self.statements.extend((record_id, s.prop, s.original, s.value, s.quality)
                                   for s in record.statements)
        for link in mapped.links:
            props = json.dumps(link.properties, ensure_ascii=False) if link.properties else None
            self.links.append((case_id, source_id, row, link.type, ids[link.source], ids[link.target], props))
        for issue in mapped.issues:
            self.issues.append((case_id, source_id, issue.row, issue.field, issue.raw, issue.reason,
                                issue.action))
            if issue.action != ROW_REJECTED:
                self.counts["values_rejected"] += 1
        self.counts["quarantined" if mapped.rejected else "loaded"] += 1

    def flush(self) -> None:
        for table, columns, rows, key in (
            (tables.records, RECORD_COLUMNS, self.records, "records"),
            (tables.statements, STATEMENT_COLUMNS, self.statements, "statements"),
            (tables.links, LINK_COLUMNS, self.links, "links"),
            (tables.quarantine, ISSUE_COLUMNS, self.issues, None),
        ):
            if rows:
                bulk_insert(self.conn, table, columns, rows)
                if key:
                    self.counts[key] += len(rows)
                rows.clear()


def ingest_file(workspace: Workspace, path: Path, profile: Profile, *, user: str,
                case: str | None = None, progress: ProgressCallback | None = None) -> IngestResult:
    """Load ``path`` in its own transaction (library and benchmark use; the CLI audits)."""
    with workspace.writer() as conn:
        case_id = workspace.case_id(conn, case) if case else workspace.case_id(conn)
        return load_file(conn, path, profile, case_id=case_id, user=user, progress=progress)


def load_file(conn: Connection, path: Path, profile: Profile, *, case_id: int, user: str,
              progress: ProgressCallback | None = None) -> IngestResult:
    """Load ``path`` inside the caller's write transaction; LanternError if it cannot be read.

    The caller holds the workspace's write lock (``Workspace.writer``), which makes the id
    allocation below safe and lets the audit event share this transaction.
    """
    started = time.perf_counter()
    if not path.is_file():
        raise LanternError(f"{path}: no such file")
    check_file_size(path)  # before hashing: a 10 GB file is refused by its size, unread
    sha256 = file_sha256(path)
    existing = conn.scalar(select(tables.sources.c.id).where(
        tables.sources.c.case_id == case_id, tables.sources.c.sha256 == sha256))
    if existing is not None:
        return IngestResult(str(path), int(existing), duplicate=True, sha256=sha256)
    table = open_table(path, profile.format, profile.encoding, profile.delimiter, profile.sheet)
    mapper = RowMapper(profile, table)  # checks every named column exists before writing
    source_id = Workspace.next_id(conn, tables.sources)
    conn.execute(insert(tables.sources).values(
        id=source_id, case_id=case_id, file_name=path.name, file_path=str(path), sha256=sha256,
        size_bytes=table.size, format=table.format, encoding=table.encoding,
        delimiter=table.delimiter, profile_name=profile.name, profile_sha256=profile.sha256,
        rows_read=0, rows_loaded=0, rows_quarantined=0, loaded_at=utcnow(), loaded_by=user,
        lantern_version=__version__,
    ))
    writer = _BatchWriter(conn, case_id, source_id, Workspace.next_id(conn, tables.records))
    pending = 0
    for row in table.rows:
        writer.add(mapper.map(row))
        pending += 1
        if pending >= BATCH_ROWS:
            writer.flush()
            pending = 0
            if progress:
                progress(table.progress(), table.size)
    writer.flush()
    counts = writer.counts
    rows_read = counts["loaded"] + counts["quarantined"]
    if rows_read == 0:
        raise LanternError(f"{path}: the file has a header but no data rows")
    conn.execute(update(tables.sources).where(tables.sources.c.id == source_id).values(
        rows_read=rows_read, rows_loaded=counts["loaded"], rows_quarantined=counts["quarantined"]))
    if progress:
        progress(table.size, table.size)
    return IngestResult(
        file=str(path), source_id=source_id, duplicate=False, sha256=sha256, rows_read=rows_read,
        rows_loaded=counts["loaded"], rows_quarantined=counts["quarantined"],
        values_rejected=counts["values_rejected"], records=counts["records"],
        statements=counts["statements"], links=counts["links"],
        seconds=time.perf_counter() - started,
    )

"""Large CDR productions kept beside the workspace: one DuckDB file of calls per case.

Ten million CDR rows are a few hundred megabytes in DuckDB's columns and gigabytes as records
and statements in the store, and every analysis of them is a scan DuckDB does in parallel.
So ``lantern calls load`` keeps them in ``<data folder>/case-<id>-calls.duckdb`` (``bulk.py``
does the reading and cleaning) and registers each file in the store's ``sources`` table like
any other ingest: its SHA-256 (a second load of the same file does nothing), rows read,
loaded and rejected, who loaded it and when, in the same transaction as its audit event.

The two stores cannot share one transaction. The DuckDB load commits inside the store's
write transaction, so the only failure left is a store that does not commit after DuckDB
did: the CDR's rows then carry a file number (= source id) that no source has. Readers use
only the files a source vouches for, and the next load removes such orphans before it reuses
the number.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import Connection, insert, select, update

from lantern import __version__, analytics
from lantern.comms.bulk import QNET, VIREO, CdrLayout, LoadResult, load_cdr
from lantern.errors import LanternError
from lantern.ingest.loader import file_sha256
from lantern.security.limits import FileLimits, GiB, check_file_size
from lantern.store import Workspace, tables
from lantern.store.workspace import utcnow

LAYOUTS = {"qnet": QNET, "vireo": VIREO}
# DuckDB streams a CDR, so it may be far larger than a file the row-by-row ingest reads.
CDR_LIMITS = FileLimits(max_file_bytes=64 * GiB)
FORMAT = "cdr"


@dataclass(frozen=True)
class CallStore:
    """Where a workspace keeps its cases' bulk call data."""

    folder: Path

    @classmethod
    def for_workspace(cls, workspace: Workspace, data_dir: str | None) -> CallStore:
        if data_dir:
            return cls(Path(data_dir))
        if workspace.path is not None:
            return cls(workspace.path.with_name(workspace.path.name + ".data"))
        raise LanternError("a PostgreSQL workspace needs --data-dir (LANTERN_DATA_DIR) for bulk call data")

    @classmethod
    def folder_of(cls, workspace: Workspace, data_dir: str | None) -> Path | None:
        """The workspace's data folder, or None where it has none (PostgreSQL without --data-dir)."""
        try:
            return cls.for_workspace(workspace, data_dir).folder
        except LanternError:
            return None

    def path(self, case_id: int) -> Path:
        return self.folder / f"case-{case_id}-calls.duckdb"

    def existing(self, case_id: int) -> Path | None:
        path = self.path(case_id)
        return path if path.is_file() else None

    def erase(self, case_id: int) -> int:
        """Delete a case's bulk calls (disposal); returns the bytes erased."""
        size = 0
        for path in (self.path(case_id), self.path(case_id).with_name(self.path(case_id).name + ".wal")):
            if path.is_file():
                size += path.stat().st_size
                path.unlink()
        return size


@dataclass(frozen=True)
class BulkLoad:
    file: str
    source_id: int
    sha256: str
    duplicate: bool
    result: LoadResult | None = None  # None for a duplicate


def layout_named(name: str) -> CdrLayout:
    try:
        return LAYOUTS[name.lower()]
    except KeyError:
        raise LanternError(f"no CDR layout {name!r}: the layouts are {', '.join(LAYOUTS)}") from None


def vouched_files(conn: Connection, case_id: int) -> list[int]:
    """The bulk files (= source ids) the store says were loaded into the case."""
    s = tables.sources
    return [int(i) for i in conn.scalars(select(s.c.id).where(s.c.case_id == case_id, s.c.format == FORMAT))]


def load_bulk(conn: Connection, store: CallStore, case_id: int, path: Path, layout: CdrLayout,
              user: str) -> BulkLoad:
    """Load one CDR into the case's bulk calls, inside the caller's store write transaction."""
    if not path.is_file():
        raise LanternError(f"{path}: no such file")
    size = check_file_size(path, CDR_LIMITS)
    sha256 = file_sha256(path)
    s = tables.sources
    existing = conn.scalar(select(s.c.id).where(s.c.case_id == case_id, s.c.sha256 == sha256))
    if existing is not None:
        return BulkLoad(str(path), int(existing), sha256, duplicate=True)
    source_id = Workspace.next_id(conn, s)
    conn.execute(insert(s).values(
        id=source_id, case_id=case_id, file_name=path.name, file_path=str(path), sha256=sha256, size_bytes=size,
        format=FORMAT, encoding=layout.encoding, delimiter=layout.delimiter,
        profile_name=f"cdr-{layout.provider.lower()}", profile_sha256=_layout_digest(layout),
        rows_read=0, rows_loaded=0, rows_quarantined=0, loaded_at=utcnow(), loaded_by=user,
        lantern_version=__version__))
    store.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        with analytics.connect(store.path(case_id)) as db:
            result = load_cdr(db, path, layout, file_no=source_id)
    except (duckdb.IOException, duckdb.ResourceInUseException) as exc:
        raise LanternError(f"{store.path(case_id)}: cannot open the case's bulk calls, perhaps in use by "
                           f"another Lantern process ({exc})") from None
    conn.execute(update(s).where(s.c.id == source_id).values(
        rows_read=result.rows, rows_loaded=result.rows - result.rejected, rows_quarantined=result.rejected))
    return BulkLoad(str(path), source_id, sha256, duplicate=False, result=result)


def _layout_digest(layout: CdrLayout) -> str:
    return hashlib.sha256(repr(layout).encode("utf-8")).hexdigest()


def rejected_rows(store: CallStore, case_id: int, source_id: int, limit: int) -> list[tuple[int, str, str, str]]:
    """Rows of one loaded CDR that could not be used: row, field, reason, the line as read."""
    path = store.existing(case_id)
    if path is None:
        return []
    with analytics.connect(path, read_only=True) as db:
        return [(int(r), f, why, line) for r, f, why, line in db.execute(
            "SELECT row_no, field, reason, line FROM rejected WHERE file_no = ? ORDER BY row_no LIMIT ?",
            [source_id, limit]).fetchall()]

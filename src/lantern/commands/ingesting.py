"""One file into a case, checked and audited: the road every channel's ingest takes
(`lantern ingest`, the demo, the web upload), so sources, quarantine, the duplicate check and
the COLLECT event cannot drift apart between them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update

from lantern.ingest.loader import IngestResult, load_file
from lantern.ingest.profile import Profile
from lantern.security.policy import Permission
from lantern.security.session import Session
from lantern.store import tables

Progress = Callable[[int, int], None]


def ingest_file(session: Session, path: Path, profile: Profile, *, case: str | None = None,
                progress: Progress | None = None, shown_name: str | None = None,
                detail: dict[str, Any] | None = None) -> IngestResult:
    """Load ``path`` with ``profile`` in one transaction with its audit event.

    ``shown_name`` replaces the stored path (an upload's name as the browser sent it, not the
    server's temporary folder); ``detail`` adds to the event (e.g. the channel)."""
    with session.case_action(Permission.WRITE, "ingest", "COLLECT", case=case) as (
            conn, ref, note):
        result = load_file(conn, path, profile, case_id=ref.id, user=session.actor.username,
                           progress=progress)
        if shown_name is not None and not result.duplicate:
            conn.execute(update(tables.sources).where(tables.sources.c.id == result.source_id)
                         .values(file_path=shown_name))
        note.objects = [f"source:{result.source_id}"]
        note.detail = {"file": path.name, "sha256": result.sha256, "profile": profile.name,
                       "rows_loaded": result.rows_loaded,
                       "rows_quarantined": result.rows_quarantined,
                       "duplicate": result.duplicate, **(detail or {})}
    return result

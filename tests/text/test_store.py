"""Text runs and mentions on both backends (the migration creates them)."""

from __future__ import annotations

from sqlalchemy import insert

from lantern.store import tables
from lantern.store.workspace import utcnow
from lantern.text.extract import extract
from lantern.text.store import create_run, indicator_hits, latest_run, store_mentions


def test_mentions_round_trip_and_negated_hits_never_reach_the_scorer(workspace):
    text = "Returned with a new phone. No indication of older males. Possibly given alcohol."
    with workspace.writer() as conn:
        case = conn.execute(insert(tables.cases).values(name="text-test", status="open", created_at=utcnow())
                            .returning(tables.cases.c.id)).scalar_one()
        assert indicator_hits(conn, case) == {}
        conn.execute(insert(tables.sources).values(
            id=901, case_id=case, file_name="f", file_path="f", sha256="0" * 64, size_bytes=1, format="csv",
            profile_name="p", profile_sha256="0" * 64, rows_read=1, rows_loaded=1, rows_quarantined=0,
            loaded_at=utcnow(), loaded_by="u", lantern_version="0"))
        conn.execute(insert(tables.records).values(id=907, case_id=case, source_id=901, row_number=2, alias="r",
                                                   schema="IntelligenceReport", namespace="n"))
        run = create_run(conn, case, "u", "test")
        store_mentions(conn, run, [(907, "text", m) for m in extract(text)])
    with workspace.reader() as conn:
        assert latest_run(conn, case) == run
        hits = indicator_hits(conn, case)
    ids = {h.indicator_id: h for h in hits[907]}
    assert "gifts" in ids and "older_partner" not in ids
    assert ids["alcohol_drugs_given"].uncertain
    for h in hits[907]:
        assert text[h.start:h.end] == h.written

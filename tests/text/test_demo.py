"""On the demo scenario: extraction against the generator's truth, language of concern against
the planted victim-blaming phrases, and `lantern extract` itself (audited, stored)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lantern.cli import app
from lantern.store import Workspace, tables
from lantern.text.store import indicator_hits, latest_run

from ..conftest import copy_workspace
from .accuracy import found_mentions, scores, truth_mentions

runner = CliRunner()
FLOORS = {"phone": (0.95, 0.95), "vrm": (0.95, 0.95), "person": (0.9, 0.85), "nickname": (0.9, 0.9),
          "premises": (0.85, 0.85)}  # (precision, recall)


@pytest.fixture(scope="module")
def extracted(text_demo: Path, tmp_path_factory) -> Path:
    """A copy of the demo workspace after one `lantern extract`."""
    folder = tmp_path_factory.mktemp("extracted")
    copy_workspace(text_demo, folder)
    result = runner.invoke(app, ["--db", str(folder / "lantern.db"), "--user", "lead", "extract"])
    assert result.exit_code == 0, result.output
    (folder / "output.txt").write_text(result.output, encoding="utf-8")
    return folder


def test_extraction_precision_and_recall_per_kind_against_the_generator(extracted: Path, text_demo: Path):
    ws = Workspace(str(extracted / "lantern.db"))
    with ws.reader() as conn:
        found = found_mentions(conn, 1)
    ws.dispose()
    measured = scores(truth_mentions(text_demo / "scenario"), found)
    for kind, (precision, recall, true, got) in measured.items():
        print(f"{kind:10s} precision {precision:.3f} recall {recall:.3f} (truth {true}, found {got})")
    for kind, (p_floor, r_floor) in FLOORS.items():
        precision, recall, true, _ = measured[kind]
        assert true > 0, kind
        assert precision >= p_floor and recall >= r_floor, (kind, measured[kind])


def test_concern_phrases_match_the_planted_victim_blaming(extracted: Path, text_demo: Path):
    with (text_demo / "scenario" / "truth" / "victim_blaming.csv").open(encoding="utf-8") as fh:
        planted = {(r["source"], r["record_id"]) for r in csv.DictReader(fh)}
    ws = Workspace(str(extracted / "lantern.db"))
    m, r, s = tables.text_mentions, tables.records, tables.sources
    with ws.reader() as conn:
        run = latest_run(conn, 1)
        flagged = {(path.split("scenario/", 1)[-1], ref) for path, ref in conn.execute(
            select(s.c.file_path, r.c.source_record_id).join(r, r.c.id == m.c.record_id)
            .join(s, s.c.id == r.c.source_id).where(m.c.run_id == run, m.c.kind == "concern"))}
    ws.dispose()
    recall = len(planted & flagged) / len(planted)
    print(f"language of concern: recall {recall:.3f} of {len(planted)} planted records")
    assert planted and recall >= 0.9


def test_extract_is_audited_stored_and_prints_no_child_name(extracted: Path, text_demo: Path):
    ws = Workspace(str(extracted / "lantern.db"))
    with ws.reader() as conn:
        run = latest_run(conn, 1)
        stats = json.loads(conn.execute(select(tables.text_runs.c.stats_json)
                                        .where(tables.text_runs.c.id == run)).scalar_one())
        events = conn.execute(select(tables.audit_events.c.username, tables.audit_events.c.action,
                                     tables.audit_events.c.event_json)
                              .where(tables.audit_events.c.operation == "extract")).all()
        hits = indicator_hits(conn, 1)
        tm = tables.text_mentions
        negated = {(int(r), int(s)) for r, s in conn.execute(select(tm.c.record_id, tm.c.span_start).where(
            tm.c.run_id == run, tm.c.kind == "indicator", tm.c.negated.is_(True)))}
    ws.dispose()
    assert stats["texts"] > 0 and stats["by_kind"]["phone"] > 0
    mine = [e for e in events if f'"text:{run}"' in e.event_json]  # the demo extracted once before
    assert len(events) == 2 and len(mine) == 1 and mine[0].username == "lead" and mine[0].action == "COMBINE"
    # the scorer's view: indicators only, never negated ones, never concern phrases
    assert hits and all(h.indicator_id not in {"lifestyle_choice", "consent"} for v in hits.values() for h in v)
    assert not negated & {(h.record_id, h.start) for v in hits.values() for h in v}  # negated: never evidence
    with (text_demo / "scenario" / "truth" / "people.csv").open(encoding="utf-8") as fh:
        children = {f"{p['forename']} {p['surname']}" for p in csv.DictReader(fh) if p["is_child"] == "1"}
    output = (extracted / "output.txt").read_text(encoding="utf-8")
    assert "Language of concern" in output and "Mentions by kind" in output
    assert not [c for c in children if c in output]


def test_a_second_run_is_a_new_run_and_hits_come_from_the_latest(extracted: Path):
    db = str(extracted / "lantern.db")
    ws = Workspace(db)
    with ws.reader() as conn:
        before = latest_run(conn, 1)
    result = runner.invoke(app, ["--db", db, "--user", "lead", "extract"])
    assert result.exit_code == 0, result.output
    with ws.reader() as conn:
        after = latest_run(conn, 1)
        assert after is not None and before is not None and after > before
        counted = sum(len(v) for v in indicator_hits(conn, 1).values())
        stored = conn.execute(select(tables.text_mentions.c.id).where(
            tables.text_mentions.c.run_id == after, tables.text_mentions.c.kind == "indicator",
            tables.text_mentions.c.negated.is_(False))).all()
    ws.dispose()
    assert counted == len(stored)

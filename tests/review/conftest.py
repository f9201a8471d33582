from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert

from lantern.demo import run_demo
from lantern.settings import Settings
from lantern.store import Workspace, tables


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (run once): the review tests only read it, or copy it."""
    out = tmp_path_factory.mktemp("review-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out


def truth_rows(demo: Path, name: str) -> list[dict[str, str]]:
    with (demo / "scenario" / "truth" / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


class Case:
    """A tiny hand-made case written straight to the store: crimes, people, links, and a
    person resolution that says which records are the same person."""

    def __init__(self, conn: Connection, case_id: int) -> None:
        self.conn, self.case_id = conn, case_id
        self.next_record = 1
        self.sources: dict[str, int] = {}
        self.entity: dict[int, str] = {}

    def source(self, name: str) -> int:
        if name not in self.sources:
            self.sources[name] = int(self.conn.execute(insert(tables.sources).values(
                case_id=self.case_id, file_name=name, file_path=name, sha256=name.ljust(64, "0")[:64],
                size_bytes=1, format="csv", profile_name="hand", profile_sha256="0" * 64, rows_read=1,
                rows_loaded=1, rows_quarantined=0, loaded_at=datetime(2024, 1, 1), loaded_by="t",
                lantern_version="t")).inserted_primary_key[0])
        return self.sources[name]

    def record(self, schema: str, force: str, ref: str | None, entity: str | None = None, **values: str) -> int:
        rid = self.next_record
        self.next_record += 1
        self.conn.execute(insert(tables.records).values(
            id=rid, case_id=self.case_id, source_id=self.source(force), row_number=rid, alias=schema.lower(),
            schema=schema, namespace=f"hand.{force}.{schema.lower()}", source_record_id=ref))
        for prop, value in {"force": force, **values}.items():
            self.conn.execute(insert(tables.statements).values(record_id=rid, prop=prop, original=value, value=value))
        if entity is not None:
            self.entity[rid] = entity
        return rid

    def link(self, kind: str, a: int, b: int) -> None:
        self.conn.execute(insert(tables.links).values(case_id=self.case_id, source_id=1, row_number=1, type=kind,
                                                      from_record_id=a, to_record_id=b))

    def crime(self, force: str, ref: str, day: str, outcome: str, suspects: list[tuple[str, dict[str, str]]],
              victim: tuple[str, dict[str, str]] | None = None, summary: str = "") -> list[int]:
        """One crime row per suspect, as the exports write them; returns the crime records."""
        crimes = []
        for entity, values in suspects or [("", {})]:
            crime = self.record("Crime", force, ref, reference=ref, date=day, reported_date=day, outcome=outcome,
                                outcome_date="2024-06-01", status="open" if outcome == "ongoing" else "closed",
                                **({"summary": summary} if summary else {}))
            crimes.append(crime)
            if entity:
                self.link("suspect-in", self.record("Person", force, f"{force}-{entity}", entity, **values), crime)
            if victim is not None:
                self.link("victim-in", self.record("Person", force, f"{force}-{victim[0]}", victim[0], **victim[1]),
                          crime)
        return crimes

    def event(self, schema: str, force: str, ref: str, day: str, entity: str, link: str = "subject-of",
              **values: str) -> int:
        event = self.record(schema, force, ref, reference=ref, date=day, **values)
        self.link(link, self.record("Person", force, f"{force}-{entity}-{ref}", entity), event)
        return event

    def resolve(self) -> None:
        run = self.conn.execute(insert(tables.resolution_runs).values(
            case_id=self.case_id, schema="Person", algorithm_version="hand", engine="hand", threshold=0.9,
            model_json="{}", stats_json=json.dumps({}), run_by="t", started_at=datetime(2024, 1, 1),
            finished_at=datetime(2024, 1, 1))).inserted_primary_key[0]
        for record, entity in self.entity.items():
            self.conn.execute(insert(tables.resolution_clusters).values(run_id=run, record_id=record, entity_id=entity))


@pytest.fixture
def hand_case(sqlite_workspace: Workspace) -> Iterator[tuple[Workspace, Case]]:
    with sqlite_workspace.writer() as conn:
        yield sqlite_workspace, Case(conn, sqlite_workspace.case_id(conn))

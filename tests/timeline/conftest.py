from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection

from lantern.demo import run_demo
from lantern.settings import Settings
from lantern.store import Workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (scenario, ingest, resolution, network), built once for these tests."""
    out = tmp_path_factory.mktemp("timeline-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out


@pytest.fixture(scope="session")
def conn(demo: Path) -> Iterator[Connection]:
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as connection:
        yield connection
    ws.dispose()


@pytest.fixture(scope="session")
def truth(demo: Path) -> dict[tuple[str, str], str]:
    """(source file under the scenario, the record's own id) -> the planted person."""
    with (demo / "scenario" / "truth" / "record_to_person.csv").open() as fh:
        return {(r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader(fh)}


@pytest.fixture(scope="session")
def person_records(conn: Connection, truth) -> dict[str, list[tuple[int, str, str]]]:
    """Planted person -> their Person records as (record id, resolved entity, source file)."""
    rows = conn.exec_driver_sql(
        "SELECT r.id, c.entity_id, s.file_path, r.source_record_id FROM resolution_clusters c "
        "JOIN records r ON r.id = c.record_id JOIN sources s ON s.id = r.source_id "
        "WHERE c.run_id = (SELECT max(id) FROM resolution_runs WHERE schema = 'Person')").all()
    out: dict[str, list[tuple[int, str, str]]] = {}
    for record, entity, path, own in rows:
        source = path.split("scenario/", 1)[-1]
        if person := truth.get((source, own)):
            out.setdefault(person, []).append((int(record), entity, source))
    return out

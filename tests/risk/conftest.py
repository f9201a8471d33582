from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings
from lantern.store import Workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (run once): the risk tests only read it, or copy it."""
    out = tmp_path_factory.mktemp("risk-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out


@pytest.fixture(scope="session")
def person_of_entity(demo: Path) -> dict[str, str]:
    """Each resolved person entity of the demo -> the planted person most of its records are."""
    with (demo / "scenario" / "truth" / "record_to_person.csv").open() as fh:
        truth = {(r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader(fh)}
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.entity_id, s.file_path, r.source_record_id FROM resolution_clusters c "
            "JOIN records r ON r.id = c.record_id JOIN sources s ON s.id = r.source_id "
            "WHERE c.run_id = (SELECT max(id) FROM resolution_runs WHERE schema = 'Person')").all()
    ws.dispose()
    votes: dict[str, Counter[str]] = {}
    for entity, path, source_id in rows:
        person = truth.get((path.split("scenario/", 1)[-1], source_id))
        if person:
            votes.setdefault(entity, Counter())[person] += 1
    return {entity: c.most_common(1)[0][0] for entity, c in votes.items()}


def truth_ids(demo: Path, name: str) -> set[str]:
    with (demo / "scenario" / "truth" / f"{name}.csv").open() as fh:
        return {r["person_id"] for r in csv.DictReader(fh)}


@pytest.fixture(scope="session")
def facts(demo: Path):
    """The demo case's facts as the scorer reads them, and the network run they came from."""
    from lantern.risk.read import read_case

    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        found = read_case(conn, ws.case_id(conn))
    ws.dispose()
    return found

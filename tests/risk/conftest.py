from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings
from lantern.store import Workspace

from ..conftest import planted_person_of_entity


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (run once): the risk tests only read it, or copy it."""
    out = tmp_path_factory.mktemp("risk-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out


@pytest.fixture(scope="session")
def person_of_entity(demo: Path) -> dict[str, str]:
    """Each resolved person entity of the demo -> the planted person most of its records are."""
    return planted_person_of_entity(demo)


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

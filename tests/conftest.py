"""Fixtures: every store test runs against a real SQLite file and a real PostgreSQL database.

PostgreSQL comes from LANTERN_TEST_PG (default: the local server on 127.0.0.1:5432, as
`.ci/run` starts it). Each test gets a fresh database, dropped afterwards. Without a server
the PostgreSQL half is skipped, unless LANTERN_REQUIRE_PG=1 (set by CI) makes that a failure.
"""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import uuid
from collections import Counter

# Rich sizes its consoles when lantern.cli is imported: wide enough that no cell is folded.
os.environ.setdefault("COLUMNS", "200")
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from lantern.store import Workspace

PG_ADMIN_URL = os.environ.get("LANTERN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("LANTERN_REQUIRE_PG") == "1"
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin():
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (LANTERN_REQUIRE_PG=1) but unreachable: {exc.orig}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")
    return engine


@pytest.fixture(scope="session")
def pg_admin():
    engine = _pg_admin()
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workspace.db'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"lantern_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def workspace(db_url: str) -> Iterator[Workspace]:
    ws = Workspace(db_url)
    ws.init()
    yield ws
    ws.dispose()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace(f"sqlite:///{tmp_path / 'workspace.db'}")
    ws.init()
    yield ws
    ws.dispose()


def copy_workspace(source: Path, target: Path, name: str = "lantern.db") -> Path:
    """A consistent copy of a SQLite workspace folder's database (through SQLite's backup API,
    so what is still in the write-ahead log comes too) and its keys, for a test to change."""
    target.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source / name) as src, sqlite3.connect(target / name) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    shutil.copytree(source / f"{name}.keys", target / f"{name}.keys", dirs_exist_ok=True)
    return target / name


def planted_person_of_entity(demo: Path) -> dict[str, str]:
    """Each resolved person entity of a demo workspace -> the planted person most of its
    records are (by the generator's truth/record_to_person.csv)."""
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

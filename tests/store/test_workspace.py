"""The workspace: migrations on both backends, SQLite durability settings, clear failures."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, select

from lantern.errors import LanternError
from lantern.store import DEFAULT_CASE, Workspace, tables
from lantern.store import workspace as workspace_module


def test_init_creates_every_table_and_is_idempotent(db_url):
    workspace = Workspace(db_url)
    assert workspace.revision() is None or workspace.dialect == "postgresql"
    assert workspace.init() is True
    assert workspace.init() is False
    assert workspace.revision() == workspace.head_revision()
    names = set(inspect(workspace.engine).get_table_names())
    assert {t.name for t in tables.metadata.sorted_tables} <= names
    with workspace.reader() as conn:
        assert conn.scalars(select(tables.cases.c.name)).all() == [DEFAULT_CASE]
    workspace.dispose()


def test_sqlite_is_durable_wal(sqlite_workspace):
    with sqlite_workspace.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_missing_workspace_is_a_clear_error(tmp_path):
    with pytest.raises(LanternError, match="no Lantern workspace .* run `lantern init` first"):
        Workspace(str(tmp_path / "nothing.db")).require()
    with pytest.raises(LanternError, match="does not exist"):
        Workspace(str(tmp_path / "no" / "such" / "folder.db")).init()


def test_urls_are_normalised():
    assert Workspace("plain.db").url == "sqlite:///plain.db"
    assert Workspace("postgresql://u@h/db").url == "postgresql+psycopg://u@h/db"
    with pytest.raises(LanternError, match="unsupported database 'mysql'"):
        Workspace("mysql://u@h/db")


def test_a_failed_write_rolls_back(workspace):
    with pytest.raises(RuntimeError), workspace.writer() as conn:
        conn.execute(tables.cases.insert().values(name="other", status="open",
                                                  created_at=tables.cases.c.created_at.type.python_type.now()))
        raise RuntimeError("simulated failure after a write")
    with workspace.reader() as conn:
        assert conn.scalars(select(tables.cases.c.name)).all() == [DEFAULT_CASE]


def _add_case(conn, name: str) -> None:
    conn.execute(tables.cases.insert().values(name=name, status="open",
                                              created_at=tables.cases.c.created_at.type.python_type.now()))


def test_many_threads_writing_at_once_all_commit(workspace):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with workspace.writer() as conn:
                _add_case(conn, f"case-{n}")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with workspace.reader() as conn:
        assert len(conn.scalars(select(tables.cases.c.name)).all()) == 25  # the default case and 24


def test_a_writer_kept_waiting_too_long_gets_a_clear_error_and_the_next_one_gets_in(sqlite_workspace, monkeypatch):
    monkeypatch.setattr(workspace_module, "BUSY_SECONDS", 0.2)
    holding, release = threading.Event(), threading.Event()

    def long_import() -> None:
        with sqlite_workspace.writer() as conn:
            _add_case(conn, "long")
            holding.set()
            release.wait(10)

    importer = threading.Thread(target=long_import)
    importer.start()
    assert holding.wait(10)
    with pytest.raises(LanternError, match="busy writing"), sqlite_workspace.writer() as conn:
        _add_case(conn, "too-soon")
    release.set()
    importer.join()
    with sqlite_workspace.writer() as conn:
        _add_case(conn, "later")
    with sqlite_workspace.reader() as conn:
        assert sorted(conn.scalars(select(tables.cases.c.name)).all()) == [DEFAULT_CASE, "later", "long"]

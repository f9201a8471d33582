"""The workspace: migrations on both backends, SQLite durability settings, clear failures."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from lantern.errors import LanternError
from lantern.store import DEFAULT_CASE, Workspace, tables


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

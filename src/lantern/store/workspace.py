"""A workspace: one Lantern database, SQLite (embedded default) or PostgreSQL (server).

SQLite runs in WAL mode with ``synchronous=FULL`` so an acknowledged commit survives a power
cut; transactions are real ones (SQLAlchemy's recommended pysqlite set-up), and writers that
allocate ids take the write lock up front so two imports cannot race.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from lantern.errors import LanternError
from lantern.store import tables

DEFAULT_CASE = "default"
BUSY_SECONDS = 30  # how long a writer waits for another to finish before giving up


def normalise_url(url: str) -> str:
    """Accept a bare file path for SQLite and plain ``postgresql://`` URLs (psycopg 3)."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB: index upkeep in big loads
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        writer = conn.get_execution_options().get("lantern_writer", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def utcnow() -> datetime:
    """Now, in UTC, without a zone: how every timestamp is stored on both backends."""
    return datetime.now(UTC).replace(tzinfo=None)


class Workspace:
    """A connection to one workspace's database."""

    def __init__(self, url: str, connections: int | None = None) -> None:
        """``connections``: how many may be open at once (a server's threads; default 5 + 10)."""
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise LanternError(f"not a database URL: {url!r}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise LanternError(f"unsupported database {self.dialect!r}: use SQLite or PostgreSQL")
        self.path = Path(parsed.database) if self.dialect == "sqlite" and parsed.database else None
        pool = {"pool_size": connections, "max_overflow": connections} if connections else {}
        self.engine = create_engine(self.url, **pool)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        # SQLite's busy handler makes a waiting writer sleep and poll (up to 100 ms a try), so
        # under many threads the lock sits idle between holders and some wait for seconds:
        # this process's writers queue on a lock of its own instead. Other processes still meet
        # SQLite's lock (busy_timeout); PostgreSQL's advisory lock already queues waiters.
        self._sqlite_writers = threading.RLock() if self.dialect == "sqlite" else None

    def __repr__(self) -> str:
        return f"Workspace({self.display_url!r})"

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def _alembic_config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("lantern.store").joinpath("migrations"))
        )
        config.attributes["connection"] = connection
        return config

    def init(self) -> bool:
        """Create or upgrade the workspace's tables. Returns True if it was created."""
        if self.path is not None and self.path.parent and not self.path.parent.exists():
            raise LanternError(f"folder {self.path.parent} does not exist")
        created = self.revision() is None
        with self.engine.begin() as conn:
            command.upgrade(self._alembic_config(conn), "head")
        with self.writer() as conn:
            if (
                conn.scalar(select(tables.cases.c.id).where(tables.cases.c.name == DEFAULT_CASE))
                is None
            ):
                conn.execute(
                    insert(tables.cases).values(
                        name=DEFAULT_CASE, status="open", created_at=utcnow()
                    )
                )
        return created

    def revision(self) -> str | None:
        if self.path is not None and not self.path.exists():
            return None
        try:
            with self.engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise LanternError(f"cannot open workspace {self.display_url}: {exc.orig}") from exc

    def head_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return ScriptDirectory.from_config(self._alembic_config(conn)).get_current_head()

    def require(self) -> Workspace:
        """Fail with a clear message unless the workspace exists and is up to date."""
        current = self.revision()
        if current is None:
            raise LanternError(
                f"no Lantern workspace at {self.display_url}: run `lantern init` first"
            )
        if current != self.head_revision():
            raise LanternError(
                f"workspace {self.display_url} is at schema {current}: run `lantern init` to upgrade"
            )
        return self

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read_only(self) -> Iterator[Connection]:
        """A transaction that can only read: one snapshot, no lock that holds writers back, and
        any attempt to write fails instead of slipping past the audit."""
        sqlite = self.dialect == "sqlite"
        with self.engine.connect() as conn:
            try:
                with conn.begin():
                    conn.exec_driver_sql("PRAGMA query_only = ON" if sqlite
                                         else "SET TRANSACTION READ ONLY")
                    yield conn
            finally:
                if sqlite:  # the connection goes back to the pool: let it write again
                    conn.exec_driver_sql("PRAGMA query_only = OFF")
                    conn.commit()

    @contextmanager
    def writer(self) -> Iterator[Connection]:
        """One transaction holding the workspace's write lock until it commits."""
        with self._queue_for_writing(), self.engine.connect() as conn:
            conn = conn.execution_options(lantern_writer=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7418003)")
                yield conn

    @contextmanager
    def _queue_for_writing(self) -> Iterator[None]:
        if self._sqlite_writers is None:
            yield
            return
        if not self._sqlite_writers.acquire(timeout=BUSY_SECONDS):
            raise LanternError(f"the workspace has been busy writing for over {BUSY_SECONDS} s "
                               "(a long import?): try again when it has finished")
        try:
            yield
        finally:
            self._sqlite_writers.release()

    def refresh_statistics(self) -> None:
        """Let the query planner see the tables' sizes again after a bulk load. Without it
        SQLite may pick the (prop, value) index over the record index and scan millions of
        statements to read one person's (a profile: 4.8 s instead of 0.14 s at 1M records)."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sampled: tens of ms
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def case_id(self, conn: Connection, name: str = DEFAULT_CASE) -> int:
        found = conn.scalar(select(tables.cases.c.id).where(tables.cases.c.name == name))
        if found is None:
            raise LanternError(f"no case named {name!r}")
        return int(found)

    @staticmethod
    def next_id(conn: Connection, table: Any) -> int:
        """The next free id; safe only inside :meth:`writer`, which holds the write lock."""
        return int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1

    def dispose(self) -> None:
        self.engine.dispose()


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])

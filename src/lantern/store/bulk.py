"""Bulk writes for ingest: the database's own fast path, inside the caller's transaction.

SQLite takes a plain DB-API ``executemany``; PostgreSQL takes ``COPY ... FROM STDIN``
(psycopg 3). Both skip SQLAlchemy's per-row parameter processing, which dominated the cost
of loading a million rows. Table and column names come from the SQLAlchemy ``Table``, never
from input, so the statements below cannot be steered by data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    for name in columns:
        table.c[name]  # noqa: B018 - raises KeyError for a column the table lacks
    dbapi: Any = conn.connection.dbapi_connection
    column_list = ", ".join(columns)
    cursor = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table.name} ({column_list}) VALUES ({placeholders})", rows)  # noqa: S608
    finally:
        cursor.close()

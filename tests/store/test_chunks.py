"""Long id lists go to the database in pieces: a national case has millions of records."""

from __future__ import annotations

from sqlalchemy import select

from lantern.store import tables
from lantern.store.chunks import PARAMETERS, in_chunks, unindexed


def test_chunks_are_distinct_sorted_and_small_enough():
    values = [5, 3, 3, *range(10, 10 + 2 * PARAMETERS)]
    pieces = list(in_chunks(values))
    assert [v for piece in pieces for v in piece] == sorted(set(values))
    assert all(len(piece) <= PARAMETERS for piece in pieces) and len(pieces) == 3
    assert list(in_chunks([])) == []


def test_a_chunk_is_a_statement_the_database_takes(workspace):
    """One chunk's worth of ids in one IN list, on both stores."""
    ids = range(1, PARAMETERS * 3)
    with workspace.reader() as conn:
        found = [conn.execute(select(tables.records.c.id).where(tables.records.c.id.in_(chunk))).all()
                 for chunk in in_chunks(ids)]
    assert len(found) == 3 and all(rows == [] for rows in found)


def test_a_property_asked_for_a_chunk_of_records_is_looked_up_by_record(sqlite_workspace):
    """SQLite would otherwise scan every statement of the property for each chunk (seconds each
    at national scale): the plan must go through the record index."""
    s = tables.statements
    query = select(s.c.value).where(unindexed(s.c.prop).in_(["date"]), s.c.record_id.in_([1, 2, 3]))
    with sqlite_workspace.reader() as conn:
        conn.exec_driver_sql("ANALYZE")
        plan = " ".join(str(row) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + str(query.compile(compile_kwargs={"literal_binds": True}))))
    assert "record_id" in plan and "prop_value" not in plan

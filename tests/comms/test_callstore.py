"""`lantern calls load`: large CDRs kept by DuckDB beside the workspace, registered as sources,
audited, read by every `calls` analysis and by the network, erased with the case."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lantern.cli import app
from lantern.comms.bulk import QNET, ROW_STRIDE
from lantern.comms.callstore import CallStore, load_bulk
from lantern.comms.frame import load_frame
from lantern.graph.build import build_network, person_entities
from lantern.store import Workspace, tables

from ..conftest import copy_workspace
from .test_bulk import QNET_HEADER, QNET_ROWS, _write

runner = CliRunner()


@pytest.fixture
def copy_of_demo(comms_demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo workspace (with its keys) that a test may change."""
    copy_workspace(comms_demo, tmp_path)
    return tmp_path


def _lantern(ws: Path, *args: str, ok: bool = True):
    result = runner.invoke(app, ["--db", str(ws / "lantern.db"), "--user", "lead", *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def _number_of(conn, entity: str) -> str:
    """A phone number that only this person's records give."""
    entity_of = person_entities(conn, 1)
    s = tables.statements
    users: dict[str, set[str]] = {}
    for record, number in conn.execute(select(s.c.record_id, s.c.value).where(
            s.c.prop == "phone", s.c.record_id.in_(list(entity_of)))):
        users.setdefault(number, set()).add(entity_of[int(record)])
    return next(n for n, people in sorted(users.items()) if people == {entity})


def test_reloading_the_demo_cdrs_in_bulk_adds_no_call_twice(copy_of_demo: Path, comms_demo: Path, tmp_path: Path):
    """The demo's CDRs are in the store already: loaded again in bulk (a copy: the file itself
    is refused as already loaded), every call merges with the store's (same numbers, start and
    duration), so counts stay and records gain the rows."""
    ws = Workspace(str(copy_of_demo / "lantern.db"))
    with ws.reader() as conn:
        before = load_frame(conn, 1)
        calls_before = before.count("calls")
        top = before.rows("SELECT a, count(*) FROM calls GROUP BY a ORDER BY 2 DESC, 1 LIMIT 1")[0]
    original = comms_demo / "scenario" / "comms" / "cdr_qnet.csv"
    assert "already loaded" in _lantern(copy_of_demo, "calls", "load", str(original), "--layout", "qnet").output
    cdr = tmp_path / "cdr_qnet_copy.csv"
    cdr.write_bytes(original.read_bytes() + b"\r\n")
    out = _lantern(copy_of_demo, "calls", "load", str(cdr), "--layout", "qnet").output
    assert "source #" in out and "rows rejected" in out
    again = _lantern(copy_of_demo, "calls", "load", str(cdr), "--layout", "QNET").output
    assert "already loaded" in again

    store = CallStore.for_workspace(ws, None)
    assert store.path(1).is_file()
    with ws.reader() as conn:
        source = conn.execute(select(tables.sources).where(tables.sources.c.format == "cdr")).one()
        after = load_frame(conn, 1, bulk=store)
        assert after.count("calls") == calls_before
        assert after.rows("SELECT count(*) FROM calls WHERE a = ?", [top[0]])[0][0] == top[1]
        bulk_rows = after.rows("SELECT count(*) FROM calls WHERE list_max(records) >= ?", [ROW_STRIDE])[0][0]
        assert bulk_rows > 1000
        # every bulk-only call would be one the store lacks: there are none
        assert after.rows("SELECT count(*) FROM calls WHERE list_min(records) >= ?", [ROW_STRIDE])[0][0] == 0
        after.close()
        net = build_network(conn, 1, bulk=store)
        plain = build_network(conn, 1)
    assert source.rows_read == source.rows_loaded + source.rows_quarantined and source.rows_quarantined > 0
    assert source.profile_name == "cdr-qnet" and source.loaded_by == "lead"
    called = {k: e.count for k, e in net.edges.items() if k[2] == "called"}
    assert called == {k: e.count for k, e in plain.edges.items() if k[2] == "called"}

    rejected = _lantern(copy_of_demo, "calls", "rejected", str(source.id)).output
    assert f"Rejected rows of CDR source #{source.id} ({source.rows_quarantined})" in rejected
    with ws.reader() as conn:
        logged = dict(conn.exec_driver_sql(
            "SELECT operation, event_json FROM audit_events WHERE operation IN ('calls load', 'calls rejected')").all())
    assert f"source:{source.id}" in logged["calls load"] and f"source:{source.id}" in logged["calls rejected"]


def test_new_calls_in_a_bulk_cdr_reach_the_analyses_and_the_network(copy_of_demo: Path, tmp_path: Path):
    ws = Workspace(str(copy_of_demo / "lantern.db"))
    with ws.reader() as conn:
        people = sorted(set(person_entities(conn, 1).values()))
        plain = build_network(conn, 1)
        linked = {p for k in plain.edges for p in k[:2]}
        a, b = [p for p in people if p not in linked and _has_own_number(conn, p)][:2]
        na, nb = _number_of(conn, a), _number_of(conn, b)
    rows = [f"X{i},{na},{na},{nb},VOICE,0{i + 1}/06/2025 23:1{i}:00,60,353911100099999,234150000099999,C1,C1"
            for i in range(4)]
    _lantern(copy_of_demo, "calls", "load", str(_write(tmp_path / "new.csv", QNET_HEADER, rows)),
             "--layout", "qnet")
    top = _lantern(copy_of_demo, "calls", "top", na).output
    assert nb in top and "4" in top.split(nb)[1].split("\n")[0]

    store = CallStore.for_workspace(ws, None)
    with ws.reader() as conn:
        net = build_network(conn, 1, bulk=store)
        source = conn.scalar(select(tables.sources.c.id).where(tables.sources.c.file_name == "new.csv"))
    edge = net.edges[(*sorted((a, b)), "called")]
    assert edge.count == 4 and edge.night == 4
    assert edge.first == "2025-06-01T23:10:00" and edge.last == "2025-06-04T23:13:00"
    assert edge.evidence == [source * ROW_STRIDE + row for row in (2, 3, 4, 5)]  # the CDR's own lines
    assert set(net.edges) > set(plain.edges)


def _has_own_number(conn, entity: str) -> bool:
    try:
        _number_of(conn, entity)
    except StopIteration:
        return False
    return True


def test_an_orphaned_load_is_ignored_and_replaced(sqlite_workspace: Workspace, tmp_path: Path):
    """A DuckDB load whose store transaction never committed leaves rows no source vouches
    for: readers leave them out, and the next load under that number replaces them."""
    store = CallStore(tmp_path / "data")
    cdr = _write(tmp_path / "qnet.csv", QNET_HEADER, QNET_ROWS)
    with pytest.raises(RuntimeError), sqlite_workspace.writer() as conn:
        load_bulk(conn, store, 1, cdr, QNET, "lead")
        raise RuntimeError("the store's transaction fails after DuckDB committed")
    with duckdb.connect(str(store.path(1))) as db:
        assert db.execute("SELECT count(*) FROM calls").fetchone()[0] > 0
    with sqlite_workspace.reader() as conn, load_frame(conn, 1, bulk=store) as frame:
        assert frame.count("calls") == 0
    with sqlite_workspace.writer() as conn:
        done = load_bulk(conn, store, 1, cdr, QNET, "lead")
    assert done.result is not None and not done.duplicate
    with sqlite_workspace.reader() as conn, load_frame(conn, 1, bulk=store) as frame:
        assert frame.count("calls") == done.result.calls_added
    with duckdb.connect(str(store.path(1))) as db:
        assert db.execute("SELECT count(*) FROM cdr_files").fetchone()[0] == 1


def test_disposal_erases_the_bulk_calls(copy_of_demo: Path, comms_demo: Path):
    cdr = copy_of_demo / "vireo.csv"
    cdr.write_bytes((comms_demo / "scenario" / "comms" / "cdr_vireo.csv").read_bytes() + b"\r\n")
    _lantern(copy_of_demo, "calls", "load", str(cdr), "--layout", "vireo")
    data = copy_of_demo / "lantern.db.data" / "case-1-calls.duckdb"
    assert data.is_file()
    _lantern(copy_of_demo, "case", "review", "default", "--decision", "dispose", "--rationale", "test")
    assert not data.exists()
    ws = Workspace(str(copy_of_demo / "lantern.db"))
    with ws.reader() as conn:
        erased = conn.exec_driver_sql("SELECT event_json FROM audit_events WHERE action = 'ERASE'").scalar_one()
    assert '"bulk_call_bytes":' in erased


def test_a_bad_layout_or_a_missing_file_is_a_clear_error(copy_of_demo: Path, tmp_path: Path):
    wrong = _lantern(copy_of_demo, "calls", "load", str(tmp_path / "x.csv"), "--layout", "fax", ok=False)
    assert wrong.exit_code == 1 and "no CDR layout 'fax'" in wrong.output and "Traceback" not in wrong.output
    gone = _lantern(copy_of_demo, "calls", "load", str(tmp_path / "x.csv"), "--layout", "qnet", ok=False)
    assert gone.exit_code == 1 and "no such file" in gone.output
    other = _write(tmp_path / "other.csv", "A,B\n", ["1,2"])
    refused = _lantern(copy_of_demo, "calls", "load", str(other), "--layout", "qnet", ok=False)
    assert "not a Qnet CDR" in refused.output

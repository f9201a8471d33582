"""Bulk CDR loading with DuckDB: hand-made rows in both provider layouts, and the demo's own
CDRs against the store-built frame."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from lantern.comms import phones
from lantern.comms.bulk import QNET, ROW_STRIDE, VIREO, Reject, load_cdr
from lantern.comms.frame import CommsFrame, load_frame
from lantern.comms.switches import likely_switches
from lantern.errors import LanternError
from lantern.store import Workspace, tables

QNET_HEADER = "RECORD_ID,TARGET,A_NUMBER,B_NUMBER,CALL_TYPE,START,DURATION,IMEI,IMSI,FIRST_CELL,LAST_CELL"
QNET_ROWS = [  # row 2 onwards; target +447700900001, whose handset changes on 10 March
    "QN1,07700900001,07700 900001,+44 (0)7700 900002,VOICE,01/03/2024 20:00:00,120,353911100000001,234150000000001,C1,C2",
    "QN2,07700900001,0044-7700-900003,07700900001,sms,01/03/2024 20:05:00,0,353911100000001,234150000000001,C1,C1",
    "QN3,07700900001,07700900001,,VOICE,01/03/2024 21:00:00,5,353911100000001,234150000000001,C1,C1",
    "QN4,07700900001,07700900001,07700900004,VOICE,31/02/2024 10:00:00,5,353911100000001,234150000000001,C1,C1",
    'QN5,07700900001,"=HYPERLINK(""http://x"",""call"")",07700900001,VOICE,02/03/2024 10:00:00,5,,,C1,C1',
    "QN6,07700900001,07700900001,07700900005,VOICE,02/03/2024 09:00:00,60,353911100000001,234150000000001,=1+2,C1",
    "QN7,07700900001,07700900001,447700900002,VOICE,03/03/2024 12:00:00,30,353911100000001,234150000000001,C1,C2",
    ",07700900001,07700900001,07700900002,VOICE,03/03/2024 13:00:00,30,353911100000001,234150000000001,C1,C1",
    "QN9,07700900001,07700900001,07700900002,FAX,03/03/2024 14:00:00,30,353911100000001,234150000000001,C1,C1",
    "QN10,07700900001,07700900001,,DATA,03/03/2024 15:00:00,600,353911100000001,234150000000001,C3,C3",
    "QN11,07700900001,07700900001,07700900002,VOICE,03/03/2024 16:00:00,30,353911100000001,234150000000001,C1,C1,see notes",
    "QN12,07700900001,7700900002,07700900001,VOICE,10/03/2024 09:00:00,00:02:05,35391110000001-9,234150000000001,C1,C1",
    "QN13,07700900001,07700900001,07700900003,SMS,11/03/2024 09:00:00,0,353911100000019,234150000000001,C1,C1",
]
VIREO_HEADER = ("REC_SEQ|SUBSCRIBER_MSISDN|CALLING_NUMBER|CALLED_NUMBER|CALL_DATE|CALL_TIME|DURATION_SECS|EVENT|"
                "IMEI|IMSI|CELL_ID_START|CELL_ID_END")
VIREO_ROWS = [  # target +447700900002; its row 2 is Qnet's QN7 seen from the other end
    "1|447700900002|447700900001|447700900002|20240303|120000|30|V|353287110000002|234200000000002|30011|30012",
    "2|447700900002|447700900002|447700900009|20240230|100000|10|V|353287110000002|234200000000002|30011|30011",
    "3|447700900002|447700900002||20240304|100000|0|S|353287110000002|234200000000002|30011|30011",
    "4|447700900002|+44 7700 900006|447700900002|20240304|101500|0|S|353287110000002|234200000000002|30011|30011",
    "5|447700900002|447700900002|447700900006|20240304|101600|12|V|353287110000002|234200000000002|30011|3001\udcff",
]


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8", errors="surrogateescape")
    return path


@pytest.fixture
def loaded(tmp_path) -> tuple[duckdb.DuckDBPyConnection, list]:
    db = duckdb.connect()
    results = [load_cdr(db, _write(tmp_path / "qnet.csv", QNET_HEADER, QNET_ROWS), QNET),
               load_cdr(db, _write(tmp_path / "vireo.csv", VIREO_HEADER, VIREO_ROWS), VIREO)]
    return db, results


def _rid(file_no: int, row: int) -> int:
    return file_no * ROW_STRIDE + row


def test_hand_made_rows_load_clean_or_are_rejected_with_row_field_and_reason(loaded):
    db, (qnet, vireo) = loaded
    assert (qnet.file_no, qnet.rows, qnet.rejected) == (1, 13, 6)
    assert qnet.rejects == [
        Reject(4, "B_NUMBER", "missing"),
        Reject(5, "START", "not a date and time in %d/%m/%Y %H:%M:%S: 31/02/2024 10:00:00"),
        Reject(6, "A_NUMBER", 'not a phone number: =HYPERLINK("http://x","call")'),
        Reject(9, "RECORD_ID", "missing"),
        Reject(10, "CALL_TYPE", "not a known event type (VOICE, V, SMS, S, MMS, DATA, D, GPRS): FAX"),
        Reject(12, "", "more fields than the header"),
    ]
    # Seven calls, and the data session (no B number) is an observation only.
    assert (qnet.calls_added, qnet.calls_merged, qnet.observations) == (6, 0, 7)
    assert (vireo.file_no, vireo.rows, vireo.rejected) == (2, 5, 3)
    assert vireo.rejects == [
        Reject(3, "CALL_DATE", "not a date and time in %Y%m%d %H%M%S: 20240230 100000"),
        Reject(4, "CALLED_NUMBER", "missing"),
        Reject(6, "CELL_ID_END", "bytes that do not decode"),
    ]
    assert (vireo.calls_added, vireo.calls_merged, vireo.observations) == (1, 1, 2)
    # Every reject is kept, with the row as read.
    assert db.execute("SELECT count(*) FROM rejected").fetchone()[0] == 9
    assert db.execute("SELECT line FROM rejected WHERE file_no = 1 AND row_no = 6").fetchone() == (
        'QN5,07700900001,=HYPERLINK("http://x","call"),07700900001,VOICE,02/03/2024 10:00:00,5,,,C1,C1',)
    assert db.execute("SELECT rows, rejected, provider FROM cdr_files ORDER BY file_no").fetchall() == [
        (13, 6, "Qnet"), (5, 3, "Vireo")]


def test_numbers_are_e164_and_the_same_call_in_both_providers_is_one_row(loaded):
    db, _ = loaded
    calls = db.execute('SELECT a, b, kind, "at", duration, records FROM calls ORDER BY call_id').fetchall()
    one, two = "+447700900001", "+447700900002"
    assert calls == [
        (one, two, "voice", datetime(2024, 3, 1, 20, 0), 120.0, [_rid(1, 2)]),
        ("+447700900003", one, "sms", datetime(2024, 3, 1, 20, 5), 0.0, [_rid(1, 3)]),
        (one, "+447700900005", "voice", datetime(2024, 3, 2, 9, 0), 60.0, [_rid(1, 7)]),
        (one, two, "voice", datetime(2024, 3, 3, 12, 0), 30.0, [_rid(1, 8), _rid(2, 2)]),
        (two, one, "voice", datetime(2024, 3, 10, 9, 0), 125.0, [_rid(1, 13)]),  # 7700900002: lost its 0
        (one, "+447700900003", "sms", datetime(2024, 3, 11, 9, 0), 0.0, [_rid(1, 14)]),
        ("+447700900006", two, "sms", datetime(2024, 3, 4, 10, 15), 0.0, [_rid(2, 5)]),
    ]


def test_observations_keep_each_targets_handset_sim_and_cells(loaded):
    db, _ = loaded
    per_target = dict(db.execute("SELECT target, count(*) FROM observations GROUP BY 1").fetchall())
    assert per_target == {"+447700900001": 7, "+447700900002": 2}
    assert db.execute("SELECT other, cell_start, cell_end FROM observations WHERE record_id = ?",
                      [_rid(1, 11)]).fetchone() == (None, "C3", "C3")  # the data session
    # A formula-looking cell id is data: kept as written (exports make it inert), never evaluated.
    assert db.execute("SELECT cell_start FROM observations WHERE record_id = ?",
                      [_rid(1, 7)]).fetchone() == ("=1+2",)
    assert db.execute("SELECT imei FROM observations WHERE record_id = ?",
                      [_rid(1, 13)]).fetchone() == ("353911100000019",)


def test_a_bulk_frame_answers_the_phone_and_switch_analyses(loaded):
    db, _ = loaded
    frame = CommsFrame(db, 1)
    top = phones.top_contacts(frame, "+447700900001")
    assert [(c.number, c.calls, c.messages) for c in top] == [
        ("+447700900002", 3, 0), ("+447700900003", 0, 2), ("+447700900005", 1, 0)]
    switches = likely_switches(frame)
    assert [(s.kind, s.old_number, s.old_device, s.new_device, s.records) for s in switches] == [
        ("handset", "+447700900001", "353911100000001", "353911100000019", [_rid(1, 13)])]


def test_a_file_of_another_layout_is_refused_before_anything_loads(tmp_path):
    db = duckdb.connect()
    with pytest.raises(LanternError, match="not a Vireo CDR: no column REC_SEQ"):
        load_cdr(db, _write(tmp_path / "qnet.csv", QNET_HEADER, QNET_ROWS), VIREO)


def test_the_demo_cdrs_give_the_calls_the_store_frame_has_from_them(comms_demo):
    """Each CDR-sourced call of the store frame (voice or sms), with the CDR rows behind it,
    is exactly a bulk-loaded call; and so are the rejects and the observations per target."""
    ws = Workspace(str(comms_demo / "lantern.db"))
    with ws.reader() as conn:
        frame = load_frame(conn, 1)
        r = tables.records
        namespaces = {"synth.qnet.cdr": "cdr_qnet.csv", "synth.vireo.cdr": "cdr_vireo.csv"}
        source = {int(i): (namespaces[ns], int(row)) for i, ns, row in conn.execute(
            select(r.c.id, r.c.namespace, r.c.row_number).where(
                r.c.case_id == 1, r.c.namespace.in_(list(namespaces))))}
    ws.dispose()
    store = {}
    for a, b, kind, at, duration, records in frame.rows(
            """SELECT a, b, kind, "at", duration, records FROM calls WHERE kind IN ('voice', 'sms')"""):
        if rows := frozenset(source[x] for x in records if x in source):
            store[(a, b, at, duration)] = (kind, rows)
    store_obs = Counter(target for record, target in frame.rows("SELECT record_id, target FROM observations")
                        if record in source)

    db = duckdb.connect()
    files = {}
    for name, layout in (("cdr_qnet.csv", QNET), ("cdr_vireo.csv", VIREO)):
        files[load_cdr(db, comms_demo / "scenario" / "comms" / name, layout).file_no] = name
    bulk = {(a, b, at, duration): (kind, frozenset((files[x // ROW_STRIDE], x % ROW_STRIDE) for x in records))
            for a, b, kind, at, duration, records in db.execute(
                'SELECT a, b, kind, "at", duration, records FROM calls').fetchall()}
    assert len(store) > 5000 and any(len(rows) == 2 for _, rows in store.values())
    assert bulk == store
    assert dict(db.execute("SELECT target, count(*) FROM observations GROUP BY 1").fetchall()) == store_obs

    with (comms_demo / "scenario" / "truth" / "corrupted_rows.csv").open() as fh:
        corrupted = {(row["file"].removeprefix("comms/"), int(row["row"]), row["field"])
                     for row in csv.DictReader(fh) if row["file"].startswith("comms/cdr_")}
    rejected = {(files[f], row, field) for f, row, field in db.execute(
        "SELECT file_no, row_no, field FROM rejected").fetchall()}
    assert rejected == corrupted and len(corrupted) > 10

    # Loaded into the store-built frame itself, every CDR call is one it has already.
    before = frame.count("calls")
    merged = load_cdr(frame.db, comms_demo / "scenario" / "comms" / "cdr_qnet.csv", QNET)
    assert merged.calls_added == 0 and frame.count("calls") == before
    assert merged.calls_merged == merged.rows - merged.rejected

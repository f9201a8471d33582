"""Bulk CDR loading (comms/bulk.py) in both provider layouts: every row of the file is either a
call or observation, or a recorded rejection with its row number and field; nothing crashes."""

from __future__ import annotations

import csv
import io
import string
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lantern.comms.bulk import QNET, VIREO, CdrLayout, load_cdr
from lantern.comms.callstore import LAYOUTS, layout_named
from lantern.errors import LanternError

from .conftest import fuzz

# Which field a bad row is rejected on, per kind of damage (the first check that fails).
BAD = {"no_id": "record_id", "bad_start": "start", "bad_kind": "kind", "bad_a": "a", "no_b": "b",
       "bad_b": "b", "bad_duration": "duration"}
MOBILE = st.from_regex(r"\A7700900[0-9]{3}\Z")
WRITTEN = st.sampled_from(["0{}", "+44{}", "+44 (0){}", "0044{}", "44{}"])
SAFE_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " ,;\"'£é-", max_size=12)


@dataclass
class CdrRow:
    kind: str
    cells: dict[str, str]  # column -> text


def _start_cells(layout: CdrLayout, moment: datetime, broken: bool) -> dict[str, str]:
    if layout is QNET:
        text = moment.strftime("%d/%m/%Y %H:%M:%S")
        return {"START": "31/02/2024 10:00:00" if broken else text}
    return {"CALL_DATE": "20240230" if broken else moment.strftime("%Y%m%d"),
            "CALL_TIME": moment.strftime("%H%M%S")}


@st.composite
def cdr_rows(draw, layout: CdrLayout) -> list[CdrRow]:
    rows = []
    codes = [code for code, kind in layout.kinds if kind in ("voice", "sms")]
    for n in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["good", "good", *BAD]))
        moment = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2025, 1, 1)))
        cells = {
            layout.record_id: f"R{n}",
            layout.target: draw(WRITTEN).format(draw(MOBILE)),
            layout.a: draw(WRITTEN).format(draw(MOBILE)),
            layout.b: draw(WRITTEN).format(draw(MOBILE)),
            layout.duration: str(draw(st.integers(0, 7200))),
            layout.imei: draw(st.from_regex(r"\A[0-9]{15}\Z")),
            layout.imsi: draw(st.from_regex(r"\A23415[0-9]{10}\Z")),
            layout.cell_start: draw(SAFE_TEXT),
            layout.cell_end: draw(SAFE_TEXT),
            **_start_cells(layout, moment, kind == "bad_start"),
        }
        if layout.kind:
            cells[layout.kind] = draw(st.sampled_from(codes)).lower() if draw(st.booleans()) \
                else draw(st.sampled_from(codes))
        if kind == "no_id":
            cells[layout.record_id] = draw(st.sampled_from(["", "  "]))
        elif kind == "bad_kind":
            if not layout.kind:
                kind = "good"
            else:
                cells[layout.kind] = "FAX"
        elif kind == "bad_a":
            cells[layout.a] = draw(st.sampled_from(["n/a", "=HYPERLINK(\"x\")", "123"]))
        elif kind == "no_b":
            cells[layout.b] = ""
        elif kind == "bad_b":
            cells[layout.b] = "withheld"
        elif kind == "bad_duration":
            cells[layout.duration] = draw(st.sampled_from(["-5", "abc", "1:2"]))
        rows.append(CdrRow(kind, cells))
    return rows


def _write(path, layout: CdrLayout, rows: list[CdrRow]) -> None:
    header = layout.columns()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.cells.get(c, "") for c in header])
    path.write_text(out.getvalue(), encoding="utf-8")


def _field(layout: CdrLayout, what: str) -> str:
    return layout.start[0] if what == "start" else getattr(layout, what)


@pytest.mark.parametrize("layout", [QNET, VIREO], ids=["qnet", "vireo"])
@fuzz(12)
@given(data=st.data())
def test_every_cdr_row_is_a_call_or_a_rejection_with_row_and_field(tmp_path, layout, data):
    rows = data.draw(cdr_rows(layout))
    path = tmp_path / "cdr.csv"
    _write(path, layout, rows)
    with duckdb.connect() as db:
        result = load_cdr(db, path, layout)
        calls = db.execute("SELECT count(*), coalesce(sum(len(records)), 0) FROM calls").fetchone()
        bad_lines = db.execute("SELECT row_no, line FROM rejected").fetchall()
    good = [n for n, r in enumerate(rows, start=2) if r.kind == "good"]
    assert result.rows == len(rows)
    assert result.rejected == len(rows) - len(good)
    assert {(r.row, r.field) for r in result.rejects} == {
        (n, _field(layout, BAD[r.kind])) for n, r in enumerate(rows, start=2) if r.kind != "good"}
    assert all(r.reason for r in result.rejects)
    assert result.observations == len(good)  # every good row has a target
    assert result.calls_added + result.calls_merged == len(good)
    assert calls[1] == len(good) and calls[0] == result.calls_added
    assert all(line for _, line in bad_lines)  # the line as read is kept for the analyst


def _load_any(tmp_path, layout: CdrLayout, body: str) -> None:
    path = tmp_path / "cdr.csv"
    path.write_bytes((layout.delimiter.join(layout.columns()) + "\r\n" + body).encode("utf-8"))
    with duckdb.connect() as db:
        try:
            result = load_cdr(db, path, layout)
        except LanternError as exc:
            assert str(path) in str(exc)
            return
        stored = db.execute("SELECT count(*) FROM rejected").fetchone()[0]
    assert 0 <= result.rejected == stored <= result.rows
    assert all(r.row >= 2 and r.reason for r in result.rejects)


LINE = st.text(alphabet=string.printable.replace("\r", "").replace("\n", "") + "\"|,é£\x00",
               max_size=60)


@pytest.mark.parametrize("layout", [QNET, VIREO], ids=["qnet", "vireo"])
@fuzz(12)
@given(lines=st.lists(LINE, max_size=6))
def test_a_cdr_of_any_lines_loads_or_is_refused_with_a_lantern_error(tmp_path, layout, lines):
    _load_any(tmp_path, layout, "".join(line + "\r\n" for line in lines))


@pytest.mark.parametrize("layout", [QNET, VIREO], ids=["qnet", "vireo"])
@fuzz(5)
@given(body=st.text(alphabet=string.printable + "\"|,é£\x00", max_size=300))
@example(body="0\n")
def test_a_cdr_with_mixed_line_endings_loads_or_is_refused(tmp_path, layout, body):
    _load_any(tmp_path, layout, body)


@fuzz(50)
@given(name=st.text(max_size=10))
def test_a_layout_name_is_known_or_refused_with_the_list(name):
    if name.lower() in LAYOUTS:
        assert layout_named(name) is LAYOUTS[name.lower()]
        return
    with pytest.raises(LanternError, match="the layouts are qnet, vireo"):
        layout_named(name)


EXTRA_COLUMN = st.sampled_from(["", "START", "start", "a_number", "REC_SEQ", "x", "é", "É",
                                "IMEI ", '"q"']) | st.text(
    alphabet=string.ascii_letters + string.digits + " _-'\"é", max_size=8)


@pytest.mark.parametrize("layout", [QNET, VIREO], ids=["qnet", "vireo"])
@fuzz(10)
@given(extra=st.lists(EXTRA_COLUMN, min_size=1, max_size=3), where=st.integers(0, 20))
@example(extra=["start"], where=5)  # atheris: a name twice (DuckDB ignores its case) crashed
@example(extra=["", ""], where=0)  # a blank column name broke the generated SQL
def test_a_header_with_any_extra_columns_loads_or_is_refused(tmp_path, layout, extra, where):
    header = layout.columns()
    header[where:where] = extra
    path = tmp_path / "cdr.csv"
    row = [f"R{n}" for n in range(len(header))]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=layout.delimiter, lineterminator="\r\n")
    writer.writerows([header, row])
    path.write_text(out.getvalue(), encoding="utf-8")
    with duckdb.connect() as db:
        try:
            result = load_cdr(db, path, layout)
        except LanternError as exc:
            assert str(path) in str(exc)
            stripped = [h.strip() for h in header]
            assert "twice" in str(exc) or any(c not in stripped for c in layout.columns())
            return
    assert result.rows == 1 and result.rejected <= 1

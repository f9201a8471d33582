"""File readers and the loader (ingest/readers.py, loader.py) on generated files: CSV in four
dialects and three encodings, JSON lines and XLSX, each written to a temp file and loaded
through ``ingest_file`` into a real SQLite workspace.

Checked every time: good rows load with their ids, bad rows are quarantined with their row
number (as a spreadsheet counts: the header is row 1) and field, nothing is lost (rows in the
file == loaded + quarantined) and no exception but a LanternError escapes.
"""

from __future__ import annotations

import csv
import io
import json
import string
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import insert, select

from lantern.errors import LanternError
from lantern.ingest.loader import IngestResult, ingest_file
from lantern.ingest.profile import parse_profile
from lantern.ingest.readers import open_table
from lantern.store import Workspace, tables
from lantern.store.workspace import utcnow

from ..ingest.conftest import PEOPLE_PROFILE
from .conftest import fuzz

# The ingest tests' people profile: the loader is fuzzed through the same mapping.
PROFILE = parse_profile(PEOPLE_PROFILE, "people.yaml")
HEADER = ["ID", "NAME", "DOB", "MOBILE", "NOTES"]
# What a row of each kind does: loads, loads with a value rejected, or is quarantined (field).
LOADS = {"good", "bad_value"}
QUARANTINED_FIELD = {"no_id": "ID", "no_name": None, "short": None, "long": None, "nul": "NOTES"}

NAME = st.from_regex(r"\A[A-Z][a-z]{1,8} [A-Z][a-z'\-]{1,10}\Z")
NOTES = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
DOB = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(lambda d: d.strftime("%d/%m/%Y"))
JUNK_DOB = st.sampled_from(["31/02/1985", "soon", "00/00/0000", "1/13/2001", "2001-02-30"])


@dataclass
class Planned:
    kind: str
    cells: list[str]


@st.composite
def planned_rows(draw, kinds=("good", "bad_value", "no_id", "no_name", "short", "long", "nul",
                              "blank")) -> list[Planned]:
    rows = []
    for n in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(kinds))
        cells = [f"R{n}", draw(NAME), draw(DOB), draw(st.sampled_from(["07700 900123", ""])),
                 draw(NOTES)]
        if kind == "bad_value":
            cells[2] = draw(JUNK_DOB)
        elif kind == "no_id":
            cells[0] = draw(st.sampled_from(["", " ", "\t"]))
        elif kind == "no_name":
            cells[1] = ""
        elif kind == "short":
            cells = cells[: draw(st.integers(2, 4))]
        elif kind == "long":
            cells = cells + ["extra"]
        elif kind == "nul":
            cells[4] = cells[4] + "\x00"
        elif kind == "blank":
            cells = []
        rows.append(Planned(kind, cells))
    return rows


def _ingest(ws: Workspace, path: Path) -> IngestResult:
    """Load into a case of its own: Hypothesis replays an example, and the same bytes loaded
    twice into one case are (rightly) a duplicate."""
    name = f"fuzz-{uuid.uuid4().hex}"
    with ws.writer() as conn:
        conn.execute(insert(tables.cases).values(name=name, status="open", created_at=utcnow()))
    return ingest_file(ws, path, PROFILE, user="fuzz", case=name)


def _check(ws: Workspace, result: IngestResult, rows: list[Planned], first_row: int = 2,
           row_numbers: list[int] | None = None) -> None:
    """The load matches the plan: every non-blank row read, each loaded or quarantined."""
    numbers = row_numbers or list(range(first_row, first_row + len(rows)))
    data = [(n, r) for n, r in zip(numbers, rows, strict=True) if r.kind != "blank"]
    assert result.rows_read == len(data)
    assert result.rows_loaded + result.rows_quarantined == result.rows_read
    expect_loaded = {n: r for n, r in data if r.kind in LOADS}
    expect_quarantined = {n: r for n, r in data if r.kind in QUARANTINED_FIELD}
    assert result.rows_loaded == len(expect_loaded)
    assert result.rows_quarantined == len(expect_quarantined)
    q, rec, src = tables.quarantine, tables.records, tables.sources
    with ws.reader() as conn:
        issues = conn.execute(select(q.c.row_number, q.c.field, q.c.reason, q.c.action, q.c.raw_value)
                              .where(q.c.source_id == result.source_id)).all()
        records = conn.execute(select(rec.c.row_number, rec.c.source_record_id)
                               .where(rec.c.source_id == result.source_id)).all()
        stored = conn.execute(select(src.c.rows_read, src.c.rows_loaded, src.c.rows_quarantined)
                              .where(src.c.id == result.source_id)).one()
    assert tuple(stored) == (result.rows_read, result.rows_loaded, result.rows_quarantined)
    # Good rows load, each as one person record carrying its own id, at its own row.
    assert sorted(records) == sorted((n, r.cells[0]) for n, r in expect_loaded.items())
    rejected = {i.row_number: i for i in issues if i.action == "row rejected"}
    assert set(rejected) == set(expect_quarantined)
    for n, planned in expect_quarantined.items():
        issue = rejected[n]
        assert issue.reason and issue.raw_value is not None
        assert issue.field == QUARANTINED_FIELD[planned.kind], (planned, issue)
    bad_values = {i.row_number for i in issues if i.action == "value rejected"}
    assert bad_values == {n for n, r in expect_loaded.items() if r.kind == "bad_value"}
    assert all(i.field == "DOB" and i.raw_value and repr(i.raw_value) in i.reason
               for i in issues if i.action == "value rejected")


def _csv_bytes(rows: list[Planned], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row.cells)
    return out.getvalue().encode(encoding, errors="replace")


@fuzz(40)
@given(rows=planned_rows(), delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_csv_in_any_dialect_loads_good_rows_and_quarantines_bad_ones(
        sqlite_workspace, tmp_path, rows, delimiter, encoding):
    if encoding == "cp1252":  # a Windows export holds what Windows-1252 can say
        rows = [Planned(r.kind, [c.encode("cp1252", "replace").decode("cp1252") for c in r.cells])
                for r in rows]
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(_csv_bytes(rows, delimiter, encoding))
    if all(r.kind == "blank" for r in rows):
        try:
            _ingest(sqlite_workspace, path)
        except LanternError as exc:
            assert "no data rows" in str(exc) and str(path) in str(exc)
            return
        raise AssertionError("a file of blank rows loaded")
    result = _ingest(sqlite_workspace, path)
    assert not result.duplicate
    with sqlite_workspace.reader() as conn:
        delim = conn.scalar(select(tables.sources.c.delimiter)
                            .where(tables.sources.c.id == result.source_id))
    assert delim == delimiter  # the dialect was sniffed from the header
    _check(sqlite_workspace, result, rows)


@fuzz(60)
@given(body=st.binary(max_size=300) | st.text(alphabet=string.printable + "\x00\"é£\u2028",
                                               max_size=300).map(lambda t: t.encode("utf-8")))
def test_a_csv_of_any_bytes_loads_consistently_or_is_refused_whole(sqlite_workspace, tmp_path, body):
    path = tmp_path / f"{uuid.uuid4().hex}.csv"
    path.write_bytes(",".join(HEADER).encode() + b"\r\n" + body)
    with sqlite_workspace.reader() as conn:
        before = conn.scalar(select(tables.sources.c.id).order_by(tables.sources.c.id.desc()))
    try:
        result = _ingest(sqlite_workspace, path)
    except LanternError as exc:
        assert str(path) in str(exc)
        with sqlite_workspace.reader() as conn:  # refused whole: nothing of it was kept
            after = conn.scalar(select(tables.sources.c.id).order_by(tables.sources.c.id.desc()))
        assert after == before
        return
    assert result.rows_read == result.rows_loaded + result.rows_quarantined > 0
    q, rec = tables.quarantine, tables.records
    with sqlite_workspace.reader() as conn:
        rejected = conn.execute(select(q.c.row_number).where(
            q.c.source_id == result.source_id, q.c.action == "row rejected")).scalars().all()
        loaded = conn.execute(select(rec.c.row_number).where(
            rec.c.source_id == result.source_id)).scalars().all()
    assert len(rejected) == len(set(rejected)) == result.rows_quarantined
    assert len(set(loaded)) == result.rows_loaded and not set(loaded) & set(rejected)
    assert all(n >= 2 for n in [*loaded, *rejected])


@st.composite
def jsonl_lines(draw) -> list[Planned]:
    """Planned rows as JSON lines: objects of any value types, broken JSON, non-objects."""
    rows = []
    for n in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(["good", "bad_value", "no_id", "no_name", "bad_json",
                                     "not_object", "blank"] if n else ["good"]))
        obj: dict[str, object] = {"ID": f"R{n}", "NAME": draw(NAME), "DOB": draw(DOB),
                                  "MOBILE": draw(st.sampled_from(["07700 900123", None, 7700900123])),
                                  "NOTES": draw(st.none() | st.integers() | st.floats(allow_nan=False)
                                                | NOTES | st.lists(st.integers(), max_size=2))}
        if kind == "bad_value":
            obj["DOB"] = draw(JUNK_DOB)
        elif kind == "no_id":
            obj["ID"] = draw(st.sampled_from(["", None, " "]))
        elif kind == "no_name":
            del obj["NAME"]
        line = json.dumps(obj, ensure_ascii=draw(st.booleans()))
        if kind == "bad_json":
            line = line[: draw(st.integers(1, len(line) - 1))]
        elif kind == "not_object":
            line = json.dumps(draw(st.sampled_from([[1, 2], "text", 3, None])))
        elif kind == "blank":
            line = ""
        rows.append(Planned(kind, [line, str(obj["ID"])]))
    return rows


@fuzz(40)
@given(rows=jsonl_lines())
def test_json_lines_load_objects_and_quarantine_broken_lines(sqlite_workspace, tmp_path, rows):
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_text("\n".join(r.cells[0] for r in rows) + "\n", encoding="utf-8")
    plan = [Planned({"bad_json": "short", "not_object": "short"}.get(r.kind, r.kind),
                    [r.cells[1]]) for r in rows]
    result = _ingest(sqlite_workspace, path)
    _check(sqlite_workspace, result, plan, first_row=1)


def _xlsx(tmp_path: Path, rows: list[Planned], gap: int) -> Path:
    book = Workbook()
    sheet = book.active
    for _ in range(gap):  # blank rows above the header
        sheet.append([])
    sheet.append(HEADER)
    for row in rows:  # a worksheet cannot hold control characters (openpyxl refuses them)
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row.cells] or [None])
    path = tmp_path / f"{uuid.uuid4().hex}.xlsx"
    book.save(path)
    return path


@fuzz(15)
@given(rows=planned_rows(kinds=("good", "bad_value", "no_id", "no_name", "blank")),
       gap=st.integers(0, 2))
def test_xlsx_sheets_load_with_spreadsheet_row_numbers(sqlite_workspace, tmp_path, rows, gap):
    path = _xlsx(tmp_path, rows, gap)
    if all(r.kind == "blank" for r in rows):
        return  # covered for CSV; openpyxl may not even write the empty rows
    result = _ingest(sqlite_workspace, path)
    _check(sqlite_workspace, result, rows, first_row=gap + 2)


LONG_ROW = [Planned("long", ["R0", "Ann Lee", "01/01/2000", "", "", "extra"])]


@fuzz(5)
@given(rows=planned_rows(kinds=("good", "long")), gap=st.integers(0, 2))
@example(rows=LONG_ROW, gap=0)
def test_xlsx_a_value_beyond_the_header_is_quarantined(sqlite_workspace, tmp_path, rows, gap):
    result = _ingest(sqlite_workspace, _xlsx(tmp_path, rows, gap))
    _check(sqlite_workspace, result, rows, first_row=gap + 2)


def _small_xlsx() -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(["R0", "Ann Lee", "01/01/2000", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SMALL_XLSX = _small_xlsx()


@fuzz(30)
@given(start=st.integers(0, len(SMALL_XLSX) - 1), length=st.integers(1, 64),
       insert=st.binary(max_size=8))
@example(start=40, length=10, insert=b"")  # atheris: bytes cut before the central directory
@example(start=SMALL_XLSX.index(b"PK\x01\x02") + 6, length=2, insert=b"\xed\x00")  # atheris:
# 'version needed to extract' 23.7 made zipfile raise NotImplementedError past the zip checks
def test_a_damaged_workbook_is_read_or_refused_with_its_name(tmp_path, start, length, insert):
    """A workbook with bytes cut out (or replaced) is read or refused: never another exception.
    Cutting bytes ahead of the central directory once made zipfile report a negative offset,
    and the zip checks' seek raised OSError; an unknown zip version raised NotImplementedError
    (both found by tools/atheris_readers.py)."""
    path = tmp_path / f"{uuid.uuid4().hex}.xlsx"
    path.write_bytes(SMALL_XLSX[:start] + insert + SMALL_XLSX[start + length:])
    try:
        table = open_table(path)
        rows = list(table.rows)
    except LanternError as exc:
        assert str(path) in str(exc)
    else:
        assert all(r.number >= 2 for r in rows)

"""Ingest on SQLite and PostgreSQL: provenance kept, bad input quarantined, nothing lost."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lantern.demo import SAMPLES, sample_path
from lantern.errors import LanternError
from lantern.ingest.loader import ingest_file
from lantern.ingest.profile import load_profile
from lantern.store import queries, tables

from .conftest import HEADER


def count(ws, table) -> int:
    with ws.reader() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)))


def quarantined(ws) -> list[dict]:
    with ws.reader() as conn:
        return list(queries.quarantine_rows(conn, ws.case_id(conn)))


def statements_of(ws, source_record_id: str, file_name: str | None = None) -> dict[str, tuple]:
    s, r, src = tables.statements, tables.records, tables.sources
    query = (select(s.c.prop, s.c.original, s.c.value, s.c.quality, r.c.row_number)
             .join(r, r.c.id == s.c.record_id).join(src, src.c.id == r.c.source_id)
             .where(r.c.source_record_id == source_record_id))
    if file_name:
        query = query.where(src.c.file_name == file_name)
    with ws.reader() as conn:
        rows = conn.execute(query)
        return {row.prop: (row.original, row.value, row.quality, row.row_number) for row in rows}


def test_samples_load_with_provenance_and_links(workspace):
    results = [ingest_file(workspace, sample_path(f), load_profile(p), user="tester") for f, p in SAMPLES]
    assert [r.rows_loaded for r in results] == [7, 3, 3]
    # One crime row yields a crime, a suspect, a victim and a place, and the links between them.
    crimes = results[1]
    assert crimes.records == 10 and crimes.links == 7
    khan = statements_of(workspace, "NA-1001", "nominals.csv")
    assert khan["name"][:2] == ("KHAN, Mohammed", "Mohammed Khan")
    assert khan["dob"][:3] == ("03/04/1988", "1988-04-03", "day/month order ambiguous")
    assert khan["phone"][1] == "+447700900101"
    with workspace.reader() as conn:
        src = queries.sources(conn, workspace.case_id(conn))
    assert [s.file_name for s in src] == ["nominals.csv", "crimes.csv", "intelligence.jsonl"]
    assert all(s.loaded_by == "tester" and len(s.sha256) == 64 for s in src)
    # 31/02/1985 is no date: the record loads, the original is kept, the value is quarantined.
    nowak = statements_of(workspace, "NA-1006", "nominals.csv")
    assert nowak["dob"][:2] == ("31/02/1985", None)
    issues = quarantined(workspace)
    assert {(i["file_name"], i["row_number"], i["field"], i["action"]) for i in issues} == {
        ("nominals.csv", 7, "DOB", "value rejected"),
        ("intelligence.jsonl", 3, "grading", "value rejected"),
    }


def test_reingesting_the_same_file_is_a_no_op(workspace, write, people_profile):
    path = write("people.csv", HEADER + "1,Ann Lee,01/02/2003,07700900111,\n")
    first = ingest_file(workspace, path, people_profile, user="t")
    again = ingest_file(workspace, write("copy.csv", path.read_bytes()), people_profile, user="t")
    assert not first.duplicate and again.duplicate and again.source_id == first.source_id
    assert count(workspace, tables.records) == 1 and count(workspace, tables.sources) == 1


def test_bad_rows_are_quarantined_and_good_rows_load(workspace, write, people_profile):
    body = (
        HEADER
        + "1,Ann Lee,01/02/2003,07700900111,fine\n"
        + "2,Bob Day,2003-02-30,07700900112,bad date\n"  # value rejected, row loads
        + "3,Cy Moss,01/02/2003\n"  # ragged: too few fields
        + "4,,01/02/2003,07700900113,no name\n"  # required name missing
        + "5,Di Fox,01/02/2003,07700900114,x,extra\n"  # ragged: too many fields
        + ",Ed Ray,01/02/2003,07700900115,no id\n"  # id missing
        + "7,Flo Tan,01/02/2003,07700900116,last good\n"
    )
    result = ingest_file(workspace, write("p.csv", body), people_profile, user="t")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.values_rejected) == (7, 3, 4, 1)
    issues = {i["row_number"]: i for i in quarantined(workspace)}
    assert issues[4]["reason"] == "row has 3 fields; the header has 5"
    assert json.loads(issues[4]["raw_value"]) == ["3", "Cy Moss", "01/02/2003"]
    assert "required name is empty" in issues[5]["reason"]
    assert issues[6]["reason"] == "row has 6 fields; the header has 5"
    assert "id column 'ID' is empty" in issues[7]["reason"]
    assert issues[4]["action"] == "row rejected"
    assert issues[3]["field"] == "DOB" and issues[3]["action"] == "value rejected"
    assert "'2003-02-30' is not a real date" in issues[3]["reason"]
    assert statements_of(workspace, "2")["dob"][:2] == ("2003-02-30", None)
    assert statements_of(workspace, "7")["notes"][3] == 8  # row numbers as a spreadsheet shows them


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (HEADER.encode(), "the file has a header but no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (b"ID,NAME,MOBILE,NOTES\n1,Ann,07700900111,x\n", "lacks column 'DOB' (profile line 11)"),
        (b"This is a letter, not an export.\nIt has prose in it.\n", "lacks columns"),
    ],
)
def test_unreadable_files_load_nothing_and_say_why(workspace, write, people_profile, content, message):
    path = write("bad.csv", content)
    with pytest.raises(LanternError) as excinfo:
        ingest_file(workspace, path, people_profile, user="t")
    assert str(path) in str(excinfo.value) and message in str(excinfo.value)
    assert count(workspace, tables.sources) == 0 and count(workspace, tables.records) == 0


def test_encodings_are_detected(workspace, write, people_profile):
    row = "1,Zoë Brûlée,01/02/2003,07700900111,£20 given\n"
    for i, (name, encoding) in enumerate([("u.csv", "utf-8"), ("bom.csv", "utf-8-sig"), ("win.csv", "cp1252")]):
        result = ingest_file(workspace, write(name, (HEADER + row.replace("1,", f"{i + 1},", 1)), encoding),
                             people_profile, user="t")
        assert result.rows_loaded == 1, name
        assert statements_of(workspace, str(i + 1))["name"][1] == "Zoë Brûlée"
        assert statements_of(workspace, str(i + 1))["notes"][1] == "£20 given"


def test_bytes_that_do_not_decode_quarantine_only_their_row(workspace, write, people_profile):
    good = (HEADER + "1,Zoë Brûlée,01/02/2003,07700900111,ok\n").encode()
    bad = b"2,Bob \xff\xfe Day,01/02/2003,07700900112,broken\n"
    result = ingest_file(workspace, write("mixed.csv", good + bad + b"3,Cy Moss,,,ok\n"), people_profile, user="t")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    (issue,) = quarantined(workspace)
    assert issue["row_number"] == 3 and issue["field"] == "NAME"
    assert "do not decode as utf-8" in issue["reason"]
    assert json.loads(issue["raw_value"])[1] == "Bob \\xff\\xfe Day"  # kept, escaped


def test_a_nul_byte_quarantines_its_row(workspace, write, people_profile):
    body = (HEADER + "1,Ann Lee,,,ok\n2,Bob\x00Day,,,nul\n3,Cy Moss,,,ok\n").encode()
    result = ingest_file(workspace, write("nul.csv", body), people_profile, user="t")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert "contains a NUL byte" in quarantined(workspace)[0]["reason"]


def test_a_ten_megabyte_field_is_quarantined_not_fatal(workspace, write, people_profile):
    huge = "x" * (10 * 1024 * 1024)
    body = HEADER + "1,Ann Lee,01/02/2003,,ok\n" + f'2,Bob Day,01/02/2003,,"{huge}"\n' + "3,Cy Moss,,,ok\n"
    result = ingest_file(workspace, write("huge.csv", body), people_profile, user="t")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    (issue,) = quarantined(workspace)
    assert issue["field"] == "NOTES" and "10,485,760 bytes; the limit is 1,048,576" in issue["reason"]
    assert len(issue["raw_value"]) > 10 * 1024 * 1024  # kept whole: nothing lost


def test_delimiters_quoted_newlines_and_header_case(workspace, write, people_profile):
    body = 'id;name;dob;mobile;notes\n1;"Lee; Ann";01/02/2003;;"line one\nline two"\n2;Bo Day;;;\n'
    result = ingest_file(workspace, write("semi.csv", body), people_profile, user="t")
    assert result.rows_loaded == 2
    assert statements_of(workspace, "1")["notes"][1] == "line one\nline two"
    assert statements_of(workspace, "2")["name"][3] == 3  # rows are records, as a spreadsheet counts them


def test_xlsx_and_jsonl(workspace, tmp_path, write, people_profile):
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "NAME", "DOB", "MOBILE", "NOTES"])
    sheet.append([1, "LEE, Ann", "01/02/2003", "07700 900111", None])
    sheet.append([None, None, None, None, None])
    sheet.append([2, "Bo Day", None, 7700900112, "=HYPERLINK(\"x\")"])
    path = tmp_path / "people.xlsx"
    book.save(path)
    result = ingest_file(workspace, path, people_profile, user="t")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert statements_of(workspace, "1")["name"][1] == "Ann Lee"
    assert statements_of(workspace, "2")["name"][3] == 4

    lines = '{"ID": "j1", "NAME": "Cy Moss", "DOB": "01/02/2003", "MOBILE": null, "NOTES": "a"}\n{oops\n'
    result = ingest_file(workspace, write("p.jsonl", lines), people_profile, user="t")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    issue = next(i for i in quarantined(workspace) if i["file_name"] == "p.jsonl")
    assert issue["row_number"] == 2 and "not valid JSON" in issue["reason"] and issue["raw_value"] == "{oops"


def test_xlsx_a_value_right_of_the_header_is_quarantined_not_lost(workspace, tmp_path, people_profile):
    # Read-only openpyxl pads the header row to the sheet's width; a value in column G under a
    # five-column header must not load under a blank column '' that nothing maps.
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "NAME", "DOB", "MOBILE", "NOTES"])
    sheet.append([1, "Ann Lee", "01/02/2003", None, None, None, "extra"])
    sheet.append([2, "Bo Day", None, None, None])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    result = ingest_file(workspace, path, people_profile, user="t")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    [issue] = [i for i in quarantined(workspace) if i["file_name"] == "wide.xlsx"]
    assert issue["row_number"] == 2 and issue["action"] == "row rejected"
    assert "beyond the header's 5 columns (column G)" in issue["reason"]
    assert json.loads(issue["raw_value"]) == ["1", "Ann Lee", "01/02/2003", "", "", "", "extra"]
    r, src = tables.records, tables.sources
    with workspace.reader() as conn:
        loaded = conn.execute(select(r.c.source_record_id).join(src, src.c.id == r.c.source_id)
                              .where(src.c.file_name == "wide.xlsx")).scalars().all()
    assert loaded == ["2"]


def test_a_file_that_is_not_a_workbook(workspace, write, people_profile):
    with pytest.raises(LanternError, match="not an XLSX workbook"):
        ingest_file(workspace, write("fake.xlsx", "ID,NAME\n1,x\n"), people_profile, user="t")


def test_hostile_inputs_are_refused_before_loading(workspace, tmp_path, people_profile):
    import zipfile

    sparse = tmp_path / "huge.csv"
    with sparse.open("wb") as fh:
        fh.truncate(10 * 1024**3)  # 10 GB, sparse: refused by its size without being read
    with pytest.raises(LanternError, match="huge.csv"):
        ingest_file(workspace, sparse, people_profile, user="t")

    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n")
    with pytest.raises(LanternError, match="1,000,000 columns"):
        ingest_file(workspace, wide, people_profile, user="t")

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("xl/worksheets/sheet1.xml", "w") as member:
        chunk = b"\0" * (1024 * 1024)
        for _ in range(200):
            member.write(chunk)
    with pytest.raises(LanternError, match="bomb.xlsx"):
        ingest_file(workspace, bomb, people_profile, user="t")

    slip = tmp_path / "slip.xlsx"
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("../../evil.txt", "x")
    with pytest.raises(LanternError, match="slip.xlsx"):
        ingest_file(workspace, slip, people_profile, user="t")
    assert count(workspace, tables.sources) == 0


def test_a_column_named_twice_is_refused_not_half_lost(workspace, tmp_path, write, people_profile):
    # Each row would keep only the last NAME: the first column's values silently lost (and a
    # NUL under the first one crashed the reader looking for it: found by atheris).
    csv_path = write("twice.csv", "ID,NAME,DOB,MOBILE,NOTES,NAME\n1,Ann\x00 Lee,,,,Bo Day\n")
    with pytest.raises(LanternError, match=r"twice.csv, row 1: the header names column 'NAME' "
                                           r"twice \(columns 2 and 6\)"):
        ingest_file(workspace, csv_path, people_profile, user="t")
    book = Workbook()
    book.active.append([])
    book.active.append(["ID", "NAME", "DOB", "MOBILE", "NOTES", "ID"])
    book.active.append([1, "Ann Lee", None, None, None, 2])
    xlsx_path = tmp_path / "twice.xlsx"
    book.save(xlsx_path)
    with pytest.raises(LanternError, match=r"twice.xlsx, row 2: the header names column 'ID' twice"):
        ingest_file(workspace, xlsx_path, people_profile, user="t")
    assert count(workspace, tables.sources) == 0

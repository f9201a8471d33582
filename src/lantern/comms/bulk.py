"""Provider CDRs of any size straight into the comms frame, by DuckDB alone.

``load_frame`` builds the frame from the store, record by record; a production of tens of
millions of CDR rows is better read by DuckDB itself: ``read_csv`` in parallel, every
cleaning step a SQL expression over whole columns, never a Python loop over rows.

* Every column is read as VARCHAR (the types are given, never sniffed), so no value is lost
  or mangled by a guess; cleaning then says which field of which row failed, and why.
* Numbers become E.164 as the store writes them: UK forms ``07700 900123``, ``447700900123``,
  ``+44 (0)7700 900123``, ``0044...`` (spaces, brackets, dots and dashes stripped; a national
  number that lost its leading 0 to a spreadsheet is put back), and ``+``/``00`` forms of
  other countries. Anything else (``n/a``, ``=HYPERLINK(...)``) is not a number.
* Dates and times are parsed with the layout's strptime format(s); event types are mapped to
  voice, sms or data by the layout's table.
* A row that cannot be used is never dropped silently: rows DuckDB cannot read (too many or
  too few fields, bytes that do not decode, an unclosed quote) and rows whose values fail
  cleaning (no record id, a bad date, a missing number, an unknown event type or duration)
  go to the ``rejected`` table with their row number (a spreadsheet's: the header is row 1),
  the field and the reason; ``LoadResult`` counts them and gives the first ``SAMPLE``.
* A data session needs no other party: a ``data`` row without a B number is an observation
  of the target's handset and cell, not a call.
* One call is one ``calls`` row: the same call in two CDRs (both parties targets, with the
  same or different providers), or twice in one, is matched on the two numbers, the start to
  the second and the duration, and its ``records`` list every row that gave it.

Record ids: the store's record ids do not exist here, and a provider's own reference is
text, unique only within that provider, and may be blank. Each loaded file is numbered in
``cdr_files`` (1, 2, ...) and each row gets ``record_id = file_no * ROW_STRIDE + row``, so
``30000000042`` is row 42 of file 3: unique across every file in the frame, and it leads
straight back to the line an analyst would quote. The row numbers of rows DuckDB read are
recovered from its own numbering of the rows it could not read (reading keeps file order;
the benchmark checks it on 10 million rows). A new call's ``call_id`` is the record id of its
first row: unique (also beside ``load_frame``'s small ids), the same each time the same files
are loaded, and needing no sort.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lantern.errors import LanternError

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
ROW_STRIDE = 10_000_000_000  # record_id = file_no * ROW_STRIDE + row
PHONE_JUNK = r"\s()./'-"  # stripped from numbers ("+44 (0)7700-900 123", an Excel text mark)
DEVICE_JUNK = r"\s./-"  # stripped from IMEIs and IMSIs
SAMPLE = 100  # rejects returned in LoadResult (all are kept in the rejected table)
DEFAULT_KINDS = (("VOICE", "voice"), ("V", "voice"), ("SMS", "sms"), ("S", "sms"), ("MMS", "mms"),
                 ("DATA", "data"), ("D", "data"), ("GPRS", "data"))

# The frame's tables (frame.py's schema), made when absent so a frame of bulk CDRs alone works
# with every analysis; plus what this module adds.
_TABLES = """
CREATE TABLE IF NOT EXISTS calls(call_id BIGINT, a VARCHAR, b VARCHAR, kind VARCHAR, "at" TIMESTAMP,
                                 duration DOUBLE, records BIGINT[]);
CREATE TABLE IF NOT EXISTS observations(record_id BIGINT, target VARCHAR, other VARCHAR, "at" TIMESTAMP,
                                        imei VARCHAR, imsi VARCHAR, cell_start VARCHAR, cell_end VARCHAR);
CREATE TABLE IF NOT EXISTS contacts(record_id BIGINT, owner VARCHAR, number VARCHAR, saved_name VARCHAR);
CREATE TABLE IF NOT EXISTS cells(cell_id VARCHAR, name VARCHAR, latitude DOUBLE, longitude DOUBLE,
                                 azimuth DOUBLE, postcode VARCHAR);
CREATE TABLE IF NOT EXISTS anpr(record_id BIGINT, vrm VARCHAR, "at" TIMESTAMP, camera VARCHAR,
                                place VARCHAR, postcode VARCHAR);
CREATE TABLE IF NOT EXISTS cdr_files(file_no BIGINT, path VARCHAR, provider VARCHAR, rows BIGINT,
                                     rejected BIGINT);
CREATE TABLE IF NOT EXISTS rejected(file_no BIGINT, row_no BIGINT, field VARCHAR, reason VARCHAR,
                                    line VARCHAR);
"""
_DROP_TEMP = "".join(f"DROP {kind} IF EXISTS {name};" for kind, name in (
    ("VIEW", "cdr_rows"), ("TABLE", "cdr_skips"), ("TABLE", "cdr_load"), ("TABLE", "cdr_new"),
    ("TABLE", "cdr_errors"), ("TABLE", "cdr_scans")))

# DuckDB's own reasons for a row it cannot read, in the words the quarantine uses.
_PARSE_REASONS = {"TOO MANY COLUMNS": "more fields than the header",
                  "MISSING COLUMNS": "fewer fields than the header",
                  "INVALID ENCODING": "bytes that do not decode",
                  "INVALID UNICODE": "bytes that do not decode",
                  "UNQUOTED VALUE": "a quote that is never closed"}


@dataclass(frozen=True)
class CdrLayout:
    """Which column of a provider's CDR holds what. ``start`` is one column, or a date column
    and a time column (joined with a space before ``formats`` are tried). ``kinds`` maps the
    provider's event codes (matched trimmed, upper-cased) to voice, sms, mms or data."""

    provider: str
    record_id: str
    target: str
    a: str
    b: str
    kind: str | None
    start: tuple[str, ...]
    formats: tuple[str, ...]
    duration: str
    imei: str
    imsi: str
    cell_start: str
    cell_end: str
    kinds: tuple[tuple[str, str], ...] = DEFAULT_KINDS
    delimiter: str = ","
    encoding: str = "utf-8"

    def columns(self) -> list[str]:
        return [c for c in (self.record_id, self.target, self.a, self.b, self.kind, *self.start, self.duration,
                            self.imei, self.imsi, self.cell_start, self.cell_end) if c]


QNET = CdrLayout("Qnet", "RECORD_ID", "TARGET", "A_NUMBER", "B_NUMBER", "CALL_TYPE", ("START",),
                 ("%d/%m/%Y %H:%M:%S",), "DURATION", "IMEI", "IMSI", "FIRST_CELL", "LAST_CELL")
VIREO = CdrLayout("Vireo", "REC_SEQ", "SUBSCRIBER_MSISDN", "CALLING_NUMBER", "CALLED_NUMBER", "EVENT",
                  ("CALL_DATE", "CALL_TIME"), ("%Y%m%d %H%M%S",), "DURATION_SECS", "IMEI", "IMSI",
                  "CELL_ID_START", "CELL_ID_END", kinds=(("V", "voice"), ("S", "sms")), delimiter="|")


@dataclass(frozen=True)
class Reject:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    reason: str


@dataclass(frozen=True)
class LoadResult:
    file_no: int  # record ids of this file are file_no * ROW_STRIDE + row
    rows: int  # data rows in the file
    calls_added: int  # new rows in calls
    calls_merged: int  # rows that were a call already there (another CDR's row, or its own twin)
    observations: int  # target rows: handset, SIM and cells
    rejected: int
    rejects: list[Reject]  # the first SAMPLE, by row; all are in the rejected table


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _col(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _e164(col: str) -> str:
    """SQL: a stripped number (digits, perhaps a leading +) in E.164, or NULL. The commonest
    forms are tried first: each WHEN sees only the rows the ones before it did not take."""
    nsn = r"[1-9]\d{8,9}"  # a UK national significant number: 9 or 10 digits
    return rf"""CASE WHEN regexp_full_match({col}, '0{nsn}') THEN '+44' || {col}[2:]
        WHEN regexp_full_match({col}, '44{nsn}') THEN '+' || {col}
        WHEN regexp_full_match({col}, '(?:\+|00)440?{nsn}') THEN '+44' || regexp_replace({col}, '^(?:\+|00)440?', '')
        WHEN regexp_full_match({col}, '[1-9]\d{{9}}') THEN '+44' || {col}
        WHEN regexp_full_match({col}, '(?:\+|00)[1-9]\d{{6,14}}') THEN '+' || regexp_replace({col}, '^(?:\+|00)', '')
        END"""


def _strip(col: str, chars: str) -> str:
    """SQL: the value without ``chars`` (a regex class), or NULL if nothing is left; values
    that are digits already (nearly all) skip the replace."""
    return (rf"nullif(CASE WHEN regexp_full_match({col}, '\+?\d+') THEN {col} "
            f"ELSE regexp_replace({col}, {_lit('[' + chars + ']')}, '', 'g') END, '')")


def _header(path: Path, layout: CdrLayout) -> list[str]:
    """The file's header row (DuckDB is told the columns rather than left to sniff them)."""
    if not path.is_file():
        raise LanternError(f"{path}: no such file")
    with path.open(encoding=layout.encoding, errors="replace", newline="") as fh:
        header = [h.strip().lstrip("\ufeff") for h in next(csv.reader(fh, delimiter=layout.delimiter), [])]
    if missing := [c for c in layout.columns() if c not in header]:
        raise LanternError(f"{path}: not a {layout.provider} CDR: no column {', '.join(missing)} in its header")
    # DuckDB cannot name a column '' and tells names apart without ASCII case: a blank name is
    # given its position, and a name twice is refused (both crashed the load: found by atheris).
    header = [h or f"(column {n})" for n, h in enumerate(header, start=1)]
    folded = [h.translate(_ASCII_FOLD) for h in header]
    if twice := sorted({h for h, f in zip(header, folded, strict=True) if folded.count(f) > 1}):
        raise LanternError(f"{path}: the header names a column twice ({', '.join(map(repr, twice))}; "
                           "case does not tell names apart): rename one so that neither's values are lost")
    return header


def _clean_sql(path: Path, layout: CdrLayout, header: list[str]) -> str:
    """One pass over the file: each row cleaned, with its first problem ([field, reason]) or NULL."""
    columns = "{" + ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in header) + "}"
    start = " || ' ' || ".join(f"trim({_col(c)})" for c in layout.start)
    when = ", ".join(_lit(f) for f in layout.formats)
    kind, bad_kind = "'voice'", ""
    if layout.kind:
        codes = " ".join(f"WHEN {_lit(code.upper())} THEN {_lit(name)}" for code, name in layout.kinds)
        kind = f"CASE upper(trim({_col(layout.kind)})) {codes} END"
        known = ", ".join(code for code, _ in layout.kinds)
        bad_kind = (f"WHEN _kind IS NULL THEN [{_lit(layout.kind)}, "
                    f"{_lit(f'not a known event type ({known}): ')} || coalesce({_col(layout.kind)}, '')]")

    return f"""
        WITH src AS (
            SELECT row_number() OVER () AS k, *
            FROM read_csv({_lit(str(path))}, columns={columns}, header=true, auto_detect=false,
                          delim={_lit(layout.delimiter)}, quote='"', escape='"', encoding={_lit(layout.encoding)},
                          store_rejects=true, rejects_table='cdr_errors', rejects_scan='cdr_scans')),
        stripped AS (
            SELECT *, nullif(trim({_col(layout.record_id)}), '') AS _rid, nullif(trim({start}), '') AS _start,
                   {_strip(_col(layout.a), PHONE_JUNK)} AS _a, {_strip(_col(layout.b), PHONE_JUNK)} AS _b,
                   {_strip(_col(layout.target), PHONE_JUNK)} AS _t,
                   nullif(trim({_col(layout.duration)}), '') AS _d, {kind} AS _kind
            FROM src),
        clean AS (
            SELECT *, {_e164('_a')} AS _ca, {_e164('_b')} AS _cb, {_e164('_t')} AS _ct,
                   try_strptime(_start, [{when}]) AS _at,
                   CASE WHEN regexp_full_match(_d, '\\d+:\\d\\d:\\d\\d')
                        THEN 3600 * CAST(split_part(_d, ':', 1) AS DOUBLE) + 60 * CAST(split_part(_d, ':', 2) AS DOUBLE)
                             + CAST(split_part(_d, ':', 3) AS DOUBLE)
                        ELSE try_cast(_d AS DOUBLE) END AS _dur
            FROM stripped),
        checked AS (
            SELECT *, CASE
                WHEN _rid IS NULL THEN [{_lit(layout.record_id)}, 'missing']
                WHEN _start IS NULL THEN [{_lit(layout.start[0])}, 'missing']
                WHEN _at IS NULL THEN [{_lit(layout.start[0])},
                                       {_lit("not a date and time in " + " or ".join(layout.formats) + ": ")} || _start]
                {bad_kind}
                WHEN _a IS NULL THEN [{_lit(layout.a)}, 'missing']
                WHEN _ca IS NULL THEN [{_lit(layout.a)}, 'not a phone number: ' || {_col(layout.a)}]
                WHEN _b IS NULL AND _kind <> 'data' THEN [{_lit(layout.b)}, 'missing']
                WHEN _b IS NOT NULL AND _cb IS NULL THEN [{_lit(layout.b)}, 'not a phone number: ' || {_col(layout.b)}]
                WHEN _t IS NOT NULL AND _ct IS NULL THEN [{_lit(layout.target)},
                                                          'not a phone number: ' || {_col(layout.target)}]
                WHEN _d IS NOT NULL AND (_dur IS NULL OR _dur < 0) THEN [{_lit(layout.duration)},
                                                                         'not a duration in seconds: ' || _d]
                END AS problem
            FROM clean)
        SELECT k, _ca AS a, _cb AS b, _ct AS target, _kind AS kind, _at AS "at", _dur AS duration,
               {_strip(_col(layout.imei), DEVICE_JUNK)} AS imei, {_strip(_col(layout.imsi), DEVICE_JUNK)} AS imsi,
               nullif(trim({_col(layout.cell_start)}), '') AS cell_start,
               nullif(trim({_col(layout.cell_end)}), '') AS cell_end, problem,
               CASE WHEN problem IS NOT NULL THEN
                    concat_ws({_lit(layout.delimiter)}, {", ".join(f"coalesce({_col(h)}, '')" for h in header)})
               END AS line
        FROM checked"""  # noqa: S608 - names and literals are quoted by _col and _lit


def load_cdr(db: duckdb.DuckDBPyConnection, path: Path, layout: CdrLayout, file_no: int | None = None) -> LoadResult:
    """Load one provider CDR file into the frame's ``calls`` and ``observations`` (made if
    absent), merging calls already there; all or nothing (one transaction). ``file_no`` is
    the file's number (by default the next one); anything already under it is replaced."""
    header = _header(path, layout)
    db.execute(_TABLES)
    db.execute("BEGIN")
    try:
        if file_no is None:
            file_no = int(db.execute("SELECT coalesce(max(file_no), 0) + 1 FROM cdr_files").fetchone()[0])  # type: ignore[index]
        if db.execute("SELECT 1 FROM cdr_files WHERE file_no = ?", [file_no]).fetchone():
            forget(db, file_no)
        result = _load(db, path, layout, header, file_no)
    except duckdb.InvalidInputException as exc:  # e.g. line endings mixed within the file
        db.execute("ROLLBACK")
        raise LanternError(f"{path}: cannot be read as a {layout.provider} CDR: "
                           f"{str(exc).splitlines()[0]}") from None
    except BaseException:
        db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")
    finally:
        db.execute(_DROP_TEMP)
    return result


def forget(db: duckdb.DuckDBPyConnection, file_no: int) -> None:
    """Remove every trace of one file from a bulk frame (e.g. an orphan of a load whose store
    transaction never committed, before its number is used again)."""
    db.execute("""
        UPDATE calls SET records = list_filter(records, lambda r: r // $stride <> $f)
        WHERE list_bool_or(list_transform(records, lambda r: r // $stride = $f))""", {"stride": ROW_STRIDE, "f": file_no})
    db.execute("DELETE FROM calls WHERE len(records) = 0")
    db.execute("UPDATE calls SET call_id = records[1] WHERE call_id // $stride = $f", {"stride": ROW_STRIDE, "f": file_no})
    db.execute("DELETE FROM observations WHERE record_id // $stride = $f", {"stride": ROW_STRIDE, "f": file_no})
    db.execute("DELETE FROM rejected WHERE file_no = ?", [file_no])
    db.execute("DELETE FROM cdr_files WHERE file_no = ?", [file_no])


def _load(db: duckdb.DuckDBPyConnection, path: Path, layout: CdrLayout, header: list[str], file_no: int
          ) -> LoadResult:
    def one(sql: str, params: list[object] | None = None) -> int:
        return int(db.execute(sql, params or []).fetchone()[0])  # type: ignore[index]

    db.execute(_DROP_TEMP)
    db.execute(f"CREATE TEMP TABLE cdr_load AS {_clean_sql(path, layout, header)}")
    # Rows DuckDB could not read have their row numbers (header = row 1) in cdr_errors; the
    # k-th row it read is row k + 1 + (rows skipped before it). Skip j (at row r_j) comes
    # before the k-th read row when k >= r_j - j.
    db.execute("""
        CREATE TEMP TABLE cdr_skips AS
        SELECT CAST(line AS BIGINT) - row_number() OVER (ORDER BY line) AS after, row_number() OVER (ORDER BY line) AS j
        FROM (SELECT DISTINCT line FROM cdr_errors)""")
    db.execute(f"""
        CREATE TEMP VIEW cdr_rows AS
        SELECT l.*, l.k + 1 + coalesce(s.j, 0) AS row_no, {file_no} * {ROW_STRIDE} + l.k + 1 + coalesce(s.j, 0) AS record_id
        FROM cdr_load l ASOF LEFT JOIN cdr_skips s ON l.k >= s.after""")  # noqa: S608 - integers
    reasons = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in _PARSE_REASONS.items())
    db.execute(f"""
        INSERT INTO rejected
        SELECT {file_no}, row_no, problem[1], problem[2], line FROM cdr_rows WHERE problem IS NOT NULL
        UNION ALL
        SELECT {file_no}, line, coalesce(column_name, ''),
               CASE CAST(error_type AS VARCHAR) {reasons} ELSE error_message END, csv_line
        FROM (SELECT *, row_number() OVER (PARTITION BY line ORDER BY column_idx) AS nth FROM cdr_errors) WHERE nth = 1
        """)  # noqa: S608 - integers and quoted literals
    db.execute("""
        INSERT INTO observations
        SELECT record_id, target, CASE WHEN a = target THEN b ELSE a END, "at", imei, imsi, cell_start, cell_end
        FROM cdr_rows WHERE problem IS NULL AND target IS NOT NULL""")
    # Calls of this file, one row per call, each matched to the call already in the frame.
    db.execute("""
        CREATE TEMP TABLE cdr_new AS
        WITH mine AS (SELECT a, b, "at", duration, arg_min(kind, record_id) AS kind, list_sort(list(record_id)) AS records
                      FROM cdr_rows WHERE problem IS NULL AND b IS NOT NULL GROUP BY a, b, "at", duration)
        SELECT m.*, c.call_id FROM mine m LEFT JOIN calls c
        ON c.a = m.a AND c.b = m.b AND c."at" = m."at" AND c.duration IS NOT DISTINCT FROM m.duration""")
    db.execute("""
        UPDATE calls SET records = list_sort(list_distinct(calls.records || n.records))
        FROM cdr_new n WHERE n.call_id = calls.call_id""")
    added = one("""
        INSERT INTO calls SELECT records[1], a, b, kind, "at", duration, records FROM cdr_new WHERE call_id IS NULL""")
    rows, bad, call_rows, observed = db.execute("""
        SELECT (SELECT count(*) FROM cdr_load) + (SELECT count(DISTINCT line) FROM cdr_errors),
               (SELECT count(*) FROM rejected WHERE file_no = ?),
               count(*) FILTER (WHERE problem IS NULL AND b IS NOT NULL),
               count(*) FILTER (WHERE problem IS NULL AND target IS NOT NULL)
        FROM cdr_load""", [file_no]).fetchone()  # type: ignore[misc]
    db.execute("INSERT INTO cdr_files VALUES (?, ?, ?, ?, ?)", [file_no, str(path), layout.provider, rows, bad])
    sample = db.execute("SELECT row_no, field, reason FROM rejected WHERE file_no = ? ORDER BY row_no LIMIT ?",
                        [file_no, SAMPLE]).fetchall()
    return LoadResult(file_no, rows, added, call_rows - added, observed, bad,
                      [Reject(int(r), f, why) for r, f, why in sample])

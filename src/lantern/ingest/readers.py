"""Readers: turn a CSV, XLSX or JSON-lines file into a header and a stream of rows.

Readers stream (memory stays flat in file size), number rows the way a spreadsheet does
(the header is row 1), and never drop a row silently: a row they cannot read comes out as a
:class:`Row` with an ``error`` for the quarantine. Only a file that cannot be read at all
(empty, binary, not the format it claims) raises :class:`~lantern.errors.LanternError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from lantern.errors import LanternError
from lantern.security.files import DEFAULT_LIMITS, FileLimits, check_file_size, check_zip

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# The csv module's own ceiling; fields above the profile's (smaller) limit are quarantined.
CSV_HARD_FIELD_LIMIT = 256 * 1024 * 1024
csv.field_size_limit(CSV_HARD_FIELD_LIMIT)
# The csv module refuses NUL bytes; readers swap them for this non-character so that only
# the row holding one is quarantined.
NUL_MARK = "\ufffe"


@dataclass(slots=True)
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    values: dict[str, str]
    error: str | None = None
    field: str | None = None
    raw: str | None = None  # the row as read, kept for the quarantine when it is rejected


@dataclass
class Table:
    """An open source file: its header, its rows, and how far through it the reader is."""

    path: Path
    format: str
    header: list[str]
    rows: Iterator[Row]
    progress: Callable[[], int]  # bytes read so far
    size: int
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)


def detect_format(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "csv"


def open_table(
    path: Path,
    fmt: str | None = None,
    encoding: str = "auto",
    delimiter: str = "auto",
    sheet: str | None = None,
    limits: FileLimits = DEFAULT_LIMITS,
) -> Table:
    if not path.is_file():
        raise LanternError(f"{path}: no such file")
    size = check_file_size(path, limits)  # by stat, before a byte is read
    if size == 0:
        raise LanternError(f"{path}: the file is empty")
    kind = detect_format(path, fmt)
    if kind == "xlsx":
        # A workbook is a zip of XML: inspect it for bombs and hostile names before openpyxl does.
        if not zipfile.is_zipfile(path):
            raise LanternError(f"{path}: not an XLSX workbook (it is not a zip archive)")
        check_zip(path, max_total_bytes=limits.max_zip_total_bytes, max_entries=limits.max_zip_entries,
                  max_ratio=limits.max_zip_ratio, max_entry_bytes=limits.max_zip_entry_bytes)
        return _open_xlsx(path, size, sheet)
    if kind == "jsonl":
        return _open_jsonl(path, size, encoding)
    return _open_csv(path, size, encoding, delimiter)


# ---- text detection -------------------------------------------------------------------------


_CONTROL_BYTES = frozenset(range(0x09)) | frozenset(range(0x0E, 0x20))


def _looks_binary(sample: bytes) -> bool:
    """Images, archives and executables are thick with control bytes; exports are not."""
    control = sum(1 for b in sample if b in _CONTROL_BYTES)
    return control > 0.05 * len(sample)


def _detect_encoding(path: Path, sample: bytes) -> str:
    """UTF-8 (with or without BOM) unless the sample reads better as Windows-1252.

    A sample that is mostly valid UTF-8 with a few damaged bytes stays UTF-8, so the damaged
    rows are quarantined rather than the whole file being misread as another encoding.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _looks_binary(sample):
        raise LanternError(f"{path}: not a text file (it contains binary data)")
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(sample, final=False)
    damaged = text.count("\ufffd")
    if damaged == 0:
        return "utf-8"
    well_formed = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    return "utf-8" if well_formed > damaged else "cp1252"


def _check_encoding(path: Path, encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise LanternError(f"{path}: unknown encoding {encoding!r}") from None


class _CountingText:
    """Lines of a text stream, counting the bytes beneath them for the progress bar."""

    def __init__(self, binary: IO[bytes], encoding: str) -> None:
        self.binary = binary
        self.text = io.TextIOWrapper(
            binary, encoding=encoding, errors="surrogateescape", newline=""
        )

    def position(self) -> int:
        try:
            return self.binary.tell()
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[str]:
        for line in self.text:
            # The csv module refuses NUL; mark it so the row is quarantined, not the file.
            yield line.replace("\x00", NUL_MARK) if "\x00" in line else line


_UNDECODABLE = re.compile("[\udc80-\udcff\ufffe]")


def _undecodable(value: str) -> bool:
    return _UNDECODABLE.search(value) is not None


def _check_header_names(path: Path, header: list[str], row: int) -> None:
    """A column named twice would keep only its last value in each row: the rest silently lost,
    and a profile could not say which one it means. Refused, naming both places."""
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if not name:
            continue  # a blank column name (a trailing delimiter) is mapped by nothing anyway
        if name in seen:
            raise LanternError(
                f"{path}, row {row}: the header names column {name!r} twice (columns "
                f"{seen[name]} and {number}); rename one so that neither's values are lost"
            )
        seen[name] = number


def _open_csv(path: Path, size: int, encoding: str, delimiter: str) -> Table:
    with path.open("rb") as probe:
        sample = probe.read(SAMPLE_BYTES)
    enc = _detect_encoding(path, sample) if encoding == "auto" else _check_encoding(path, encoding)
    text_sample = sample.decode(enc, errors="replace")
    first_line = text_sample.lstrip("\ufeff").splitlines()[0] if text_sample.strip() else ""
    if delimiter == "auto":
        counts = {d: first_line.count(d) for d in DELIMITERS}
        delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    else:
        delim = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    binary = path.open("rb")
    lines = _CountingText(binary, enc)
    reader = csv.reader(iter(lines), delimiter=delim)
    try:
        header = next(reader)
    except StopIteration:
        binary.close()
        raise LanternError(f"{path}: the file is empty") from None
    except csv.Error as exc:
        binary.close()
        raise LanternError(f"{path}, row 1: cannot read the header ({exc})") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len(header) > DEFAULT_LIMITS.max_columns:
        binary.close()
        raise LanternError(f"{path}, row 1: the header has {len(header):,} columns; the limit is "
                           f"{DEFAULT_LIMITS.max_columns:,}")
    if any(_undecodable(h) for h in header):
        binary.close()
        raise LanternError(
            f"{path}, row 1: the header has bytes that do not decode as {enc}; "
            "set `encoding:` in the profile"
        )
    try:
        _check_header_names(path, header, 1)
    except LanternError:
        binary.close()
        raise
    return Table(
        path,
        "csv",
        header,
        _csv_rows(path, reader, header, binary, enc),
        lines.position,
        size,
        enc,
        delim,
    )


def _csv_rows(
    path: Path, reader: Any, header: list[str], binary: IO[bytes], encoding: str
) -> Iterator[Row]:
    width = len(header)
    number = 1
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise LanternError(f"{path}, row {number + 1}: cannot parse CSV ({exc})") from None
            number += 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line holds nothing to lose
            raw = None
            if len(cells) != width:
                extra = cells[width:]
                if len(cells) > width and not any(c.strip() for c in extra):
                    cells = cells[:width]  # trailing delimiters only
                else:
                    raw = _raw_cells(cells)
                    yield Row(
                        number,
                        {},
                        f"row has {len(cells)} fields; the header has {width}",
                        None,
                        raw,
                    )
                    continue
            values = dict(zip(header, cells, strict=True))
            if _undecodable("\x1f".join(cells)):
                at = next(i for i, c in enumerate(cells) if _undecodable(c))
                bad = header[at]
                reason = (
                    "contains a NUL byte"
                    if NUL_MARK in cells[at]
                    else f"has bytes that do not decode as {encoding}"
                )
                yield Row(number, values, f"field {bad!r} {reason}", bad, _raw_cells(cells))
                continue
            yield Row(number, values)
    finally:
        binary.close()


def _raw_cells(cells: list[str]) -> str:
    """A rejected row as JSON, with undecodable bytes shown as \\x escapes, nothing dropped."""
    safe = [
        c.replace(NUL_MARK, "\\x00").encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        for c in cells
    ]
    return json.dumps(safe, ensure_ascii=False)


# ---- JSON lines -----------------------------------------------------------------------------


def _open_jsonl(path: Path, size: int, encoding: str) -> Table:
    with path.open("rb") as probe:
        sample = probe.read(SAMPLE_BYTES)
    enc = _detect_encoding(path, sample) if encoding == "auto" else _check_encoding(path, encoding)
    first = sample.decode(enc, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    try:
        first_obj = json.loads(first)
    except json.JSONDecodeError:
        raise LanternError(
            f"{path}, row 1: not JSON lines (the first line is not a JSON object)"
        ) from None
    if not isinstance(first_obj, dict):
        raise LanternError(f"{path}, row 1: not JSON lines (each line must be a JSON object)")
    binary = path.open("rb")
    lines = _CountingText(binary, enc)
    return Table(
        path, "jsonl", list(first_obj), _jsonl_rows(lines, binary), lines.position, size, enc, None
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _jsonl_rows(lines: _CountingText, binary: IO[bytes]) -> Iterator[Row]:
    try:
        for number, line in enumerate(lines, start=1):
            line = line.lstrip("\ufeff")
            if not line.strip():
                continue
            raw = (
                line.encode("utf-8", "surrogateescape")
                .decode("utf-8", "backslashreplace")
                .rstrip("\r\n")
            )
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(
                    number, {}, f"not valid JSON ({exc.msg} at column {exc.colno})", None, raw
                )
                continue
            if not isinstance(obj, dict):
                yield Row(number, {}, "line is not a JSON object", None, raw)
                continue
            values = {str(k): _cell_text(v) for k, v in obj.items()}
            bad = next((k for k, v in values.items() if _undecodable(v)), None)
            if bad is not None:
                yield Row(number, values, f"field {bad!r} has bytes that do not decode", bad, raw)
                continue
            yield Row(number, values)
    finally:
        binary.close()


# ---- XLSX -----------------------------------------------------------------------------------


def _open_xlsx(path: Path, size: int, sheet: str | None) -> Table:
    from openpyxl import load_workbook  # imported lazily: only spreadsheets need it
    from openpyxl.utils import get_column_letter

    if not zipfile.is_zipfile(path):
        raise LanternError(f"{path}: not an XLSX workbook (it is not a zip archive)")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise LanternError(f"{path}: cannot open the workbook ({exc})") from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise LanternError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})")
    ws = book[sheet] if sheet else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header: list[str] = []
    header_row = 0
    for cells in rows:
        header_row += 1
        if any(c is not None and str(c).strip() for c in cells):
            header = [_cell_text(c).strip() for c in cells]
            # Read-only openpyxl pads every row to the sheet's width, so a value anywhere right
            # of the header would otherwise land under a blank column '' that nothing maps:
            # the header ends at its last named column, and a value beyond it is quarantined.
            while header and not header[-1]:
                header.pop()
            break
    if not header:
        book.close()
        raise LanternError(f"{path}: the sheet {ws.title!r} is empty")
    try:
        _check_header_names(path, header, header_row)
    except LanternError:
        book.close()
        raise
    state = {"done": 0}
    total_rows = max(ws.max_row or 1, 1)

    def generate() -> Iterator[Row]:
        try:
            for number, cells in enumerate(rows, start=header_row + 1):
                state["done"] = number
                texts = [_cell_text(c) for c in cells]
                if not any(t.strip() for t in texts):
                    continue
                texts = (texts + [""] * len(header))[: max(len(header), len(texts))]
                beyond = [i for i, t in enumerate(texts) if i >= len(header) and t.strip()]
                if beyond:
                    columns = ", ".join(get_column_letter(i + 1) for i in beyond)
                    yield Row(
                        number,
                        {},
                        f"row has values beyond the header's {len(header)} columns "
                        f"(column{'s' if len(beyond) > 1 else ''} {columns})",
                        None,
                        json.dumps(texts[: beyond[-1] + 1], ensure_ascii=False),
                    )
                    continue
                yield Row(number, dict(zip(header, texts, strict=False)))
        finally:
            book.close()

    return Table(
        path,
        "xlsx",
        header,
        generate(),
        lambda: size * state["done"] // total_rows,
        size,
        None,
        None,
        [f"sheet {ws.title!r}"],
    )

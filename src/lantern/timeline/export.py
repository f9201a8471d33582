"""A chronology as rows for people: the terminal table, CSV (formula-safe) and XLSX.

Every product goes through ``rows``, which shows people through ``label`` (children and
recorded victims as pseudonyms) and passes summaries through ``scrub`` (victims' identifiers,
an address where a child was found, replaced): one place decides what a product may show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lantern.errors import LanternError
from lantern.export.tabular import neutralise, write_atomically, write_csv
from lantern.timeline.model import Timeline, TimelineEvent
from lantern.timeline.provenance import describe_sources

COLUMNS = ("when", "until", "kind", "summary", "people", "reference", "grading", "source", "records")


def _when(event: TimelineEvent) -> str:
    return event.when.isoformat(sep=" ") if event.when else "undated"


def row_of(event: TimelineEvent, label: Callable[[str], str], scrub: Callable[[str], str]) -> dict[str, str]:
    return {
        "when": _when(event),
        "until": event.until.isoformat(sep=" ") if event.until else "",
        "kind": event.kind,
        "summary": scrub(event.summary),
        "people": "; ".join(f"{label(p.entity)} ({p.role})" for p in event.people),
        "reference": event.reference or "",
        "grading": event.grading or "",
        "source": describe_sources(event.sources),
        "records": " ".join(str(r) for r in event.records),
    }


def rows(timeline: Timeline, label: Callable[[str], str], scrub: Callable[[str], str]) -> list[dict[str, str]]:
    return [row_of(e, label, scrub) for e in timeline.events]


def to_csv(table: list[dict[str, str]], path: Path) -> int:
    return write_csv(path, table, COLUMNS)


def to_xlsx(table: list[dict[str, str]], path: Path, title: str) -> int:
    """One sheet, header row frozen; written beside the target then moved: never half a file."""
    from openpyxl import Workbook  # imported lazily: only this export needs it
    from openpyxl.styles import Font

    if path.suffix.lower() != ".xlsx":
        raise LanternError(f"an XLSX file must end in .xlsx: {path.name}")
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Chronology"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        # Spreadsheet cells are formula-safe the same way CSV cells are.
        sheet.append([neutralise(row[c]) for c in COLUMNS])
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (20, 20, 12, 70, 40, 16, 10, 40, 20), strict=True):
        sheet.column_dimensions[column].width = width
    book.properties.title = title
    write_atomically(path, lambda tmp: book.save(tmp))
    return len(table)

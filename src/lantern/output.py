"""Rich rendering of results for the terminal: tables people read, not data they process."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lantern.store.queries import CaseSummary

console = Console()
err_console = Console(stderr=True)
NUMERIC = {"rows", "quarantined", "records", "links", "events", "size"}  # counts, not ids


def table_of(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in NUMERIC else "left", overflow="fold")
    for row in rows:
        # Cells are data, never markup: "[victim 1a2b]" must print as written.
        table.add_row(*(escape("" if v is None else f"{v:,}" if isinstance(v, int) and c in NUMERIC else str(v))
                        for c, v in zip(columns, row, strict=True)))
    return table


def render_status(summary: CaseSummary, url: str, case: str) -> None:
    console.print(f"[bold]Workspace[/] {url}   [bold]case[/] {case}")
    console.print(table_of(
        f"Sources ({len(summary.sources)})",
        ("#", "file", "profile", "rows", "quarantined", "records", "loaded"),
        ((s.id, s.file_name, s.profile_name, s.rows_loaded, s.rows_quarantined,
          summary.records_by_source.get(s.id, 0), f"{s.loaded_at.replace('T', ' ')} by {s.loaded_by}")
         for s in summary.sources),
    ))
    console.print(table_of("Records by type", ("type", "records"), summary.records_by_schema.items()))
    if summary.links_by_type:
        console.print(table_of("Links by type", ("type", "links"), summary.links_by_type.items()))
    rows = summary.quarantine.get("row rejected", 0)
    values = summary.quarantine.get("value rejected", 0)
    console.print(f"Quarantine: {rows:,} rows rejected, {values:,} values rejected"
                  + ("  (see `lantern quarantine`)" if rows or values else ""))


def render_quarantine(entries: list[dict[str, Any]]) -> None:
    if not entries:
        console.print("The quarantine is empty.")
        return
    console.print(table_of(
        "Quarantine", ("file", "row", "field", "action", "reason", "raw"),
        ((e["file_name"], str(e["row_number"]), e["field"] or "", e["action"], e["reason"],
          (e["raw_value"] or "")[:80] + ("..." if len(e["raw_value"] or "") > 80 else ""))
         for e in entries),
    ))

"""`lantern extract`: mentions, indicators and language of concern from every free-text field."""

from __future__ import annotations

from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from lantern.commands.context import session_of
from lantern.output import console, err_console, table_of
from lantern.security.policy import Permission
from lantern.security.session import Session
from lantern.text.indicators import lexicon
from lantern.text.service import ExtractSummary, run_extraction
from lantern.text.service import Progress as ProgressCallback


def extract(ctx: typer.Context) -> None:
    """Extract phones, VRMs, postcodes, dates, people and premises from free text, linked to
    resolved entities; exploitation indicators (negation and uncertainty flagged); and
    victim-blaming language for review (never used in any score)."""
    session = session_of(ctx)
    with Progress(TextColumn("[bold]free text"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("texts", total=None)

        def report(done: int, total: int, task: Any = task) -> None:
            progress.update(task, completed=done, total=total)

        summary = extract_case(session, report)
    render(summary)


def extract_case(session: Session, progress: ProgressCallback | None = None) -> ExtractSummary:
    """One audited extraction run over the session's case."""
    with session.case_action(Permission.WRITE, "extract", "COMBINE") as (conn, case, note):
        summary = run_extraction(conn, case.id, session.actor.username, progress=progress)
        note.objects = [f"text:{summary.run_id}"]
        note.detail = {"texts": summary.texts, "mentions": sum(summary.by_kind.values()),
                       "lexicon": summary.lexicon_version, "concerns": len(summary.concerns)}
    return summary


def render(summary: ExtractSummary) -> None:
    # Counts, indicator labels and record references only: no name or text from a record is
    # printed, so no child (or victim) can be named here.
    console.print(f"Extraction run #{summary.run_id}: {summary.texts:,} free-text values, lexicon "
                  f"{summary.lexicon_version}" + (f"; {summary.truncated} over-long values read in part"
                                                  if summary.truncated else ""))
    console.print(table_of("Mentions by kind", ("kind", "found", "linked to an entity"),
                           ((k, f"{n:,}", f"{summary.linked.get(k, 0):,}")
                            for k, n in sorted(summary.by_kind.items(), key=lambda x: -x[1])
                            if k not in ("indicator", "concern"))))
    lex = lexicon()
    console.print(table_of(f"Top indicators (negated hits left out: {summary.negated:,})",
                           ("indicator", "label", "hits"),
                           ((i, lex.label(i), f"{n:,}") for i, n in summary.indicators.most_common(10))))
    shown = summary.concerns[:20]
    console.print(table_of(f"Language of concern, for review and training only; never used in a score "
                           f"({len(summary.concerns):,} phrases, showing {len(shown)})",
                           ("record", "phrase", "unit", "date"),
                           ((c.reference or f"#{c.record_id}", c.written, c.unit, c.date) for c in shown)))

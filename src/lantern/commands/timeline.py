"""`lantern timeline SUBJECT`: the chronology of a person, a group or a phone, with its exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lantern.commands.calls import bulk_store
from lantern.commands.context import session_of
from lantern.errors import LanternError
from lantern.graph.build import clusters
from lantern.output import console, table_of
from lantern.plotting import check_path
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.timeline import KINDS, Timeline, build_timeline
from lantern.timeline.build import check_kinds
from lantern.timeline.chart import timeline_chart
from lantern.timeline.export import rows, to_csv, to_xlsx
from lantern.timeline.privacy import protected_people


def _date(given: str | None, option: str) -> date | None:
    if given is None:
        return None
    try:
        return date.fromisoformat(given)
    except ValueError:
        raise LanternError(f"{option} {given!r} is not a date (YYYY-MM-DD)") from None


def labeller(timeline: Timeline, protected: dict[str, str], pseudonymiser: Pseudonymiser) -> Callable[[str], str]:
    """How a product shows a person: children and recorded victims as keyed pseudonyms (the
    same tokens as `lantern group`), except the person the analyst asked for by id."""
    asked = timeline.subject if timeline.subject_kind == "person" else None

    def label(entity: str) -> str:
        if entity == asked or entity not in protected:
            return entity
        return pseudonymiser.token(protected[entity], entity)

    return label


def timeline(
    ctx: typer.Context,
    subject: Annotated[str, typer.Argument(help="A person entity id (P7307), a group id (G001) or a phone number.")],
    date_from: Annotated[str | None, typer.Option("--from", help="Only events on or after this date (YYYY-MM-DD).")]
    = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Only events on or before this date (YYYY-MM-DD).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help=f"Only this kind of event (repeat for more): {', '.join(KINDS)}.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write the chronology to this CSV file.")] = None,
    xlsx_out: Annotated[Path | None, typer.Option("--xlsx", help="Also write it to this XLSX file.")] = None,
    chart_out: Annotated[Path | None, typer.Option("--chart", help="Also draw it to this PNG or SVG file.")] = None,
) -> None:
    """Every event about a person, group or phone in time order, with sources and grading.

    Crimes, intelligence, missing episodes, custody, stops, sightings, ANPR reads of their
    vehicles, referrals, and calls and messages summarised per day; merged across every record
    resolution put in the person. Children and recorded victims are pseudonymised.
    """
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    kinds = {k.strip().lower() for k in kind} if kind else None
    check_kinds(kinds)
    if chart_out is not None:
        check_path(chart_out)
    session = session_of(ctx)
    with session.case_action(Permission.READ, "timeline", "CONSULT") as (conn, case, note):
        found = build_timeline(conn, case.id, subject, start=start, end=end, kinds=kinds, bulk=bulk_store(session))
        protected = protected_people(conn, case.id, found, clusters(conn, case.id, "Person"))
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        label = labeller(found, protected, pseudonymiser)

        def scrub(text: str) -> str:
            return pseudonymiser.scrub(text) or ""

        table = rows(found, label, scrub)
        note.objects = list(dict.fromkeys([found.subject, *found.entities]))
        note.detail = {"subject": found.subject, "kind": found.subject_kind, "events": len(found.events),
                       "from": date_from, "to": date_to, "kinds": sorted(kinds) if kinds else None,
                       "files": [p.name for p in (csv_out, xlsx_out, chart_out) if p is not None]}
        # Written inside the audited transaction: a file exists only if its audit event does.
        if csv_out is not None:
            to_csv(table, csv_out)
        if xlsx_out is not None:
            to_xlsx(table, xlsx_out, f"Chronology of {found.subject_kind} {label(found.subject)}")
        if chart_out is not None:
            timeline_chart(found, chart_out, label)
    shown = label(found.subject) if found.subject_kind == "person" else found.subject
    who = f" ({', '.join(label(e) for e in found.entities)})" if found.subject_kind != "person" and found.entities else ""
    # Pseudonyms look like markup ("[child 1a2b]"): the title is escaped, as table cells are.
    console.print(table_of(
        escape(f"Chronology of {found.subject_kind} {shown}{who}: {len(found.events)} events "
               "(children and recorded victims pseudonymised)"),
        ("when", "kind", "summary", "people", "grading", "source"),
        ((r["when"] + (f" to {r['until']}" if r["until"] else ""), r["kind"], r["summary"], r["people"], r["grading"],
          r["source"]) for r in table)))
    for path in (csv_out, xlsx_out, chart_out):
        if path is not None:
            console.print(f"Wrote {path}")

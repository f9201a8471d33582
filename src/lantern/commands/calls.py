"""`lantern calls ...`: phone, device and vehicle analysis over the case's communications data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from lantern.commands.context import session_of
from lantern.comms import attribution, colocation, phones, switches
from lantern.comms.callstore import (
    LAYOUTS,
    BulkLoad,
    CallStore,
    layout_named,
    load_bulk,
    rejected_rows,
    vouched_files,
)
from lantern.comms.chart import activity_chart
from lantern.comms.frame import CommsFrame, load_frame
from lantern.comms.labels import NumberLabels
from lantern.errors import LanternError
from lantern.graph.build import person_entities
from lantern.output import console, err_console, table_of
from lantern.security.policy import AccessDenied, Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session

REJECTS_SHOWN = 20

calls_app = typer.Typer(help="Communications data: contacts, common contacts, chains, activity, device "
                             "switches, who uses a number, seized phones' contacts.", no_args_is_help=True)

Numbers = Annotated[list[str], typer.Argument(help="Phone numbers as written anywhere (07700 900123, +44...).")]
Number = Annotated[str, typer.Argument(help="A phone number (07700 900123, +44...).")]


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""


def _records(records: list[int]) -> str:
    return ", ".join(str(r) for r in records[:5]) + (" ..." if len(records) > 5 else "")


@contextmanager
def _case_frame(ctx: typer.Context, operation: str, numbers: list[str]
                ) -> Iterator[tuple[Connection, int, CommsFrame, bytes]]:
    """The case's comms frame, inside one audited read of the case."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, operation, "CONSULT") as (conn, case, note):
        note.objects = [f"phone:{n}" for n in numbers]
        with load_frame(conn, case.id, bulk=bulk_store(session)) as frame:
            yield conn, case.id, frame, session.keys.pseudonym_key


def bulk_store(session: Session) -> CallStore | None:
    """The workspace's bulk call data, if it has a place for it (a PostgreSQL workspace has
    one only with --data-dir)."""
    try:
        return session.call_store
    except LanternError:
        return None


@calls_app.command("load")
def load(ctx: typer.Context,
         files: Annotated[list[Path], typer.Argument(help="Provider CDR files (CSV or pipe-separated).")],
         layout: Annotated[str, typer.Option(help=f"The provider's layout: {', '.join(LAYOUTS)}.")]) -> None:
    """Load large provider CDRs (millions of rows) by DuckDB into the case's bulk call data,
    each file whole or not at all; rows that cannot be used are kept with row, field and reason."""
    chosen = layout_named(layout)
    session = session_of(ctx)
    failed = False
    for path in files:
        try:
            with (err_console.status(f"Loading {path.name} ({chosen.provider} layout) with DuckDB"),
                  session.case_action(Permission.WRITE, "calls load", "COLLECT") as (conn, case, note)):
                done = load_bulk(conn, session.call_store, case.id, path, chosen, session.actor.username)
                note.objects = [f"source:{done.source_id}"]
                note.detail = {"file": path.name, "sha256": done.sha256, "layout": chosen.provider,
                               "duplicate": done.duplicate}
                if done.result is not None:
                    note.detail |= {"rows": done.result.rows, "rejected": done.result.rejected}
        except AccessDenied:
            raise
        except LanternError as exc:
            failed = True
            err_console.print(f"[bold red]error:[/] {exc} [dim](nothing loaded from this file)[/]",
                              highlight=False, soft_wrap=True)
            continue
        _print_load(done)
    if failed:
        raise typer.Exit(1)


def _print_load(done: BulkLoad) -> None:
    name = Path(done.file).name
    if done.result is None:
        console.print(f"[yellow]{name}[/]: already loaded as source #{done.source_id}; nothing to do")
        return
    r = done.result
    console.print(f"[green]{name}[/]: source #{done.source_id}: {r.rows:,} rows, {r.calls_added:,} new calls, "
                  f"{r.calls_merged:,} rows of calls already known, {r.observations:,} handset observations"
                  + (f", [yellow]{r.rejected:,} rows rejected[/]" if r.rejected else ""), highlight=False)
    if r.rejects:
        console.print(table_of(f"Rejected rows of {name} (first {min(len(r.rejects), REJECTS_SHOWN)}; "
                               f"all with `lantern calls rejected {done.source_id}`)", ("row", "field", "reason"),
                               ((str(x.row), x.field, x.reason) for x in r.rejects[:REJECTS_SHOWN])))


@calls_app.command("rejected")
def rejected(ctx: typer.Context,
             source: Annotated[int, typer.Argument(help="The source number `calls load` gave the file.")],
             limit: Annotated[int, typer.Option(help="How many rows to list.")] = 1000) -> None:
    """Rows of a loaded CDR that could not be used: row, field, reason and the line as read."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "calls rejected", "CONSULT") as (conn, case, note):
        note.objects = [f"source:{source}"]
        if source not in vouched_files(conn, case.id):
            raise LanternError(f"no CDR source #{source} in case {case.name!r}")
        rows = rejected_rows(session.call_store, case.id, source, limit)
    console.print(table_of(f"Rejected rows of CDR source #{source} ({len(rows)})", ("row", "field", "reason", "line"),
                           ((str(r), f, why, line) for r, f, why, line in rows)))


@calls_app.command("top")
def top(ctx: typer.Context, number: Number,
        limit: Annotated[int, typer.Option(help="How many contacts.")] = 20) -> None:
    """A number's top contacts: calls, messages, time on the phone, first and last contact."""
    wanted = phones.clean_number(number)
    with _case_frame(ctx, "calls top", [wanted]) as (conn, case_id, frame, key):
        found = phones.top_contacts(frame, wanted, limit)
        label = NumberLabels(conn, case_id, key, [wanted, *(c.number for c in found)])
    console.print(table_of(f"Top contacts of {wanted} ({label(wanted)})",
                           ("number", "person", "calls", "messages", "minutes", "first", "last", "records"),
                           ((c.number, label(c.number), str(c.calls), str(c.messages), f"{c.seconds / 60:.0f}",
                             _when(c.first), _when(c.last), _records(c.records)) for c in found)))


@calls_app.command("common")
def common(ctx: typer.Context, numbers: Numbers,
           minimum: Annotated[int, typer.Option("--min", help="In contact with at least this many.")] = 2,
           limit: Annotated[int, typer.Option(help="How many to list.")] = 30) -> None:
    """Numbers in contact with several of the given numbers, shared by the most first."""
    wanted = [phones.clean_number(n) for n in numbers]
    with _case_frame(ctx, "calls common", wanted) as (conn, case_id, frame, key):
        found = phones.common_contacts(frame, wanted, minimum, limit)
        label = NumberLabels(conn, case_id, key, [c.number for c in found])
    console.print(table_of(f"Contacts common to {minimum}+ of {len(set(wanted))} numbers",
                           ("number", "person", "shared by", "contacts", "first", "last", "records"),
                           ((c.number, label(c.number), f"{len(c.shared_by)}: " + ", ".join(c.shared_by),
                             str(c.contacts), _when(c.first), _when(c.last), _records(c.records))
                            for c in found)))


@calls_app.command("chains")
def chains(ctx: typer.Context, number: Number,
           minutes: Annotated[int, typer.Option(help="Longest gap between the two calls.")] = 30) -> None:
    """Contact chains from a number: it calls B, then B calls C within minutes."""
    wanted = phones.clean_number(number)
    with _case_frame(ctx, "calls chains", [wanted]) as (conn, case_id, frame, key):
        found = phones.chains(frame, wanted, minutes)
        label = NumberLabels(conn, case_id, key, [c.c for c in found])
    console.print(table_of(f"Chains from {wanted} within {minutes} minutes",
                           ("A", "B", "C (person)", "A calls B", "B calls C", "records"),
                           ((c.a, c.b, f"{c.c} ({label(c.c)})", _when(c.first_at), _when(c.second_at),
                             _records(list(c.records))) for c in found)))


@calls_app.command("activity")
def activity(ctx: typer.Context, number: Number,
             output: Annotated[Path | None, typer.Option("--output", "-o", help="Also draw it (PNG or SVG).")] = None,
             ) -> None:
    """When a number is active: calls and messages by weekday and hour (table and chart)."""
    wanted = phones.clean_number(number)
    with _case_frame(ctx, "calls activity", [wanted]) as (conn, case_id, frame, key):
        grid = phones.activity(frame, wanted)
        label = NumberLabels(conn, case_id, key, [wanted])
    if not any(any(row) for row in grid):
        raise LanternError(f"no calls or messages for {wanted} in this case")
    hours = [sum(day[h] for day in grid) for h in range(24)]
    console.print(table_of(f"Activity of {wanted} by hour (all weekdays)", ("hour", "calls and messages"),
                           ((f"{h:02d}:00", str(n)) for h, n in enumerate(hours) if n)))
    if output is not None:
        console.print(f"Chart: {activity_chart(grid, f'Activity of {wanted} ({label(wanted)})', output)}")


@calls_app.command("switches")
def device_switches(ctx: typer.Context) -> None:
    """Likely handset and SIM changes: new handset for a number, new SIM in a handset, or a new
    number that rings the same people as one that fell silent."""
    with _case_frame(ctx, "calls switches", []) as (conn, case_id, frame, key):
        found = switches.likely_switches(frame)
        label = NumberLabels(conn, case_id, key, [s.new_number for s in found])
    console.print(table_of(f"Likely device switches ({len(found)})",
                           ("kind", "old number", "new number", "person", "date", "overlap", "why", "records"),
                           ((s.kind, s.old_number, s.new_number, label(s.new_number), f"{s.when:%Y-%m-%d}",
                             f"{s.overlap:.2f}", s.reason, _records(s.records)) for s in found)))


@calls_app.command("who")
def who(ctx: typer.Context, numbers: Numbers) -> None:
    """Who uses each number, with the evidence: records that give it, subscribers, saved names."""
    wanted = [phones.clean_number(n) for n in numbers]
    with _case_frame(ctx, "calls who", wanted) as (conn, case_id, frame, key):
        found = attribution.attribute(conn, case_id, frame, wanted)
        label = NumberLabels(conn, case_id, key, wanted)
    console.print(table_of("Who uses these numbers", ("number", "person", "evidence"),
                           ((a.number, label(a.number),
                             "withheld: a victim's or a child's number" if label.protected(a.number) else a.reason)
                            for a in found)))


@calls_app.command("contacts")
def contacts(ctx: typer.Context,
             limit: Annotated[int, typer.Option(help="How many to list.")] = 30) -> None:
    """Numbers saved in seized phones, those in the most phones first, with the saved names and
    the people whose records give the number (victims pseudonymised)."""
    with _case_frame(ctx, "calls contacts", []) as (conn, case_id, frame, key):
        found = attribution.shared_saved_contacts(conn, case_id, frame)[:limit]
        label = NumberLabels(conn, case_id, key, [c.number for c in found])
    console.print(table_of("Seized phones' contacts, saved in the most phones first",
                           ("number", "person", "phones", "saved as", "records"),
                           ((c.number, label(c.number), str(len(c.phones)),
                             "(withheld: a victim or a child)" if label.protected(c.number) else ", ".join(c.names),
                             _records(c.records)) for c in found)))


@calls_app.command("colocated")
def colocated(ctx: typer.Context, number: Number,
              minutes: Annotated[float, typer.Option(help="Within this many minutes.")] = 30,
              km: Annotated[float, typer.Option(help="Cells within this distance count as near.")] = 1.0,
              limit: Annotated[int, typer.Option(help="How many phones to list.")] = 20) -> None:
    """Phones seen on the same or a nearby cell as this number, at about the same time."""
    wanted = phones.clean_number(number)
    with _case_frame(ctx, "calls colocated", [wanted]) as (conn, case_id, frame, key):
        found = colocation.co_located(frame, wanted, minutes=minutes, km=km)[:limit]
        label = NumberLabels(conn, case_id, key, [wanted, *(c.number for c in found)])
    console.print(table_of(f"Phones near {wanted} ({label(wanted)}) within {minutes:g} min and {km:g} km",
                           ("number", "person", "occasions", "on calls together", "first", "last", "cells",
                            "records"),
                           ((c.number, label(c.number), str(c.occasions), str(c.on_calls), _when(c.first),
                             _when(c.last), ", ".join(c.cells[:4]), _records(list(c.evidence))) for c in found)))


@calls_app.command("convoys")
def convoys(ctx: typer.Context,
            minutes: Annotated[float, typer.Option(help="Read by one camera within this many minutes.")] = 5,
            minimum: Annotated[int, typer.Option("--min", help="On at least this many days.")] = 2) -> None:
    """Vehicles travelling together: read by the same ANPR camera minutes apart, day after day."""
    with _case_frame(ctx, "calls convoys", []) as (_, _case_id, frame, _key):
        found = colocation.travelling_together(frame, minutes=minutes, min_occasions=minimum)
    console.print(table_of(f"Vehicles travelling together ({len(found)} pairs)",
                           ("vehicle", "vehicle", "days", "cameras", "why", "ANPR records"),
                           ((c.vrm_a, c.vrm_b, str(c.occasions), ", ".join(c.cameras), c.reason,
                             _records(list(c.evidence))) for c in found)))


@calls_app.command("missing-vehicles")
def missing_vehicles(ctx: typer.Context) -> None:
    """Vehicles read near where a missing child was found, while the child was missing
    (children pseudonymised)."""
    with _case_frame(ctx, "calls missing-vehicles", []) as (conn, case_id, frame, key):
        found = colocation.vehicles_near_premises_while_missing(conn, frame, case_id)
        pseudonymiser = Pseudonymiser.of(conn, case_id, key)
        entity_of = person_entities(conn, case_id)
    console.print(table_of(f"Vehicles near where missing children were found, while they were missing ({len(found)})",
                           ("vehicle", "child", "episode", "from", "to", "area", "reads"),
                           ((v.vrm, pseudonymiser.token("child", entity_of.get(v.person_record, str(v.person_record)))
                             if v.person_record else "-",
                             v.reference or str(v.episode_record), _when(v.start), _when(v.end), v.outward,
                             _records(list(v.reads))) for v in found)))

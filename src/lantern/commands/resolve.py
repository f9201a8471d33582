"""`lantern resolve`, `explain`, `judge` and `review-queue`: who is who, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lantern.commands.context import session_of
from lantern.output import console, table_of
from lantern.resolve import explain as explaining
from lantern.resolve import service
from lantern.security.policy import Permission


def resolve(
    ctx: typer.Context,
    engine: Annotated[str, typer.Option(help="duckdb (one machine) or spark (a cluster).")] = "duckdb",
    threshold: Annotated[float, typer.Option(help="Match probability at which records join.")] =
        service.DEFAULT_THRESHOLD,
) -> None:
    """Resolve the case's person records into people (Splink), keeping every record intact."""
    session = session_of(ctx)
    with console.status("Scoring and clustering person records..."), session.case_action(
            Permission.WRITE, "resolve", "COMBINE") as (conn, case, note):
        summary = service.resolve_people(conn, case.id, session.actor.username, engine=engine,
                                         threshold=threshold)
        object_runs = service.resolve_all_objects(conn, case.id, session.actor.username)
        note.objects = service.audited_runs(summary, object_runs)
        note.detail = {"records": summary.records, "entities": summary.entities, "pairs": summary.pairs,
                       "held": summary.held, "engine": engine, "threshold": threshold}
    console.print(f"Resolved {summary.records:,} person records to {summary.entities:,} people "
                  f"({summary.pairs:,} pairs scored, {summary.held} joins held for review) in "
                  f"{summary.seconds:.1f}s; run #{summary.run_id}")
    if object_runs:
        console.print("By their keys: " + ", ".join(
            f"{o.records:,} {o.schema} records to {o.entities:,}" for o in object_runs))


def explain(
    ctx: typer.Context,
    a: Annotated[int, typer.Argument(help="A person record (its Lantern record number).")],
    b: Annotated[int, typer.Argument(help="Another person record.")],
    chart: Annotated[Path | None, typer.Option(help="Also draw the waterfall chart to this PNG or SVG.")] = None,
) -> None:
    """Why two records are, or are not, one person: each comparison's weight and the values."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "explain", "CONSULT") as (conn, case, note):
        found = explaining.explain(conn, case.id, a, b)
        note.objects = [f"record:{a}", f"record:{b}"]
    verdict = "the same person" if found.same_entity else "different people"
    console.print(f"Records {a} and {b}: Lantern holds them as [bold]{verdict}[/] "
                  f"({found.entity_a} / {found.entity_b})")
    for record, where in found.sources.items():
        console.print(f"  record {record}: {where}")
    rows = [("prior (two random records)", "", "", f"{found.prior_weight:+.2f}")]
    rows += [(s.comparison, s.level, f"{s.left}  |  {s.right}", f"{s.weight:+.2f}") for s in found.steps]
    rows.append(("total", "", "", f"{found.match_weight:+.2f}"))
    console.print(table_of("Match weight, comparison by comparison", ("comparison", "level", "values", "weight"),
                           rows))
    console.print(f"Match probability {found.match_probability:.4f}"
                  + ("" if found.scored_by_blocking else " (scored now: blocking never compared them)"))
    if found.held_reason:
        console.print(f"[yellow]Held by the over-merge guard:[/] {found.held_reason}")
    if found.judgement:
        console.print(f"An analyst judged them: [bold]{found.judgement}[/]")
    if chart is not None:
        from lantern.resolve.chart import waterfall

        console.print(f"Waterfall chart: {waterfall(found, chart)}")


def judge(
    ctx: typer.Context,
    a: Annotated[int, typer.Argument(help="A person record.")],
    b: Annotated[int, typer.Argument(help="Another person record.")],
    decision: Annotated[str, typer.Argument(help="same, different or unsure.")],
    reason: Annotated[str, typer.Option(help="Why: kept with your name.")],
) -> None:
    """Record your judgement on two records; it overrides the model from now on."""
    session = session_of(ctx)
    with session.case_action(Permission.WRITE, "judge", "ALTER") as (conn, case, note):
        summary = service.record_judgement(conn, case.id, a, b, decision, reason, session.actor.username)
        note.objects = [f"record:{a}", f"record:{b}", f"resolution:{summary.run_id}"]
        note.detail = {"decision": decision, "reason": reason}
    console.print(f"Judged {a} and {b} {decision}; re-clustered: {summary.entities:,} people (run #{summary.run_id})")


def review_queue(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many pairs to list.")] = 20,
) -> None:
    """The undecided pairs whose decision would change the most, first."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "review-queue", "CONSULT") as (conn, case, note):
        items = explaining.review_queue(conn, case.id, limit)
        note.objects = [f"record:{x}" for item in items for x in (item.a, item.b)]
    if not items:
        console.print("Nothing waiting for review.")
        return
    console.print(table_of("Review queue (see `lantern explain A B`, then `lantern judge A B ...`)",
                           ("A", "B", "probability", "why"),
                           ((i.a, i.b, f"{i.match_probability:.2f}", i.why) for i in items)))

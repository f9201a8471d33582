"""`lantern risk`: every child in the case ranked by an explainable score, with every reason.

Children and recorded victims are shown as keyed pseudonyms (as in `lantern victims`) unless
--reveal is given, with a reason, by a user who holds victim.identity. Adults are shown by
their entity ids. The scorer never reads ethnicity, religion or nationality
(docs/risk-model-card.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from lantern.commands.context import check_reveal, session_of
from lantern.errors import LanternError
from lantern.export.tabular import write_csv
from lantern.output import console, table_of
from lantern.risk import assess
from lantern.risk.score import Assessment, ChildRisk, Reason
from lantern.risk.service import display_names
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser

CSV_COLUMNS = ("entity_id", "rank", "score", "reasons")
Label = Callable[[str], str]


def labeller(assessment: Assessment, pseudonymiser: Pseudonymiser | None,
             names: dict[str, str] | None = None) -> tuple[Label, Callable[[str], str]]:
    """How people and free text are shown: (label for an entity id, scrub for a text)."""
    children = assessment.children()
    victims = assessment.recorded_victims

    def label(entity: str) -> str:
        if pseudonymiser is None:
            name = (names or {}).get(entity)
            return f"{entity} ({name})" if name and (entity in children or entity in victims) else entity
        if entity in victims:
            return pseudonymiser.token("victim", entity)
        if entity in children:
            return pseudonymiser.token("child", entity)
        return entity

    def scrub(text: str) -> str:
        return (pseudonymiser.scrub(text) or "") if pseudonymiser is not None else text

    return label, scrub


def reason_line(reason: Reason, label: Label, scrub: Callable[[str], str], records: int | None = 8) -> str:
    shown = reason.records if records is None else reason.records[:records]
    more = "" if records is None or len(reason.records) <= records else f" +{len(reason.records) - records} more"
    return (f"{reason.kind} +{reason.weight:g}: {scrub(reason.text(label))} "
            f"[records {', '.join(str(r) for r in shown)}{more}]")


def print_children(assessment: Assessment, label: Label, scrub: Callable[[str], str], limit: int,
                   title: str | None = None) -> None:
    top = assessment.top(limit)
    console.print(table_of(
        title or f"Children at risk (showing {len(top)} of {len(assessment.ranked)} with a reason; "
                 f"{len(assessment.quiet)} other children have none). {assessment.weights}; "
                 "each reason with what it adds and its records",
        ("rank", "child", "age", "score", "reasons"),
        ((str(c.rank), label(c.entity), c.childhood.describe(), f"{c.score:g}",
          "\n".join(reason_line(r, label, scrub) for r in c.reasons)) for c in top)))


def print_summary(assessment: Assessment, label: Label, limit: int, title: str) -> None:
    """One line of reasons per child (kind, how many, what they add): the demo's short view;
    `lantern risk` gives every reason with its records."""
    def kinds(child: ChildRisk) -> str:
        added: dict[str, list[float]] = {}
        for reason in child.reasons:
            added.setdefault(reason.kind, []).append(reason.weight)
        return ", ".join(f"{kind} x{len(w)} +{sum(w):g}" for kind, w in added.items())

    console.print(table_of(title, ("rank", "child", "score", "reasons (kind x how many + what they add)"),
                           ((str(c.rank), label(c.entity), f"{c.score:g}", kinds(c))
                            for c in assessment.top(limit))))


def _csv_rows(assessment: Assessment, label: Label, scrub: Callable[[str], str]) -> list[list[str]]:
    rows = []
    for child in assessment.ranked:
        rows.append(_row(child, label, scrub))
    for entity, found in assessment.quiet:
        rows.append([label(entity), "", "0", f"{found.describe()}; no reason found in the records"])
    return rows


def _row(child: ChildRisk, label: Label, scrub: Callable[[str], str]) -> list[str]:
    reasons = " | ".join(reason_line(r, label, scrub, records=None) for r in child.reasons)
    return [label(child.entity), str(child.rank), f"{child.score:g}", f"{child.childhood.describe()}; {reasons}"]


def risk(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most this many children.")] = 20,
    csv_out: Annotated[Path | None, typer.Option(
        "--csv", help="Also write entity_id,rank,score,reasons for every child to this CSV file.")] = None,
    weights: Annotated[Path | None, typer.Option(
        help="A weights YAML file (default: the shipped, documented lantern/risk/weights.yaml).")] = None,
    reveal: Annotated[bool, typer.Option(help="Show children's entity ids and names (needs victim.identity).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why identities are revealed (required with --reveal).")] = None,
) -> None:
    """Children at risk: every child ranked by an explainable score, each reason with its weight
    and source records. Supports a human decision; it does not make one.

    Reads the latest network (run `lantern network` first). Children are pseudonymised unless
    --reveal is given with --reason by a user holding victim.identity.
    """
    if limit < 0:
        raise LanternError("--limit must be 0 or more")
    session = session_of(ctx)
    check_reveal(session, reveal, reason)
    with session.case_action(Permission.READ, "risk", "CONSULT") as (conn, case, note):
        assessment = assess(conn, case.id, weights)
        pseudonymiser = None if reveal else Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        names = display_names(conn, case.id, assessment.children()) if reveal else None
        label, scrub = labeller(assessment, pseudonymiser, names)
        shown = assessment.ranked if csv_out else assessment.top(limit)
        note.objects = [c.entity for c in shown]
        note.detail = {"children": len(assessment.ranked) + len(assessment.quiet), "with_reasons": len(assessment.ranked),
                       "weights": assessment.weights, "network_run": assessment.network_run,
                       "revealed": reveal, "reason": reason, "file": csv_out.name if csv_out else None}
        rows = _csv_rows(assessment, label, scrub) if csv_out is not None else []
    print_children(assessment, label, scrub, limit)
    if csv_out is not None:  # the file appears only once its audit event is committed
        write_csv(csv_out, rows, CSV_COLUMNS)
        console.print(f"Wrote {len(assessment.ranked) + len(assessment.quiet):,} children to {csv_out}"
                      + ("" if reveal else " (pseudonymised)"))

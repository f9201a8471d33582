"""`lantern search` and `lantern profile`: find anyone or anything in a case, then everything
known about one person. Children and victims are shown as keyed pseudonyms (the same tokens as
`lantern risk` and `lantern timeline`) unless --reveal is given with --reason by a user who
holds victim.identity."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from lantern.commands.context import check_reveal, session_of
from lantern.lookup import KINDS, person_profile
from lantern.lookup import search as find
from lantern.lookup.search import check_query
from lantern.lookup.shown import ShownFact, show_hits, show_profile
from lantern.output import console, table_of
from lantern.security.policy import Permission

RevealOption = Annotated[bool, typer.Option(help="Show children's and victims' names (needs victim.identity).")]
ReasonOption = Annotated[str | None, typer.Option(help="Why identities are revealed (required with --reveal).")]


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="A name (misspelt is fine), a phone number, a VRM, a postcode "
                                              "or address, or words from a report.")],
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help=f"Only this kind of hit (repeat for more): {', '.join(KINDS)}.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many hits of each kind.")] = 20,
    reveal: RevealOption = False,
    reason: ReasonOption = None,
) -> None:
    """Search the case: people by name (fuzzy: misspellings, nicknames, first and last names
    swapped), phones, vehicles, places and report text; each hit says why it matched."""
    text, kinds = check_query(query, kind, limit)
    session = session_of(ctx)
    check_reveal(session, reveal, reason)
    with session.case_action(Permission.READ, "search", "CONSULT") as (conn, case, note):
        hits = find(conn, case.id, text, kinds, limit)
        shown = show_hits(conn, case.id, hits, session.keys.pseudonym_key, reveal)
        note.objects = [h.id for h in hits if h.kind == "person"]
        note.detail = {"kinds": sorted(kinds), "hits": len(hits), "revealed": reveal, "reason": reason,
                       "channel": "cli"}
    if not shown:
        console.print("Nothing found.")
    for each in (k for k in KINDS if k in kinds):
        rows = [h for h in shown if h.kind == each]
        if rows:
            console.print(table_of(escape(f"{each}: {len(rows)} found (children and victims pseudonymised)"),
                                   ("id", "shown as", "why", "score", "records", "people", "text"),
                                   ((h.id, h.label, h.why, f"{h.score:g}", f"{h.count} ({_few(h.records)})",
                                     ", ".join(h.people_labels[:8]), h.snippet) for h in rows)))


def _few(records: list[int], shown: int = 5) -> str:
    return ", ".join(map(str, records[:shown])) + (" ..." if len(records) > shown else "")


def _facts(title: str, found: list[ShownFact]) -> None:
    console.print(table_of(escape(title), ("value", "as written", "records", "sources"),
                           ((f.value, "; ".join(f.written), _few(f.records), "; ".join(f.sources[:4]))
                            for f in found)))


def profile(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="A person entity id (P123), as search, ego or players show.")],
    reveal: RevealOption = False,
    reason: ReasonOption = None,
) -> None:
    """Everything known about one person: names, dates of birth, phones and addresses (each with
    its source rows), events, network ties, groups and, for a child, the risk reasons."""
    session = session_of(ctx)
    check_reveal(session, reveal, reason)
    with session.case_action(Permission.READ, "profile", "CONSULT") as (conn, case, note):
        found = person_profile(conn, case.id, entity)
        shown = show_profile(conn, case.id, found, session.keys.pseudonym_key, reveal)
        note.objects = [found.entity, *(link.other for link in found.links)]
        note.detail = {"entity": found.entity, "events": len(found.events), "links": len(found.links),
                       "revealed": reveal, "reason": reason, "channel": "cli"}
    console.print(escape(f"Person {shown.entity}: {shown.label}") + (" (a child or victim: pseudonymised)"
                                                                    if shown.pseudonymised else ""))
    for title, facts in (("Names", shown.names), ("Dates of birth", shown.dobs), ("Phones", shown.phones),
                         ("Addresses", shown.addresses)):
        _facts(title, facts)
    console.print(table_of(f"Events: {len(shown.events)}", ("when", "kind", "summary", "people", "source"),
                           ((e.when, e.kind, e.summary, ", ".join(e.people), "; ".join(e.sources[:2]))
                            for e in shown.events)))
    console.print(table_of(f"Network ties: {len(shown.links)}", ("person", "ties", "count", "first", "last"),
                           ((link.label, ", ".join(link.types), str(link.count), link.first, link.last)
                            for link in shown.links)))
    console.print(table_of("Groups", ("group", "role", "key-player rank", "why"),
                           ((str(g["group"]), str(g["role"]), str(g["rank"]), str(g["reason"]))
                            for g in shown.groups)))
    if shown.risk_score is not None:
        console.print(table_of(f"Risk reasons (score {shown.risk_score:g})", ("kind", "adds", "reason", "records"),
                               ((r.kind, f"+{r.weight:g}", r.text, _few(r.records)) for r in shown.risk_reasons)))
    if shown.network_run is None:
        console.print("No network yet: run `lantern network` for ties, groups and risk reasons.")

"""`lantern network`: build the person network, find the groups and the key players."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from lantern.commands.calls import bulk_store
from lantern.commands.context import check_reveal, session_of
from lantern.errors import LanternError
from lantern.graph import query, service
from lantern.graph.build import Window
from lantern.graph.chart import draw
from lantern.graph.groups import DEFAULT_OBJECTIVE, Member
from lantern.graph.view import network_view
from lantern.output import console, table_of
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser


def network(
    ctx: typer.Context,
    objective: Annotated[str, typer.Option(help="Leiden objective: cpm (a density, the same on any size of "
                                                "graph) or modularity.")] = DEFAULT_OBJECTIVE,
    resolution: Annotated[float | None, typer.Option(
        help="Leiden resolution: higher finds smaller, tighter groups (default: cpm 3.0, modularity 2.0).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same groups.")] = 1,
    show: Annotated[int, typer.Option(help="How many groups to list.")] = 10,
    date_from: Annotated[str | None, typer.Option("--from", help="Only ties on or after this date (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Only ties on or before this date (YYYY-MM-DD).")] = None,
) -> None:
    """Build the network over resolved people; list the groups with roles and key players.

    With --from/--to, the network as it stood in that period (undated ties are left out).
    """
    for given in (date_from, date_to):
        if given is not None:
            try:
                date.fromisoformat(given)
            except ValueError:
                raise LanternError(f"{given!r} is not a date (YYYY-MM-DD)") from None
    session = session_of(ctx)
    with session.case_action(Permission.WRITE, "network", "COMBINE") as (conn, case, note):
        summary = service.build_and_store(conn, case.id, session.actor.username, resolution=resolution, seed=seed,
                                          window=Window(date_from, date_to), objective=objective,
                                          bulk=bulk_store(session))
        note.objects = [f"network:{summary.run_id}"]
        note.detail = {"people": summary.people, "edges": summary.edges, "groups": summary.groups,
                       "objective": objective, "resolution": resolution, "seed": seed, "from": date_from,
                       "to": date_to}
    types = ", ".join(f"{n:,} {t}" for t, n in sorted(summary.edge_types.items(), key=lambda x: -x[1]))
    organised = sum(g.organised_network for g in summary.groups_found.values())
    console.print(f"Network: {summary.people:,} connected people, {summary.edges:,} ties ({types}); "
                  f"{summary.groups} groups of two or more, {organised} meeting the organised-network definition "
                  f"(run #{summary.run_id})")
    print_groups(summary, show)


def print_groups(summary: service.NetworkSummary, show: int) -> None:
    """Groups that meet the organised-network definition first, then by their best key player."""
    by_group: dict[str, list[Member]] = defaultdict(list)
    for member in summary.members:
        by_group[member.group_id].append(member)

    def order(item: tuple[str, list[Member]]) -> tuple[bool, int]:
        details = summary.groups_found[item[0]]
        return (not details.organised_network, min((m.rank for m in item[1] if m.rank), default=10**9))

    ranked = sorted(by_group.items(), key=order)[:show]
    console.print(table_of(f"Groups, organised networks first (showing {len(ranked)} of {summary.groups})",
                           ("group", "people", "not victims", "victims tied", "organised network", "organiser",
                            "key players (rank)"),
                           ((g, str(len(ms)), str(summary.groups_found[g].offenders),
                             str(len(summary.groups_found[g].victims)),
                             "yes" if summary.groups_found[g].organised_network else "no",
                             next((m.entity_id for m in ms if m.role == "organiser"), ""),
                             ", ".join(f"{m.entity_id} ({m.rank})" for m in sorted(
                                 (m for m in ms if m.rank), key=lambda m: m.rank)[:4]))
                            for g, ms in ranked)))


def players(
    ctx: typer.Context,
    top: Annotated[int, typer.Option(help="How many key players to list.")] = 20,
) -> None:
    """Key players of the latest network: rank, group, role and the reason for the rank."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "players", "CONSULT") as (conn, case, note):
        found = query.key_players(conn, case.id, top)
        note.objects = [p for p, *_ in found]
    console.print(table_of(f"Key players (top {len(found)}): weighted degree, betweenness, eigenvector and "
                           "brokerage together; children and recorded victims are not ranked",
                           ("rank", "person", "name", "group", "role", "why"),
                           ((str(rank), person, name, group, role, reason)
                            for person, name, group, role, rank, reason in found)))


def path(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="A person entity id, e.g. P7307.")],
    b: Annotated[str, typer.Argument(help="Another person entity id.")],
    k: Annotated[int, typer.Option(help="How many short paths to show.")] = 3,
) -> None:
    """How two people are linked: the shortest paths along the strongest ties, with evidence."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "path", "CONSULT") as (conn, case, note):
        net = query.load(conn, case.id)
        found = query.paths(net, a, b, k)
        note.objects = sorted({p for route in found for p in route})
    if not found:
        console.print(f"No path links {a} and {b} in the network.")
        return
    for n, route in enumerate(found, start=1):
        console.print(f"[bold]Path {n}[/]: {' - '.join(route)} ({len(route) - 1} hops)")
        rows = []
        for x, y in zip(route, route[1:], strict=False):
            for tie in net.ties_between(x, y):
                rows.append((f"{x} - {y}", tie.type, str(tie.count), f"{tie.first or ''} .. {tie.last or ''}",
                             ", ".join(str(r) for r in tie.evidence[:5])))
        console.print(table_of("Evidence on each hop", ("hop", "tie", "count", "first .. last", "records"), rows))


def ego(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="A person entity id, e.g. P7307.")],
    hops: Annotated[int, typer.Option(help="How many ties out.")] = 2,
) -> None:
    """Everyone within N ties of a person, nearest first, with their group."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "ego", "CONSULT") as (conn, case, note):
        net = query.load(conn, case.id)
        around = query.ego(net, entity, hops)
        note.objects = [e for e, _ in around]
    console.print(table_of(f"{entity} and {len(around) - 1} people within {hops} ties", ("person", "ties away", "group"),
                           ((e, str(d), net.groups.get(e, "")) for e, d in around)))


def chart(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG or SVG file.")],
    group: Annotated[str | None, typer.Option(help="Draw this group (e.g. G007).")] = None,
    person: Annotated[str | None, typer.Option(help="Draw this person's ego network.")] = None,
    hops: Annotated[int, typer.Option(help="Ties out from the person.")] = 1,
    recipient: Annotated[str, typer.Option(help="Who the chart is for (audited).")] = "case team",
    reveal: Annotated[bool, typer.Option(help="Show victims' names (needs victim.identity).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why victims are revealed.")] = None,
) -> None:
    """Draw a group, or a person's ego network, to PNG or SVG (victims pseudonymised)."""
    if (group is None) == (person is None):
        raise LanternError("give --group or --person")
    session = session_of(ctx)
    check_reveal(session, reveal, reason)
    with session.case_action(Permission.EXPORT, "chart", "DISCLOSE") as (conn, case, note):
        pseudonymiser = None if reveal else Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        view = network_view(conn, case.id, pseudonymiser)
        if group is not None:
            keep = {n["id"] for n in view.nodes if n["group"] == group}
            title = f"Group {group}: {len(keep)} people"
        else:
            net = query.load(conn, case.id)
            keep = {e for e, _ in query.ego(net, person or "", hops)}
            title = f"{person} and the people within {hops} ties"
        drawn = draw(view, keep, title, output)
        note.recipient = recipient
        note.objects = sorted(keep)
        note.detail = {"file": output.name, "revealed": reveal, "reason": reason}
    console.print(f"Chart: {drawn}")


def group(
    ctx: typer.Context,
    group_id: Annotated[str, typer.Argument(help="A group id from `lantern network`, e.g. G007.")],
) -> None:
    """One group: members and roles, the victims tied to it and how, forces, phones."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "group", "CONSULT") as (conn, case, note):
        net = query.load(conn, case.id)
        profile = query.group_profile(conn, case.id, net, group_id)
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        victims = {v for v, _ in profile.victims}
        children = {c for c, _ in profile.children}
        shown = {m: pseudonymiser.token("victim", m) if m in victims else
                 pseudonymiser.token("child", m) if m in children else m for m, *_ in profile.members}
        note.objects = [m for m, *_ in profile.members] + sorted(victims | children)
    definition = "meets" if profile.organised_network else "does not meet"
    console.print(f"Group {group_id}: {len(profile.members)} people; {definition} the organised-network definition "
                  "(two or more associated people, not recorded as victims, with a child victim tied to them); "
                  f"forces: {', '.join(profile.forces) or 'unknown'}")
    console.print(table_of("Members (victims and children pseudonymised)", ("person", "role", "key-player rank", "why"),
                           ((shown[m], role, str(rank) if rank else "-", reason)
                            for m, role, rank, reason in profile.members)))
    console.print(table_of("Victims tied to the group (pseudonymised)", ("victim", "tied by"),
                           ((pseudonymiser.token("victim", v), how) for v, how in profile.victims)))
    if profile.children:
        console.print(table_of("Other children tied to the group's adults (pseudonymised; no record names them "
                               "as victims)", ("child", "tied by"),
                               ((pseudonymiser.token("child", c), how) for c, how in profile.children)))
    for label, values in (("Premises where two or more of the group were seen", profile.premises),
                          ("Vehicles", profile.vehicles), ("Phones", profile.phones)):
        if values:
            console.print(f"{label}: " + ", ".join(values[:20]) + (" ..." if len(values) > 20 else ""))


def between(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(help="A group id.")],
    second: Annotated[str, typer.Argument(help="Another group id.")],
) -> None:
    """Who links two groups: people with ties into both."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "between", "CONSULT") as (conn, case, note):
        net = query.load(conn, case.id)
        links = query.between(net, first, second)
        note.objects = [p for p, *_ in links]
    if not links:
        console.print(f"Nobody in the network links {first} and {second}.")
        return
    console.print(table_of(f"People linking {first} and {second}", ("person", "group", f"ties into {first}",
                                                                      f"ties into {second}"),
                           ((p, g, str(a), str(b)) for p, g, a, b in links)))


def victims(
    ctx: typer.Context,
    minimum: Annotated[int, typer.Option("--min-suspects", help="At least this many suspects.")] = 2,
) -> None:
    """Victims tied in the network to several people who are suspects (pseudonymised)."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "victims", "CONSULT") as (conn, case, note):
        net = query.load(conn, case.id)
        found = query.victims_of_several(conn, case.id, net, minimum)
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        note.objects = [v for v, _ in found]
    console.print(table_of(f"Victims tied to {minimum} or more suspects", ("victim", "suspects", "who"),
                           ((pseudonymiser.token("victim", v), str(len(s)), ", ".join(s)) for v, s in found)))

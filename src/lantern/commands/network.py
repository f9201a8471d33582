"""`lantern network`: build the person network, find the groups and the key players."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

import typer

from lantern.commands.context import session_of
from lantern.graph import service
from lantern.graph.groups import DEFAULT_RESOLUTION, Member
from lantern.output import console, table_of
from lantern.security.policy import Permission


def network(
    ctx: typer.Context,
    resolution: Annotated[float, typer.Option(help="Leiden resolution: higher finds smaller groups.")] =
        DEFAULT_RESOLUTION,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same groups.")] = 1,
    show: Annotated[int, typer.Option(help="How many groups to list.")] = 10,
) -> None:
    """Build the network over resolved people; list the groups with roles and key players."""
    session = session_of(ctx)
    with session.case_action(Permission.WRITE, "network", "COMBINE") as (conn, case, note):
        summary = service.build_and_store(conn, case.id, session.actor.username, resolution=resolution, seed=seed)
        note.objects = [f"network:{summary.run_id}"]
        note.detail = {"people": summary.people, "edges": summary.edges, "groups": summary.groups,
                       "resolution": resolution, "seed": seed}
    types = ", ".join(f"{n:,} {t}" for t, n in sorted(summary.edge_types.items(), key=lambda x: -x[1]))
    console.print(f"Network: {summary.people:,} connected people, {summary.edges:,} ties ({types}); "
                  f"{summary.groups} groups of two or more (run #{summary.run_id})")
    by_group: dict[str, list[Member]] = defaultdict(list)
    for member in summary.members:
        by_group[member.group_id].append(member)
    ranked = sorted(by_group.items(), key=lambda item: min(m.rank for m in item[1]))[:show]
    console.print(table_of(f"Groups, most central first (showing {len(ranked)} of {summary.groups})",
                           ("group", "size", "organiser", "key players (rank)"),
                           ((g, str(len(ms)), next((m.entity_id for m in ms if m.role == "organiser"), ""),
                             ", ".join(f"{m.entity_id} ({m.rank})" for m in sorted(ms, key=lambda m: m.rank)[:5]))
                            for g, ms in ranked)))

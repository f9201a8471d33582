"""Network runs in the store: build, find groups, keep edges and groups; read them back."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from lantern.comms.callstore import CallStore
from lantern.errors import LanternError
from lantern.graph.build import ALGORITHM_VERSION, Window, build_network
from lantern.graph.groups import (
    DEFAULT_OBJECTIVE,
    DEFAULT_RESOLUTION,
    OBJECTIVES,
    GroupSummary,
    Member,
    find_groups,
    summarise,
)
from lantern.store import tables
from lantern.store.bulk import bulk_insert
from lantern.store.workspace import inserted_id, utcnow

runs, edges_t, groups_t = tables.network_runs, tables.network_edges, tables.network_groups


@dataclass(frozen=True)
class NetworkSummary:
    run_id: int
    people: int
    edges: int
    edge_types: dict[str, int]
    groups: int
    members: list[Member]
    groups_found: dict[str, GroupSummary]


def build_and_store(conn: Connection, case_id: int, user: str, *, resolution: float | None = None,
                    seed: int = 1, window: Window | None = None, objective: str = DEFAULT_OBJECTIVE,
                    bulk: CallStore | None = None) -> NetworkSummary:
    if objective not in OBJECTIVES:
        raise LanternError(f"--objective must be one of: {', '.join(OBJECTIVES)}")
    resolution = DEFAULT_RESOLUTION[objective] if resolution is None else resolution
    if resolution <= 0:
        raise LanternError("--resolution must be positive")
    resolution_run = conn.scalar(select(tables.resolution_runs.c.id).where(
        tables.resolution_runs.c.case_id == case_id, tables.resolution_runs.c.schema == "Person")
        .order_by(tables.resolution_runs.c.id.desc()).limit(1))
    window = window or Window()
    network = build_network(conn, case_id, window, bulk)
    members = find_groups(network, resolution=resolution, seed=seed, objective=objective)
    found = summarise(network, members)
    connected = {p for e in network.edges.values() for p in (e.a, e.b)}
    types = Counter(e.type for e in network.edges.values())
    groups = len(found)
    stats = {"people": len(connected), "edges": len(network.edges), "edge_types": dict(types), "groups": groups,
             "organised_networks": sum(g.organised_network for g in found.values()),
             "group_details": {g.group_id: {"offenders": g.offenders, "victims": len(g.victims),
                                            "organised_network": g.organised_network,
                                            "vehicles": sorted(g.vehicles.values()),
                                            "premises": sorted(g.premises.values())} for g in found.values()}}
    run_id = inserted_id(conn.execute(insert(runs).values(
        case_id=case_id, resolution_run_id=resolution_run, algorithm_version=ALGORITHM_VERSION,
        params_json=json.dumps({"resolution": resolution, "seed": seed, "leiden": objective,
                                "from": window.start, "to": window.end}),
        stats_json=json.dumps(stats), run_by=user, created_at=utcnow())))
    bulk_insert(conn, edges_t, ("run_id", "entity_a", "entity_b", "type", "count", "weight", "first_seen",
                                "last_seen", "evidence_json"),
                [(run_id, e.a, e.b, e.type, e.count, e.weight, e.first, e.last, json.dumps(e.evidence))
                 for e in network.edges.values()])
    bulk_insert(conn, groups_t, ("run_id", "entity_id", "group_id", "role", "rank", "scores_json", "reason"),
                [(run_id, m.entity_id, m.group_id, m.role, m.rank,
                  json.dumps({"degree": m.degree, "betweenness": m.betweenness, "eigenvector": m.eigenvector,
                              "brokerage": m.brokerage, "score": m.score}),
                  m.reason) for m in members])
    return NetworkSummary(run_id, len(connected), len(network.edges), dict(types), groups, members, found)


def group_details(conn: Connection, run_id: int) -> dict[str, dict[str, Any]]:
    """What `build_and_store` kept of each group: offenders, victims, vehicles, premises."""
    stats = json.loads(conn.scalar(select(runs.c.stats_json).where(runs.c.id == run_id)) or "{}")
    return dict(stats.get("group_details", {}))


def latest_network(conn: Connection, case_id: int) -> int:
    run = conn.scalar(select(runs.c.id).where(runs.c.case_id == case_id).order_by(runs.c.id.desc()).limit(1))
    if run is None:
        raise LanternError("no network yet in this case: run `lantern network` first")
    return int(run)


def groups_rows(conn: Connection, case_id: int) -> Iterator[dict[str, Any]]:
    """entity_id, group_id, role, rank for every group member of the latest network."""
    run = latest_network(conn, case_id)
    for row in conn.execute(select(groups_t).where(groups_t.c.run_id == run)
                            .order_by(groups_t.c.group_id, groups_t.c.rank)):
        yield {"entity_id": row.entity_id, "group_id": row.group_id, "role": row.role, "rank": row.rank,
               "reason": row.reason}

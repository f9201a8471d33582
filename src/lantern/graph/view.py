"""The stored network as nodes and edges for products: labels, groups, roles, victims marked.

A victim's node, and a child's (under 18 throughout the records, by date of birth: a child in
an exploitation network may be a victim no record names yet), is labelled by a keyed pseudonym
unless the product is revealed by someone allowed to, like every other shared product (see
lantern.security.pseudonymise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from lantern.graph.build import births
from lantern.graph.edges import children_among
from lantern.graph.service import latest_network
from lantern.security.pseudonymise import Pseudonymiser, victim_record_ids
from lantern.store import tables
from lantern.store.chunks import in_chunks, unindexed


@dataclass(frozen=True)
class NetworkView:
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


def network_view(conn: Connection, case_id: int, pseudonymiser: Pseudonymiser | None) -> NetworkView:
    run_id = latest_network(conn, case_id)
    e, g, net_runs = tables.network_edges, tables.network_groups, tables.network_runs
    c, s = tables.resolution_clusters, tables.statements
    resolution_run = conn.scalar(select(net_runs.c.resolution_run_id).where(net_runs.c.id == run_id))
    edges = [dict(row._mapping) for row in conn.execute(
        select(e.c.entity_a, e.c.entity_b, e.c.type, e.c["count"], e.c.weight, e.c.first_seen, e.c.last_seen,
               e.c.evidence_json).where(e.c.run_id == run_id))]
    people = sorted({p for edge in edges for p in (edge["entity_a"], edge["entity_b"])})
    records: dict[str, list[int]] = {}
    for chunk in in_chunks(people):
        for record, entity in conn.execute(select(c.c.record_id, c.c.entity_id).where(
                c.c.run_id == resolution_run, c.c.entity_id.in_(chunk))):
            records.setdefault(entity, []).append(int(record))
    victims = victim_record_ids(conn, case_id)
    names: dict[int, str] = {}
    for chunk in in_chunks(r for rs in records.values() for r in rs):
        names.update((int(r), v) for r, v in conn.execute(select(s.c.record_id, s.c.value).where(
            unindexed(s.c.prop) == "name", s.c.value.is_not(None), s.c.record_id.in_(chunk))))
    groups = {row.entity_id: row for row in conn.execute(select(g).where(g.c.run_id == run_id))}
    entity_of = {record: entity for entity, rs in records.items() for record in rs}
    children = children_among(births(conn, entity_of),
                              ((e["entity_a"], e["entity_b"], e["last_seen"]) for e in edges))
    # A victim's namesake (or a record resolution left apart) must not show the victim's name.
    victim_names = {v.casefold() for chunk in in_chunks(victims) for (v,) in conn.execute(select(s.c.value).where(
        unindexed(s.c.prop) == "name", s.c.value.is_not(None), s.c.record_id.in_(chunk)))}
    nodes = []
    for person in people:
        own = records.get(person, [])
        is_victim = any(r in victims for r in own)
        is_child = person in children
        label = next((names[r] for r in own if r in names), person)
        if pseudonymiser is not None and (is_victim or is_child or label.casefold() in victim_names):
            label = pseudonymiser.token("victim" if is_victim or not is_child else "child", person)
        group = groups.get(person)
        nodes.append({"id": person, "label": label, "victim": is_victim, "child": is_child, "records": len(own),
                      "group": group.group_id if group else "", "role": group.role if group else "",
                      "rank": group.rank if group else 0})
    for edge in edges:
        edge["evidence"] = json.loads(edge.pop("evidence_json"))
    return NetworkView(nodes, edges)

"""Questions analysts ask of a stored network: how are two people linked, who is around one.

Paths follow the strongest ties (a tie's length is the inverse of its weight) and every hop
comes with its evidence: the tie types, counts, dates and the records behind them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

import igraph
from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.graph.service import latest_network
from lantern.store import tables


@dataclass(frozen=True)
class Tie:
    type: str
    count: int
    first: str | None
    last: str | None
    evidence: list[int]


@dataclass
class StoredNetwork:
    run_id: int
    graph: igraph.Graph
    index: dict[str, int]
    ties: dict[tuple[str, str], list[Tie]]
    groups: dict[str, str]

    def vertex(self, entity: str) -> int:
        if entity not in self.index:
            raise LanternError(f"{entity} is not in the network (no ties), or no such person in this case")
        return self.index[entity]

    def ties_between(self, a: str, b: str) -> list[Tie]:
        return self.ties.get((a, b) if a < b else (b, a), [])


def load(conn: Connection, case_id: int) -> StoredNetwork:
    run_id = latest_network(conn, case_id)
    e, g = tables.network_edges, tables.network_groups
    weights: dict[tuple[str, str], float] = defaultdict(float)
    ties: dict[tuple[str, str], list[Tie]] = defaultdict(list)
    for row in conn.execute(select(e).where(e.c.run_id == run_id)):
        weights[(row.entity_a, row.entity_b)] += row.weight
        ties[(row.entity_a, row.entity_b)].append(
            Tie(row.type, int(row._mapping["count"]), row.first_seen, row.last_seen, json.loads(row.evidence_json)))
    people = sorted({p for pair in weights for p in pair})
    index = {p: i for i, p in enumerate(people)}
    graph = igraph.Graph(n=len(people), edges=[(index[a], index[b]) for a, b in weights])
    graph.vs["name"] = people
    graph.es["weight"] = list(weights.values())
    groups = {row.entity_id: row.group_id for row in conn.execute(
        select(g.c.entity_id, g.c.group_id).where(g.c.run_id == run_id))}
    return StoredNetwork(run_id, graph, index, dict(ties), groups)


def paths(net: StoredNetwork, a: str, b: str, k: int = 3) -> list[list[str]]:
    """Up to k shortest paths from a to b along the strongest ties, as lists of entity ids."""
    source, target = net.vertex(a), net.vertex(b)
    lengths = [1.0 / w for w in net.graph.es["weight"]]
    found = net.graph.get_k_shortest_paths(source, to=target, k=k, weights=lengths, output="vpath")
    return [[net.graph.vs[v]["name"] for v in path] for path in found if path]


def ego(net: StoredNetwork, entity: str, hops: int = 2) -> list[tuple[str, int]]:
    """Everyone within ``hops`` ties of the entity, with their distance in ties."""
    centre = net.vertex(entity)
    distances = net.graph.distances(source=[centre])[0]
    return sorted(((net.graph.vs[i]["name"], int(d)) for i, d in enumerate(distances)
                   if d <= hops and d != float("inf")), key=lambda x: (x[1], x[0]))

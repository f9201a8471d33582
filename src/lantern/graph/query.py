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
from lantern.graph.build import births
from lantern.graph.edges import children_among
from lantern.graph.service import group_details, latest_network
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


def entities_with_link(conn: Connection, case_id: int, link_type: str, run_id: int) -> set[str]:
    """Person entities with at least one record on the ``from`` side of a link of this type."""
    lk, c, runs = tables.links, tables.resolution_clusters, tables.network_runs
    resolution_run = conn.scalar(select(runs.c.resolution_run_id).where(runs.c.id == run_id))
    records = select(lk.c.from_record_id).where(lk.c.case_id == case_id, lk.c.type == link_type)
    return {row.entity_id for row in conn.execute(select(c.c.entity_id).where(
        c.c.run_id == resolution_run, c.c.record_id.in_(records)))}


@dataclass(frozen=True)
class GroupProfile:
    group: str
    members: list[tuple[str, str, int, str]]  # (entity, role, key-player rank, reason)
    victims: list[tuple[str, str]]  # (entity, how they are tied to the group)
    forces: list[str]
    phones: list[str]
    vehicles: list[str]
    premises: list[str]  # where two or more of the group were seen
    # Two or more associated people, not recorded as victims, with a victim tied to them: the
    # national definition of an organised network (people involved in or facilitating CSE).
    organised_network: bool
    # Children no record names as victims, tied to the group's adults (or in it), and how:
    # the ones a safeguarding review would look at first.
    children: list[tuple[str, str]]


def group_profile(conn: Connection, case_id: int, net: StoredNetwork, group: str) -> GroupProfile:
    g = tables.network_groups
    members = [(row.entity_id, row.role, int(row.rank), row.reason) for row in conn.execute(
        select(g.c.entity_id, g.c.role, g.c.rank, g.c.reason).where(g.c.run_id == net.run_id, g.c.group_id == group)
        .order_by(g.c.rank == 0, g.c.rank, g.c.entity_id))]
    if not members:
        raise LanternError(f"no group {group!r} in the latest network")
    victims_all = entities_with_link(conn, case_id, "victim-in", net.run_id)
    inside = {m for m, *_ in members}
    around = inside | {net.graph.vs[n]["name"] for m in inside for n in net.graph.neighbors(net.vertex(m))}
    children_all = _children(conn, net, around)
    victims: dict[str, set[str]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    adults = inside - victims_all - children_all
    for member in adults:
        for neighbour in net.graph.neighbors(net.vertex(member)):
            other = net.graph.vs[neighbour]["name"]
            how = {t.type for t in net.ties_between(member, other)}
            if other in victims_all:
                victims[other] |= how
            elif other in children_all:
                children[other] |= how
    for member in inside & victims_all:
        victims.setdefault(member, set()).add("member of the group")
    for member in (inside & children_all) - victims_all:
        children.setdefault(member, set()).add("member of the group")
    forces, phones = _member_values(conn, net.run_id, inside)
    details = group_details(conn, net.run_id).get(group, {})
    return GroupProfile(group, members, sorted((v, ", ".join(sorted(how))) for v, how in victims.items()),
                        forces, phones, list(details.get("vehicles", [])), list(details.get("premises", [])),
                        len(inside - victims_all) >= 2 and bool(victims),
                        sorted((c, ", ".join(sorted(how))) for c, how in children.items()))


def _children(conn: Connection, net: StoredNetwork, people: set[str]) -> set[str]:
    """Which of these people are children (under 18 at their latest tie, by year of birth)."""
    c, runs = tables.resolution_clusters, tables.network_runs
    resolution_run = conn.scalar(select(runs.c.resolution_run_id).where(runs.c.id == net.run_id))
    entity_of = {int(r): e for r, e in conn.execute(select(c.c.record_id, c.c.entity_id).where(
        c.c.run_id == resolution_run, c.c.entity_id.in_(list(people))))}
    ties = ((a, b, tie.last) for (a, b), found in net.ties.items() if a in people or b in people for tie in found)
    return children_among(births(conn, entity_of), ties) & people


def _member_values(conn: Connection, run_id: int, entities: set[str]) -> tuple[list[str], list[str]]:
    c, s, runs = tables.resolution_clusters, tables.statements, tables.network_runs
    resolution_run = conn.scalar(select(runs.c.resolution_run_id).where(runs.c.id == run_id))
    records = select(c.c.record_id).where(c.c.run_id == resolution_run, c.c.entity_id.in_(list(entities)))
    forces: set[str] = set()
    phones: set[str] = set()
    for prop, value in conn.execute(select(s.c.prop, s.c.value).where(
            s.c.record_id.in_(records), s.c.prop.in_(["force", "phone"]), s.c.value.is_not(None))):
        (forces if prop == "force" else phones).add(value)
    return sorted(forces), sorted(phones)


def between(net: StoredNetwork, first: str, second: str) -> list[tuple[str, str, int, int]]:
    """Who links two groups: (person, their group, ties into the first, ties into the second)."""
    a = {e for e, g in net.groups.items() if g == first}
    b = {e for e, g in net.groups.items() if g == second}
    if not a or not b:
        raise LanternError(f"no group {first if not a else second!r} in the latest network")
    out = []
    for i, person in enumerate(net.graph.vs["name"]):
        neighbours = {net.graph.vs[j]["name"] for j in net.graph.neighbors(i)}
        into_a, into_b = len(neighbours & a) + (person in a), len(neighbours & b) + (person in b)
        if neighbours & a and neighbours & b or (person in a and neighbours & b) or (person in b and neighbours & a):
            out.append((person, net.groups.get(person, ""), into_a, into_b))
    return sorted(out, key=lambda x: -(x[2] + x[3]))


def victims_of_several(conn: Connection, case_id: int, net: StoredNetwork, minimum: int = 2
                       ) -> list[tuple[str, list[str]]]:
    """Victims tied in the network to at least ``minimum`` people who are suspects somewhere."""
    victims = entities_with_link(conn, case_id, "victim-in", net.run_id)
    suspects = entities_with_link(conn, case_id, "suspect-in", net.run_id)
    found = []
    for victim in victims & set(net.index):
        tied = sorted({net.graph.vs[j]["name"] for j in net.graph.neighbors(net.vertex(victim))} & suspects)
        if len(tied) >= minimum:
            found.append((victim, tied))
    return sorted(found, key=lambda x: -len(x[1]))


def key_players(conn: Connection, case_id: int, top: int) -> list[tuple[str, str, str, str, int, str]]:
    """(person, a name, group, role, rank, reason) for the top-ranked key players of the latest network.

    Key players are suspects in the analyst's sense: children and recorded victims are never
    ranked, so their names never appear here.
    """
    run_id = latest_network(conn, case_id)
    g, runs, c, s = tables.network_groups, tables.network_runs, tables.resolution_clusters, tables.statements
    rows = conn.execute(select(g.c.entity_id, g.c.group_id, g.c.role, g.c.rank, g.c.reason).where(
        g.c.run_id == run_id, g.c.rank > 0).order_by(g.c.rank).limit(top)).all()
    resolution_run = conn.scalar(select(runs.c.resolution_run_id).where(runs.c.id == run_id))
    names: dict[str, str] = {}
    for entity, name in conn.execute(select(c.c.entity_id, s.c.value).join(s, s.c.record_id == c.c.record_id).where(
            c.c.run_id == resolution_run, c.c.entity_id.in_([r.entity_id for r in rows]), s.c.prop == "name")):
        names.setdefault(entity, name)
    return [(r.entity_id, names.get(r.entity_id, ""), r.group_id, r.role, int(r.rank), r.reason) for r in rows]

"""Build the person network from the store: resolved people joined by typed, evidenced edges.

Edges come from every source of association the store holds: calls and messages between
the phones people use (by count, first and last contact), being seen together at one
sighting, co-suspects in one crime, a victim and a suspect in one crime, mentions in one
intelligence report, and being stopped together. Each edge keeps its type, weight, first and
last date and the records behind it. Events are one event when they carry one id in one
source system (a sighting of four people is four rows in the export).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.store import tables

ALGORITHM_VERSION = "lantern-network-v1"
# A phone used by more people than this is a switchboard or a shared line, not a tie.
MAX_USERS_PER_PHONE = 5
# An event with more people than this (a mass stop, a party) says little about any pair.
MAX_PEOPLE_PER_EVENT = 12

# (link type, event schema) -> the edge type between two people sharing such an event
EVENT_EDGES = {
    ("subject-of", "Sighting"): "seen-with",
    ("suspect-in", "Crime"): "co-accused",
    ("subject-of", "IntelligenceReport"): "mentioned-with",
    ("subject-of", "Stop"): "stopped-with",
    ("subject-of", "Custody"): "in-custody-with",
}
# How strongly one occurrence of each edge type ties two people, for community detection.
TYPE_WEIGHT = {"called": 1.0, "seen-with": 2.0, "co-accused": 3.0, "victim-suspect": 1.0,
               "mentioned-with": 1.0, "stopped-with": 2.0, "in-custody-with": 1.5}


@dataclass
class Edge:
    a: str
    b: str
    type: str
    count: int = 0
    first: str | None = None
    last: str | None = None
    evidence: list[int] = field(default_factory=list)  # record ids, a sample of at most 20

    def add(self, when: str | None, record: int) -> None:
        self.count += 1
        if when:
            self.first = min(self.first or when, when)
            self.last = max(self.last or when, when)
        if len(self.evidence) < 20:
            self.evidence.append(record)

    @property
    def weight(self) -> float:
        """Count with diminishing returns: the hundredth call adds less than the second."""
        return TYPE_WEIGHT[self.type] * (1.0 + math.log2(self.count)) if self.count else 0.0


@dataclass
class Network:
    people: dict[str, str]  # entity id -> a display name
    edges: dict[tuple[str, str, str], Edge]

    def person_weights(self) -> dict[tuple[str, str], float]:
        combined: dict[tuple[str, str], float] = defaultdict(float)
        for edge in self.edges.values():
            combined[(edge.a, edge.b)] += edge.weight
        return dict(combined)


def _latest_run(conn: Connection, case_id: int, schema: str) -> int | None:
    runs = tables.resolution_runs
    return conn.scalar(select(runs.c.id).where(runs.c.case_id == case_id, runs.c.schema == schema)
                       .order_by(runs.c.id.desc()).limit(1))


def person_entities(conn: Connection, case_id: int) -> dict[int, str]:
    run = _latest_run(conn, case_id, "Person")
    if run is None:
        raise LanternError("the network is built over resolved people: run `lantern resolve` first")
    c = tables.resolution_clusters
    return {int(r.record_id): r.entity_id for r in conn.execute(
        select(c.c.record_id, c.c.entity_id).where(c.c.run_id == run))}


def _names(conn: Connection, entity_of: dict[int, str]) -> dict[str, str]:
    s = tables.statements
    names: dict[str, str] = {}
    for record, value in conn.execute(select(s.c.record_id, s.c.value).where(
            s.c.prop == "name", s.c.value.is_not(None), s.c.record_id.in_(list(entity_of)))):
        names.setdefault(entity_of[int(record)], value)
    return {entity: names.get(entity, entity) for entity in set(entity_of.values())}


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _phone_users(conn: Connection, entity_of: dict[int, str]) -> dict[str, set[str]]:
    s = tables.statements
    users: dict[str, set[str]] = defaultdict(set)
    for record, number in conn.execute(select(s.c.record_id, s.c.value).where(
            s.c.prop == "phone", s.c.value.is_not(None), s.c.record_id.in_(list(entity_of)))):
        users[number].add(entity_of[int(record)])
    return {number: people for number, people in users.items() if len(people) <= MAX_USERS_PER_PHONE}


def _event_values(conn: Connection, case_id: int, schema: str, props: Iterable[str]) -> dict[int, dict[str, str]]:
    r, s = tables.records, tables.statements
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for record, prop, value in conn.execute(
            select(s.c.record_id, s.c.prop, s.c.value).join(r, r.c.id == s.c.record_id)
            .where(r.c.case_id == case_id, r.c.schema == schema, s.c.prop.in_(list(props)),
                   s.c.value.is_not(None))):
        out[int(record)][prop] = value
    return out


@dataclass(frozen=True)
class Window:
    """The network as it stood between two dates (ISO; either end may be open)."""

    start: str | None = None
    end: str | None = None

    def holds(self, when: str | None) -> bool:
        if self.start is None and self.end is None:
            return True
        if not when:
            return False  # an undated association cannot be placed inside the window
        day = when[:10]
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def _call_edges(conn: Connection, case_id: int, users: dict[str, set[str]],
                edges: dict[tuple[str, str, str], Edge], window: Window) -> None:
    for schema, ends in (("Call", ("a_number", "b_number")), ("Message", ("sender", "recipient"))):
        for record, values in _event_values(conn, case_id, schema, (*ends, "date")).items():
            callers, called = users.get(values.get(ends[0], "")), users.get(values.get(ends[1], ""))
            if not callers or not called or not window.holds(values.get("date")):
                continue
            for a in callers:
                for b in called:
                    if a != b:
                        key = _key(a, b)
                        edges.setdefault((*key, "called"), Edge(*key, "called")).add(values.get("date"), record)


def _event_edges(conn: Connection, case_id: int, entity_of: dict[int, str],
                 edges: dict[tuple[str, str, str], Edge], window: Window) -> None:
    r, lk, s = tables.records, tables.links, tables.statements
    event = r.alias("event")
    rows = conn.execute(
        select(lk.c.type, lk.c.from_record_id, event.c.id, event.c.schema, event.c.namespace,
               event.c.source_record_id)
        .join(event, event.c.id == lk.c.to_record_id)
        .where(lk.c.case_id == case_id, lk.c.type.in_(["subject-of", "suspect-in", "victim-in"])))
    members: dict[tuple[str, str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    records_of: dict[tuple[str, str, str], int] = {}
    for link_type, person_record, event_id, schema, namespace, source_id in rows:
        person = entity_of.get(int(person_record))
        if person is None:
            continue
        key = (schema, namespace, source_id or f"record {event_id}")
        members[key][link_type].add(person)
        records_of.setdefault(key, int(event_id))
    dates = {int(rec): value for rec, value in conn.execute(select(s.c.record_id, s.c.value).where(
        s.c.prop == "date", s.c.record_id.in_(list(records_of.values()))))}
    for key, by_type in members.items():
        schema, record = key[0], records_of[key]
        when = dates.get(record)
        if not window.holds(when):
            continue
        for link_type, people in by_type.items():
            edge_type = EVENT_EDGES.get((link_type, schema))
            if edge_type and 1 < len(people) <= MAX_PEOPLE_PER_EVENT:
                for a, b in combinations(sorted(people), 2):
                    edges.setdefault((a, b, edge_type), Edge(a, b, edge_type)).add(when, record)
        for victim in by_type.get("victim-in", set()):
            for suspect in by_type.get("suspect-in", set()):
                if victim != suspect:
                    a, b = _key(victim, suspect)
                    edges.setdefault((a, b, "victim-suspect"), Edge(a, b, "victim-suspect")).add(when, record)


def build_network(conn: Connection, case_id: int, window: Window | None = None) -> Network:
    entity_of = person_entities(conn, case_id)
    edges: dict[tuple[str, str, str], Edge] = {}
    window = window or Window()
    _call_edges(conn, case_id, _phone_users(conn, entity_of), edges, window)
    _event_edges(conn, case_id, entity_of, edges, window)
    return Network(_names(conn, entity_of), edges)


__all__ = ["ALGORITHM_VERSION", "Edge", "Network", "Window", "build_network", "person_entities"]

"""`person_profile`: everything a case knows about one resolved person, each value with its source.

Names, dates of birth, phones and addresses come from every record resolution put in the
person (and the phones and places those records link to), each distinct value with the
records and source rows that give it. Events are the person's chronology
(``timeline.build_timeline``); ties and groups come from the latest network
(``graph.query``); risk reasons from ``risk.assess``, for a child who has any. Nothing here
decides how a child or a victim is shown: that is the presentation's (``lookup.privacy``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.graph import query
from lantern.graph.build import clusters
from lantern.lookup.privacy import protected
from lantern.risk import assess
from lantern.risk.score import Assessment, ChildRisk
from lantern.store import tables
from lantern.timeline import TimelineEvent, build_timeline
from lantern.timeline.model import KINDS, Source
from lantern.timeline.provenance import record_sources
from lantern.timeline.subject import PERSON

# What each section shows: properties of the person's own records, and of records they link to.
SECTIONS = {
    "names": ("name", "forename", "surname", "alias"),
    "dobs": ("dob",),
    "phones": ("phone", "number"),
    "addresses": ("address", "postcode"),
}
LINKED = {"uses-phone": ("number",), "lives-at": ("address", "postcode")}


class UnknownPerson(LanternError):
    """No such person in the case: the web answers 404, the CLI one line."""


@dataclass
class Fact:
    """One distinct value (a name, a phone...) and every record and source row that gives it."""

    prop: str
    value: str
    written: list[str] = field(default_factory=list)  # the value as each source wrote it, where different
    records: list[int] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)


@dataclass(frozen=True)
class Link:
    """A tie in the network to another person: its types, how often, when, and the records."""

    other: str
    types: tuple[str, ...]
    count: int
    first: str | None
    last: str | None
    records: tuple[int, ...]


@dataclass(frozen=True)
class Membership:
    group: str
    role: str
    rank: int  # key-player rank in the network (0: not ranked)
    reason: str


@dataclass
class Profile:
    entity: str
    records: list[int]  # the person's own Person records
    names: list[Fact]
    dobs: list[Fact]
    phones: list[Fact]
    addresses: list[Fact]
    events: list[TimelineEvent]
    links: list[Link]
    groups: list[Membership]
    risk: ChildRisk | None  # a child's reasons, where they have any
    child: bool  # a child or a recorded victim (lookup.privacy)
    network_run: int | None  # None: no network yet (no links, groups or risk reasons)

    def people(self) -> set[str]:
        """Everyone the profile names: the person, their ties, the people in their events."""
        named = {self.entity} | {link.other for link in self.links}
        named |= {p.entity for e in self.events for p in e.people}
        if self.risk is not None:
            named |= {p for reason in self.risk.reasons for p in reason.people()}
        return named


def person_records_of(conn: Connection, case_id: int, entity: str) -> tuple[str, list[int]]:
    asked = entity.strip().upper()
    if not PERSON.fullmatch(asked):
        raise UnknownPerson(f"{entity.strip()[:40]!r} is not a person entity id (like P123)")
    records = list(clusters(conn, case_id, "Person").records.get(asked, ()))
    if not records:
        raise UnknownPerson(f"no person {asked} in this case's latest resolution")
    return asked, records


def facts(conn: Connection, records: list[int]) -> dict[str, list[Fact]]:
    """The person's values by section, each distinct value once with all its sources."""
    s, lk = tables.statements, tables.links
    linked: dict[int, tuple[str, ...]] = {}
    for link_type, props in LINKED.items():
        for (target,) in conn.execute(select(lk.c.to_record_id).where(
                lk.c.type == link_type, lk.c.from_record_id.in_(records))):
            linked[int(target)] = props
    own = {p for props in SECTIONS.values() for p in props} - {"number"}
    # Two queries, not one with OR: each then finds its rows through the record index (with the
    # OR the planner may scan every statement of the workspace).
    columns = (s.c.record_id, s.c.prop, s.c.value, s.c.original, s.c.id)
    rows = [*conn.execute(select(*columns).where(
                s.c.value.is_not(None), s.c.record_id.in_(records), s.c.prop.in_(sorted(own)))),
            *conn.execute(select(*columns).where(
                s.c.value.is_not(None), s.c.record_id.in_(sorted(linked)),
                s.c.prop.in_(["number", "address", "postcode"])))]
    rows.sort(key=lambda row: (int(row.record_id), int(row.id)))
    sources = record_sources(conn, [int(row.record_id) for row in rows])
    found: dict[tuple[str, str], Fact] = {}
    for row in rows:
        record = int(row.record_id)
        if record in linked and row.prop not in linked[record]:
            continue
        fact = found.setdefault((row.prop, row.value), Fact(row.prop, row.value))
        if row.original and row.original != row.value and row.original not in fact.written:
            fact.written.append(row.original)
        if record not in fact.records:
            fact.records.append(record)
            if record in sources:
                fact.sources.append(sources[record])
    return {section: [f for (prop, _), f in found.items() if prop in props]
            for section, props in SECTIONS.items()}


def stored_network(conn: Connection, case_id: int) -> query.StoredNetwork | None:
    has_network = conn.scalar(select(tables.network_runs.c.id).where(
        tables.network_runs.c.case_id == case_id).limit(1))
    return query.load(conn, case_id) if has_network is not None else None


RECORDED_EVENTS = set(KINDS) - {"calls", "messages"}


@dataclass(frozen=True)
class Derived:
    """Where a profile gets the case's network and children's assessment from."""

    network: Callable[[Connection, int], query.StoredNetwork | None] = stored_network
    assessment: Callable[[Connection, int], Assessment] = assess


def links_of(net: query.StoredNetwork, entity: str) -> list[Link]:
    """The person's ties, strongest (most evidence) first."""
    if entity not in net.index:
        return []
    out = []
    for neighbour in net.graph.neighbors(net.vertex(entity)):
        other = net.graph.vs[neighbour]["name"]
        ties = net.ties_between(entity, other)
        firsts = [t.first for t in ties if t.first]
        lasts = [t.last for t in ties if t.last]
        out.append(Link(other, tuple(sorted({t.type for t in ties})), sum(t.count for t in ties),
                        min(firsts) if firsts else None, max(lasts) if lasts else None,
                        tuple(sorted({r for t in ties for r in t.evidence}))))
    return sorted(out, key=lambda link: (-link.count, link.other))


def groups_of(conn: Connection, run_id: int, entity: str) -> list[Membership]:
    g = tables.network_groups
    return [Membership(row.group_id, row.role, int(row.rank), row.reason or "") for row in conn.execute(
        select(g.c.group_id, g.c.role, g.c.rank, g.c.reason).where(g.c.run_id == run_id, g.c.entity_id == entity)
        .order_by(g.c.group_id))]


def person_profile(conn: Connection, case_id: int, entity: str,
                   derived: Derived | None = None) -> Profile:
    """Everything known about one person entity (P123) of the case's latest resolution.

    ``derived`` supplies the whole-case network and risk assessment (a server keeps them between
    requests); by default they are computed here."""
    derived = derived or Derived()
    entity, records = person_records_of(conn, case_id, entity)
    found = facts(conn, records)
    # Calls and messages are summed per day from the whole case's communications (seconds on a
    # large case): the person's chronology shows them; the profile lists the recorded events.
    timeline = build_timeline(conn, case_id, entity, kinds=RECORDED_EVENTS)
    net = derived.network(conn, case_id)
    # Scoring reads the whole case: only for a child or a victim, the only people it scores.
    child = entity in protected(conn, case_id, [entity])
    risk = None
    if net is not None and child:
        risk = next((c for c in derived.assessment(conn, case_id).ranked if c.entity == entity),
                    None)
    return Profile(entity, records, found["names"], found["dobs"], found["phones"], found["addresses"],
                   timeline.events, links_of(net, entity) if net else [],
                   groups_of(conn, net.run_id, entity) if net else [], risk, child,
                   net.run_id if net else None)

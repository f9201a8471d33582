"""Closed cases worth reopening: crimes closed without charge whose suspects, phones, vehicles
or premises now link to an active group, or whose suspects are named against other victims.

"Active group" means a group of the latest network run (`lantern network`) that meets the
organised-network definition: two or more associated people not recorded as victims, with a
child victim tied to them. Each lead carries every piece of linking evidence with its records.

Ranking (documented in docs/review.md): a lead's score is the sum of its evidence weights,
``EVIDENCE_WEIGHTS`` below; ties go to the lead touching more groups, then the more recent
crime. Nothing about a person's ethnicity, religion or nationality is read here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lantern.graph.build import entities_of
from lantern.graph.service import group_details, latest_network
from lantern.review.facts import (
    CHARGED_OUTCOMES,
    CrimeFile,
    PersonEvent,
    ReviewFacts,
    load_facts,
    person_events,
    values_of,
)
from lantern.store import tables

r, s, lk = tables.records, tables.statements, tables.links
ALGORITHM_VERSION = "lantern.review.reopen/1"
# What each kind of link adds to a lead's score: a suspect who is a member of the group is the
# strongest line of enquiry; a shared phone, vehicle or premises is an object a panel can
# trace; premises weigh less because groups' premises are kept by name, and a common name
# ("Pizza Plaza") can match several groups; each other victim named against a suspect adds
# one (at most MAX_OTHER_VICTIMS).
EVIDENCE_WEIGHTS = {"member": 3.0, "phone": 2.0, "vehicle": 2.0, "premises": 1.0, "other-victim": 1.0}
MAX_OTHER_VICTIMS = 3
NOT_MEMBERS = frozenset({"victim", "child"})  # roles in a group that are not its offenders
OPEN_OUTCOMES = frozenset({"ongoing"}) | CHARGED_OUTCOMES


@dataclass(frozen=True)
class Evidence:
    kind: str  # member | phone | vehicle | premises | other-victim
    text: str  # adults by entity id; victims are counted, never named
    group: str  # the group it links to ('' for other victims)
    records: tuple[int, ...]


@dataclass
class Lead:
    """A closed crime a review panel should look at again, and why."""

    crime: str
    force: str
    outcome: str
    day: str
    suspects: tuple[str, ...]
    records: tuple[int, ...]
    evidence: list[Evidence] = field(default_factory=list)
    rank: int = 0

    @property
    def score(self) -> float:
        capped = 0.0
        others = 0
        for e in self.evidence:
            if e.kind == "other-victim":
                others += 1
                if others > MAX_OTHER_VICTIMS:
                    continue
            capped += EVIDENCE_WEIGHTS[e.kind]
        return capped

    @property
    def groups(self) -> list[str]:
        return sorted({e.group for e in self.evidence if e.group})


def _norm_vrm(value: str) -> str:
    return "".join(value.split()).upper()


@dataclass
class _Network:
    member_of: dict[str, tuple[str, str]]  # entity -> (group, role), offenders of active groups
    vehicles: dict[str, set[str]]  # normalised VRM -> active groups using it
    premises: dict[str, set[str]]  # premises label -> active groups meeting there


def _active_network(conn: Connection, case_id: int) -> _Network:
    run = latest_network(conn, case_id)
    details = group_details(conn, run)
    active = {g for g, d in details.items() if d.get("organised_network")}
    g = tables.network_groups
    member_of = {row.entity_id: (row.group_id, row.role) for row in conn.execute(
        select(g.c.entity_id, g.c.group_id, g.c.role).where(g.c.run_id == run))
        if row.group_id in active and row.role not in NOT_MEMBERS}
    vehicles: dict[str, set[str]] = defaultdict(set)
    premises: dict[str, set[str]] = defaultdict(set)
    for group in active:
        for vrm in details[group].get("vehicles", []):
            vehicles[_norm_vrm(vrm)].add(group)
        for label in details[group].get("premises", []):
            premises[label].add(group)
    return _Network(member_of, dict(vehicles), dict(premises))


def _phones(conn: Connection, case_id: int, person_of: dict[int, str]) -> dict[str, dict[str, int]]:
    """phone number -> {person entity: a record that gives it} (on the person or a uses-phone link)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for record, values in values_of(conn, person_of, ("phone",)).items():
        out[values["phone"]].setdefault(person_of[record], record)
    phone = r.alias("phone")
    rows = conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).join(phone, phone.c.id == lk.c.to_record_id)
                        .where(lk.c.case_id == case_id, lk.c.type == "uses-phone")).all()
    numbers = values_of(conn, (int(row.to_record_id) for row in rows), ("number",))
    for row in rows:
        number = numbers.get(int(row.to_record_id), {}).get("number")
        if number and int(row.from_record_id) in person_of:
            out[number].setdefault(person_of[int(row.from_record_id)], int(row.to_record_id))
    return dict(out)


def _vehicles(conn: Connection, case_id: int, person_of: dict[int, str],
              events: dict[str, list[PersonEvent]]) -> dict[str, dict[str, int]]:
    """person entity -> {normalised VRM: a record}: vehicles they own or drive, or were stopped in."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    vehicle = r.alias("vehicle")
    rows = conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).join(vehicle, vehicle.c.id == lk.c.to_record_id)
                        .where(lk.c.case_id == case_id, lk.c.type.in_(("owns-vehicle", "drives-vehicle")))).all()
    plates = values_of(conn, (int(row.to_record_id) for row in rows), ("vrm",))
    for row in rows:
        vrm = plates.get(int(row.to_record_id), {}).get("vrm")
        if vrm and int(row.from_record_id) in person_of:
            out[person_of[int(row.from_record_id)]].setdefault(_norm_vrm(vrm), int(row.to_record_id))
    stops = {e.event: entity for entity, found in events.items() for e in found if e.schema == "Stop"}
    for record, values in values_of(conn, stops, ("vrm",)).items():
        out[stops[record]].setdefault(_norm_vrm(values["vrm"]), record)
    return dict(out)


def _place_labels(conn: Connection, case_id: int, places: set[int]) -> dict[int, set[str]]:
    """crime place record -> every label its resolved location carries (name, address, postcode)."""
    place_of = entities_of(conn, case_id, "Location")
    by_entity: dict[str, list[int]] = defaultdict(list)
    for record, entity in place_of.items():
        by_entity[entity].append(record)
    wanted = {p: by_entity.get(place_of[p], [p]) if p in place_of else [p] for p in places}
    values = values_of(conn, {x for rs in wanted.values() for x in rs}, ("name", "address", "postcode"))
    return {p: {v for x in rs for v in values.get(x, {}).values()} for p, rs in wanted.items()}


@dataclass
class _Context:
    """What every lead is checked against, loaded once per review."""

    facts: ReviewFacts
    net: _Network
    events: dict[str, list[PersonEvent]]
    phones: dict[str, dict[str, int]]  # number -> {entity: record}
    phones_of: dict[str, dict[str, int]]  # entity -> {number: record}
    vehicles: dict[str, dict[str, int]]
    labels: dict[int, set[str]]


def cases_to_reopen(conn: Connection, case_id: int) -> list[Lead]:
    """Closed-without-charge crimes with named suspects that now link to an active group or to
    other victims, ranked by the weight of their linking evidence (strongest first)."""
    net = _active_network(conn, case_id)
    facts = load_facts(conn, case_id)
    events = person_events(conn, case_id, facts.person_of)
    phones = _phones(conn, case_id, facts.person_of)
    phones_of: dict[str, dict[str, int]] = defaultdict(dict)
    for number, users in phones.items():
        for entity, record in users.items():
            phones_of[entity][number] = record
    closed = [c for c in facts.crimes if c.suspects and c.closed and c.outcome not in OPEN_OUTCOMES]
    ctx = _Context(facts, net, events, phones, dict(phones_of), _vehicles(conn, case_id, facts.person_of, events),
                   _place_labels(conn, case_id, {p for c in closed for p in c.places}))
    leads = [lead for lead in (_lead(crime, ctx) for crime in closed) if lead.evidence]
    leads.sort(key=lambda x: (-x.score, -len(x.groups), x.day == "", _desc(x.day), x.crime))
    for n, lead in enumerate(leads, start=1):
        lead.rank = n
    return leads


def _desc(day: str) -> str:
    """Sorts a date string newest first."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in day)


def _lead(crime: CrimeFile, ctx: _Context) -> Lead:
    suspects: dict[str, list[int]] = defaultdict(list)
    for record in crime.suspects:
        suspects[ctx.facts.entity(record)].append(record)
    lead = Lead(crime.reference, crime.force, crime.outcome, crime.day, tuple(suspects), tuple(crime.records))
    victims_seen = {ctx.facts.entity(v) for v in crime.victims}
    member_of = ctx.net.member_of
    for suspect, records in suspects.items():
        if suspect in member_of:
            group, role = member_of[suspect]
            lead.evidence.append(Evidence("member", f"suspect {suspect} is {role} in active group {group}", group,
                                          tuple(records)))
        for number, record in ctx.phones_of.get(suspect, {}).items():
            for other, other_record in ctx.phones.get(number, {}).items():
                if other != suspect and other in member_of:
                    group, role = member_of[other]
                    lead.evidence.append(Evidence(
                        "phone", f"suspect {suspect} gives phone {number}, also used by {other} ({role}, {group})",
                        group, (record, other_record)))
        for vrm, record in ctx.vehicles.get(suspect, {}).items():
            for group in sorted(ctx.net.vehicles.get(vrm, ())):
                lead.evidence.append(Evidence("vehicle", f"suspect {suspect} is linked to vehicle {vrm}, "
                                              f"used by active group {group}", group, (record,)))
        for e in ctx.events.get(suspect, []):
            other_crime = ctx.facts.crime_of.get(e.event)
            if e.link != "suspect-in" or other_crime is None or other_crime is crime:
                continue
            for victim in dict.fromkeys(ctx.facts.entity(v) for v in other_crime.victims):
                if victim not in victims_seen:
                    victims_seen.add(victim)
                    lead.evidence.append(Evidence("other-victim", f"suspect {suspect} is also a suspect in "
                                                  f"{other_crime.reference} ({other_crime.force}), against "
                                                  "another victim", "", tuple(other_crime.records)))
    matched: dict[str, tuple[str, int]] = {}  # group -> (premises label, crime place record)
    for place in crime.places:
        for label in sorted(ctx.labels.get(place, set())):
            for group in sorted(ctx.net.premises.get(label, ())):
                matched.setdefault(group, (label, place))
    for group, (label, place) in sorted(matched.items()):
        lead.evidence.append(Evidence("premises", f"the crime took place at {label}, a premises of active group "
                                      f"{group}", group, (place,)))
    return lead


def lead_json(lead: Lead) -> str:
    """A lead as JSON (for the briefing pack and CSV)."""
    return json.dumps({"rank": lead.rank, "crime": lead.crime, "force": lead.force, "score": lead.score,
                       "evidence": [e.__dict__ for e in lead.evidence]}, default=list)

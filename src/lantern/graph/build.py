"""Build the person network from the store: resolved people joined by typed, evidenced ties.

Ties come from every source of association the store holds: calls and messages between the
phones people use; one phone used by two people; being seen together at one sighting,
co-suspects in one crime, a victim and a suspect in one crime, mentions in one intelligence
report, being stopped or in custody together; one vehicle used by two people on different
occasions; one home address on two people's records; sightings at the same premises within
a few days; and family and associate links recorded by a force. Each tie keeps its type,
weight, first and last date and the records behind it. Events are one event when they carry
one id in one source system (a sighting of four people is four rows in the export).
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, select

from lantern.comms.bulk import ROW_STRIDE
from lantern.comms.callstore import CallStore
from lantern.comms.colocation import travelling_together
from lantern.comms.frame import CommsFrame, load_frame
from lantern.errors import LanternError
from lantern.graph.edges import (
    EVIDENCE_SAMPLE,
    NIGHT_HOURS,
    Edge,
    Network,
    Window,
    day_number,
    tie_key,
)
from lantern.resolve.objects import keyer
from lantern.store import tables
from lantern.store.chunks import in_chunks, unindexed

ALGORITHM_VERSION = "lantern-network-v2"
# A phone used by more people than this is a switchboard or a shared line, not a tie.
MAX_USERS_PER_PHONE = 5
# An event with more people than this (a mass stop, a party) says little about any pair.
MAX_PEOPLE_PER_EVENT = 12
# A vehicle in more people's records than this is a taxi or a minibus; an address with more
# residents a hostel, a children's home or a block: neither says two people know each other.
MAX_USERS_PER_VEHICLE = 6
MAX_PEOPLE_PER_ADDRESS = 6
# Two people seen at one premises this many days apart (on different occasions) are tied.
SAME_PREMISES_DAYS = 7
# ...unless the premises are so busy in that window that being there says little.
MAX_VISITORS_IN_WINDOW = 12

# (link type, event schema) -> the tie between two people sharing such an event
EVENT_EDGES = {
    ("subject-of", "Sighting"): "seen-with",
    ("suspect-in", "Crime"): "co-accused",
    ("subject-of", "IntelligenceReport"): "mentioned-with",
    ("subject-of", "Stop"): "stopped-with",
    ("subject-of", "Custody"): "in-custody-with",
}
# Person-to-person links a force records, and relationships that make an associate family.
PERSON_LINKS = {"associate": "associate", "family": "family", "co-accused": "co-accused"}
FAMILY_WORDS = frozenset({"mother", "father", "parent", "son", "daughter", "child", "brother", "sister",
                          "sibling", "cousin", "uncle", "aunt", "nephew", "niece", "grandmother",
                          "grandfather", "grandparent", "stepfather", "stepmother", "wife", "husband",
                          "partner", "family"})


def _latest_run(conn: Connection, case_id: int, schema: str) -> int | None:
    runs = tables.resolution_runs
    return conn.scalar(select(runs.c.id).where(runs.c.case_id == case_id, runs.c.schema == schema)
                       .order_by(runs.c.id.desc()).limit(1))


@dataclass(frozen=True)
class Clusters:
    """The latest resolution of one schema, read-only and shared: record -> entity, and each
    entity's records, so a request about a few people never walks the whole case."""

    entity_of: Mapping[int, str]
    records: Mapping[str, tuple[int, ...]]

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[int, str]]) -> Clusters:
        entity_of = dict(pairs)
        records: dict[str, list[int]] = defaultdict(list)
        for record, entity in entity_of.items():
            records[entity].append(record)
        return cls(MappingProxyType(entity_of),
                   MappingProxyType({e: tuple(sorted(rs)) for e, rs in records.items()}))

    def of(self, entities: Iterable[str]) -> dict[int, str]:
        """record -> entity, for the records of these entities only."""
        return {r: e for e in set(entities) for r in self.records.get(e, ())}


def clusters(conn: Connection, case_id: int, schema: str) -> Clusters:
    """The latest resolution of ``schema`` (empty if none), shared: never change it (a copy:
    ``entities_of``)."""
    runs = tables.resolution_runs
    latest = conn.execute(select(runs.c.id, runs.c.finished_at).where(
        runs.c.case_id == case_id, runs.c.schema == schema).order_by(runs.c.id.desc()).limit(1)).first()
    if latest is None:
        return Clusters.of_pairs(())
    # A committed resolution run's clusters never change (a judgement makes a new run), so a
    # server asking many times reads them once. A writer's transaction may still roll back:
    # what it sees is not kept.
    key = (conn.engine.url.render_as_string(hide_password=True), case_id, int(latest.id),
           str(latest.finished_at))
    keep = not conn.get_execution_options().get("lantern_writer", False)
    with _CLUSTERS_LOCK:
        found = _CLUSTERS.get(key) if keep else None
    if found is None:
        c = tables.resolution_clusters
        found = Clusters.of_pairs((int(r.record_id), r.entity_id) for r in conn.execute(
            select(c.c.record_id, c.c.entity_id).where(c.c.run_id == latest.id)))
        if not keep:
            return found
        with _CLUSTERS_LOCK:
            _CLUSTERS[key] = found
            while len(_CLUSTERS) > CLUSTERS_KEPT:
                _CLUSTERS.pop(next(iter(_CLUSTERS)))
    return found


def entities_of(conn: Connection, case_id: int, schema: str) -> dict[int, str]:
    """record id -> entity id from the latest resolution of ``schema`` (empty if none): the
    caller's own copy, to change."""
    return dict(clusters(conn, case_id, schema).entity_of)


_CLUSTERS: dict[tuple[str, int, int, str], Clusters] = {}
_CLUSTERS_LOCK = threading.Lock()
CLUSTERS_KEPT = 4


def person_clusters(conn: Connection, case_id: int) -> Clusters:
    found = clusters(conn, case_id, "Person")
    if not found.entity_of and _latest_run(conn, case_id, "Person") is None:
        raise LanternError("the network is built over resolved people: run `lantern resolve` first")
    return found


def person_entities(conn: Connection, case_id: int) -> dict[int, str]:
    return dict(person_clusters(conn, case_id).entity_of)


def _values(conn: Connection, records: Iterable[int], props: Iterable[str]) -> dict[int, dict[str, str]]:
    s = tables.statements
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in in_chunks(records):
        for record, prop, value in conn.execute(select(s.c.record_id, s.c.prop, s.c.value).where(
                unindexed(s.c.prop).in_(list(props)), s.c.value.is_not(None), s.c.record_id.in_(chunk))):
            out[int(record)].setdefault(prop, value)
    return out


def _names(conn: Connection, entity_of: dict[int, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for record, values in _values(conn, entity_of, ("name",)).items():
        names.setdefault(entity_of[record], values["name"])
    return {entity: names.get(entity, entity) for entity in set(entity_of.values())}


def _phone_users(conn: Connection, entity_of: dict[int, str]) -> dict[str, dict[str, int]]:
    """number -> {person: a record of theirs that gives it}, for numbers few enough people give."""
    s = tables.statements
    users: dict[str, dict[str, int]] = defaultdict(dict)
    for chunk in in_chunks(entity_of):
        for record, number in conn.execute(select(s.c.record_id, s.c.value).where(
                unindexed(s.c.prop) == "phone", s.c.value.is_not(None), s.c.record_id.in_(chunk))):
            users[number].setdefault(entity_of[int(record)], int(record))
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


def _call_edges(conn: Connection, case_id: int, users: dict[str, dict[str, int]], net: Network,
                window: Window) -> None:
    for schema, ends in (("Call", ("a_number", "b_number")), ("Message", ("sender", "recipient"))):
        for record, values in _event_values(conn, case_id, schema, (*ends, "date")).items():
            callers, called = users.get(values.get(ends[0], "")), users.get(values.get(ends[1], ""))
            if not callers or not called or not window.holds(values.get("date")):
                continue
            for a in callers:
                for b in called:
                    if a != b:
                        net.tie(a, b, "called").add(values.get("date"), record)


NIGHT = ", ".join(str(h) for h in sorted(NIGHT_HOURS))


def _bulk_call_edges(conn: Connection, case_id: int, bulk: CallStore, users: dict[str, dict[str, int]],
                     net: Network, window: Window) -> None:
    """Calls of the CDRs kept in bulk (``lantern calls load``), summed per pair of numbers by
    DuckDB; calls the store also holds (a seized phone's log) were counted by _call_edges."""
    if bulk.existing(case_id) is None or not users:
        return
    with load_frame(conn, case_id, only=("calls",), bulk=bulk) as frame:
        frame.db.register("known_numbers", pa.table({"number": list(users)}))
        rows = _bulk_pairs(frame, window)
    for a_number, b_number, count, first, last, night, records in rows:
        for a in users[a_number]:
            for b in users[b_number]:
                if a != b:
                    net.tie(a, b, "called").add_many(int(count), first, last, int(night), records)


def _bulk_pairs(frame: CommsFrame, window: Window) -> list[tuple[Any, ...]]:
    """Per pair of known numbers: calls, first, last, night calls and a sample of records."""
    where, params = "", list[str]()
    if window.start:
        where, params = where + ' AND "at" >= ?', [*params, window.start]
    if window.end:
        where, params = where + ' AND "at" < ?::DATE + 1', [*params, window.end]
    return frame.rows(f"""
        SELECT a, b, count(*), strftime(min("at"), '%Y-%m-%dT%H:%M:%S'), strftime(max("at"), '%Y-%m-%dT%H:%M:%S'),
               count(*) FILTER (WHERE hour("at") IN ({NIGHT})),
               list(records[1] ORDER BY "at")[:{EVIDENCE_SAMPLE}]
        FROM calls
        WHERE list_min(records) >= {ROW_STRIDE} AND a IN (SELECT number FROM known_numbers)
          AND b IN (SELECT number FROM known_numbers) {where}
        GROUP BY a, b""", params)  # noqa: S608 - constants; the window's dates are parameters


def _shared_phone_edges(users: dict[str, dict[str, int]], net: Network, window: Window) -> None:
    """Two people whose records give one number (undated: left out of a date window)."""
    if not window.open:
        return
    for people in users.values():
        for a, b in combinations(sorted(people), 2):
            edge = net.tie(a, b, "shared-phone")
            edge.add(None, people[a])
            edge.evidence.append(people[b])


def _saved_contact_edges(conn: Connection, case_id: int, users: dict[str, dict[str, int]], net: Network,
                         window: Window) -> None:
    """A seized phone's owner and the people whose numbers it saved (undated: the download
    shows the address book as it was when seized)."""
    if not window.open:
        return
    lk = tables.links
    pairs = conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
        lk.c.case_id == case_id, lk.c.type == "saved-contact")).all()
    numbers = {record: values["number"] for record, values in _values(
        conn, {int(r) for pair in pairs for r in pair}, ("number",)).items()}
    for owner_record, contact_record in pairs:
        owners = users.get(numbers.get(int(owner_record), ""), {})
        saved = users.get(numbers.get(int(contact_record), ""), {})
        for a in owners:
            for b in saved:
                if a != b:
                    net.tie(a, b, "saved-contact").add(None, int(contact_record))


@dataclass
class _Event:
    record: int
    schema: str
    when: str | None = None
    people: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # link type -> people
    vehicles: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)


def _events(conn: Connection, case_id: int, entity_of: dict[int, str], objects: _Objects
            ) -> dict[tuple[str, str, str], _Event]:
    """Every event people are linked to, with its date, its vehicles and where it happened."""
    r, lk = tables.records, tables.links
    event = r.alias("event")
    rows = conn.execute(
        select(lk.c.type, lk.c.from_record_id, lk.c.to_record_id, event.c.id, event.c.schema, event.c.namespace,
               event.c.source_record_id)
        .join(event, event.c.id == lk.c.to_record_id)
        .where(lk.c.case_id == case_id,
               lk.c.type.in_(["subject-of", "suspect-in", "victim-in", "vehicle-in"])))
    vehicle_of, place_of = objects.vehicle_of, objects.place_of
    events: dict[tuple[str, str, str], _Event] = {}
    key_of: dict[int, tuple[str, str, str]] = {}
    for link_type, from_record, _, event_id, schema, namespace, source_id in rows:
        key = (schema, namespace, source_id or f"record {event_id}")
        found = events.setdefault(key, _Event(int(event_id), schema))
        key_of[int(event_id)] = key
        if link_type == "vehicle-in":
            if (vehicle := vehicle_of.get(int(from_record))) is not None:
                found.vehicles.add(vehicle)
        elif (person := entity_of.get(int(from_record))) is not None:
            found.people[link_type].add(person)
    for event_id, place_record in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
            lk.c.case_id == case_id, lk.c.type == "occurred-at")):
        event_key = key_of.get(int(event_id))
        if event_key is not None and (place := place_of.get(int(place_record))) is not None:
            events[event_key].places.add(place)
    dates = _values(conn, (e.record for e in events.values()), ("date",))
    for found in events.values():
        found.when = dates.get(found.record, {}).get("date")
    return events


def _event_edges(events: dict[tuple[str, str, str], _Event], net: Network, window: Window) -> None:
    for found in events.values():
        if not window.holds(found.when):
            continue
        for link_type, people in found.people.items():
            edge_type = EVENT_EDGES.get((link_type, found.schema))
            if edge_type and 1 < len(people) <= MAX_PEOPLE_PER_EVENT:
                for a, b in combinations(sorted(people), 2):
                    net.tie(a, b, edge_type).add(found.when, found.record)
        for victim in found.people.get("victim-in", set()):
            for suspect in found.people.get("suspect-in", set()):
                if victim != suspect:
                    net.tie(victim, suspect, "victim-suspect").add(found.when, found.record)


def _everyone(found: _Event) -> set[str]:
    return set().union(*found.people.values()) if found.people else set()


def _vehicle_edges(events: dict[tuple[str, str, str], _Event], net: Network, window: Window,
                   labels: dict[str, str]) -> None:
    """People in one vehicle on different occasions; and who each vehicle is tied to."""
    occasions: dict[str, list[_Event]] = defaultdict(list)
    for found in events.values():
        for vehicle in found.vehicles:
            if window.holds(found.when):
                occasions[vehicle].append(found)
    for vehicle, seen in occasions.items():
        users = set().union(*(_everyone(e) for e in seen))
        for person in users:
            net.vehicles.setdefault(person, {})[vehicle] = labels.get(vehicle, vehicle)
        if len(users) > MAX_USERS_PER_VEHICLE:
            continue
        for found in seen:
            inside = _everyone(found)
            for a in inside:
                for b in users - inside:
                    net.tie(a, b, "shared-vehicle").add(found.when, found.record)


def _recorded_vehicles(conn: Connection, case_id: int, entity_of: dict[int, str], net: Network,
                       objects: _Objects) -> None:
    """Keepers and drivers a force recorded (owns-vehicle, drives-vehicle links)."""
    lk, vehicle_of, labels = tables.links, objects.vehicle_of, objects.labels
    for person_record, vehicle_record in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
            lk.c.case_id == case_id, lk.c.type.in_(["owns-vehicle", "drives-vehicle"]))):
        person, vehicle = entity_of.get(int(person_record)), vehicle_of.get(int(vehicle_record))
        if person is not None and vehicle is not None:
            net.vehicles.setdefault(person, {})[vehicle] = labels.get(vehicle, vehicle)


def _convoy_edges(conn: Connection, case_id: int, net: Network, window: Window) -> None:
    """The drivers of two vehicles that ANPR cameras read within minutes of each other on
    several days (travelling together; lantern.comms.colocation)."""
    users: dict[str, set[str]] = defaultdict(set)
    for person, vehicles in net.vehicles.items():
        for plate in vehicles.values():
            users[plate].add(person)
    if not users:
        return
    for convoy in travelling_together(load_frame(conn, case_id, only=("anpr",))):
        days = [day.isoformat() for day in convoy.dates if window.holds(day.isoformat())]

        def drivers(plate: str, year: int = convoy.dates[-1].year) -> set[str]:
            """Who could have driven it: not recorded victims, not children at the time."""
            return {p for p in users.get(plate, set()) if p not in net.victims and year - net.born.get(p, 0) >= 18}

        for a in drivers(convoy.vrm_a):
            for b in drivers(convoy.vrm_b):
                if a != b and days:
                    edge = net.tie(a, b, "travelled-with")
                    for day in days:
                        edge.add(day, convoy.evidence[0])
                    edge.evidence.extend(r for r in convoy.evidence[1:EVIDENCE_SAMPLE] if r not in edge.evidence)


def _premises_edges(events: dict[tuple[str, str, str], _Event], net: Network, window: Window,
                    labels: dict[str, str]) -> None:
    """People seen at the same premises within SAME_PREMISES_DAYS, on different occasions."""
    visits: dict[str, list[tuple[int, int, str, _Event]]] = defaultdict(list)
    for n, found in enumerate(events.values()):
        day = day_number(found.when)
        if not found.places or day is None or not window.holds(found.when):
            continue
        for place in found.places:
            for person in _everyone(found):
                net.premises.setdefault(person, {})[place] = labels.get(place, place)
                visits[place].append((day, n, person, found))
    for seen in visits.values():
        seen.sort(key=lambda v: (v[0], v[1]))
        start = 0
        for i, (day, occasion, person, found) in enumerate(seen):
            while seen[start][0] < day - SAME_PREMISES_DAYS:
                start += 1
            nearby = seen[start:i]
            if len({v[2] for v in nearby}) > MAX_VISITORS_IN_WINDOW:
                continue
            for _, other_occasion, other, _ in nearby:
                if other != person and other_occasion != occasion:
                    net.tie(person, other, "same-premises").add(found.when, found.record)


def _address_edges(conn: Connection, case_id: int, entity_of: dict[int, str], net: Network,
                   window: Window, objects: _Objects) -> None:
    """People whose records give one home address (undated: left out of a date window)."""
    if not window.open:
        return
    key = keyer("Location")
    residents: dict[str, dict[str, int]] = defaultdict(dict)
    for record, values in _values(conn, entity_of, ("address", "postcode")).items():
        if (found := key(values)) is not None:
            residents[f"location:{found}"].setdefault(entity_of[record], record)
    lk, place_of = tables.links, objects.place_of
    for person_record, place_record in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
            lk.c.case_id == case_id, lk.c.type == "lives-at")):
        person, place = entity_of.get(int(person_record)), place_of.get(int(place_record))
        if person is not None and place is not None:
            residents[place].setdefault(person, int(person_record))
    for people in residents.values():
        if 1 < len(people) <= MAX_PEOPLE_PER_ADDRESS:
            for a, b in combinations(sorted(people), 2):
                edge = net.tie(a, b, "shared-address")
                if not edge.count:
                    edge.add(None, people[a])
                    edge.evidence.append(people[b])


def _person_links(conn: Connection, case_id: int, entity_of: dict[int, str], net: Network, window: Window) -> None:
    """Family, associate and co-accused links a force recorded between two people."""
    lk = tables.links
    for link_type, a_record, b_record, properties in conn.execute(
            select(lk.c.type, lk.c.from_record_id, lk.c.to_record_id, lk.c.properties).where(
                lk.c.case_id == case_id, lk.c.type.in_(list(PERSON_LINKS)))):
        a, b = entity_of.get(int(a_record)), entity_of.get(int(b_record))
        if a is None or b is None or a == b:
            continue
        props = json.loads(properties) if properties else {}
        when = props.get("date")
        if not window.holds(when):
            continue
        kind = PERSON_LINKS[link_type]
        if kind == "associate" and str(props.get("relationship", "")).casefold() in FAMILY_WORDS:
            kind = "family"
        net.tie(a, b, kind).add(when, int(a_record))


@dataclass(frozen=True)
class _Objects:
    """Vehicle and place entities of the case's records, and a readable label for each."""

    vehicle_of: dict[int, str]
    place_of: dict[int, str]
    labels: dict[str, str]


def _objects(conn: Connection, case_id: int) -> _Objects:
    vehicle_of, place_of = entities_of(conn, case_id, "Vehicle"), entities_of(conn, case_id, "Location")
    labels: dict[str, str] = {}
    for entity_of, props in ((vehicle_of, ("vrm",)), (place_of, ("name", "address", "postcode"))):
        for record, values in _values(conn, entity_of, props).items():
            label = values.get("vrm") or values.get("name") or values.get("address") or values.get("postcode")
            if label:
                labels.setdefault(entity_of[record], label)
    return _Objects(vehicle_of, place_of, labels)


def births(conn: Connection, entity_of: Mapping[int, str]) -> dict[str, int]:
    """entity -> the most often recorded year of birth."""
    years: dict[str, Counter[int]] = defaultdict(Counter)
    for record, values in _values(conn, entity_of, ("dob",)).items():
        if values["dob"][:4].isdigit():
            years[entity_of[record]][int(values["dob"][:4])] += 1
    return {entity: counts.most_common(1)[0][0] for entity, counts in years.items()}


def _victims(conn: Connection, case_id: int, entity_of: dict[int, str]) -> set[str]:
    lk = tables.links
    return {entity_of[int(r)] for (r,) in conn.execute(select(lk.c.from_record_id).where(
        lk.c.case_id == case_id, lk.c.type == "victim-in")) if int(r) in entity_of}


def build_network(conn: Connection, case_id: int, window: Window | None = None,
                  bulk: CallStore | None = None) -> Network:
    entity_of = person_entities(conn, case_id)
    window = window or Window()
    net = Network(_names(conn, entity_of), {}, victims=_victims(conn, case_id, entity_of),
                  born=births(conn, entity_of))
    users = _phone_users(conn, entity_of)
    _call_edges(conn, case_id, users, net, window)
    if bulk is not None:
        _bulk_call_edges(conn, case_id, bulk, users, net, window)
    _shared_phone_edges(users, net, window)
    _saved_contact_edges(conn, case_id, users, net, window)
    objects = _objects(conn, case_id)
    events = _events(conn, case_id, entity_of, objects)
    _event_edges(events, net, window)
    _vehicle_edges(events, net, window, objects.labels)
    _recorded_vehicles(conn, case_id, entity_of, net, objects)
    _convoy_edges(conn, case_id, net, window)
    _premises_edges(events, net, window, objects.labels)
    _address_edges(conn, case_id, entity_of, net, window, objects)
    _person_links(conn, case_id, entity_of, net, window)
    net.age_ties()
    return net


__all__ = ["ALGORITHM_VERSION", "Clusters", "Edge", "Network", "Window", "births", "build_network", "clusters",
           "entities_of", "person_clusters", "person_entities",
           "tie_key"]

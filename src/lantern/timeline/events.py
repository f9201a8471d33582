"""Events in the store that the subject's records are linked to, and ANPR reads of their vehicles.

An event is one record (a crime, a missing episode...): several people linked to it make it
one line with all of them, never one line each. Summaries use structured fields only (offence,
outcome, grading, premises...): free text may name a child and stays out of a chronology.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, select

from lantern.comms.frame import parse_when
from lantern.model.schema import load_schema
from lantern.store import tables
from lantern.timeline.model import Involved, TimelineEvent
from lantern.timeline.provenance import CHUNK, record_sources

# Event schemas a chronology shows (calls and messages are summarised per day elsewhere).
KIND_OF = {"Crime": "crime", "IntelligenceReport": "intelligence", "MissingEpisode": "missing",
           "Custody": "custody", "Stop": "stop", "Sighting": "sighting", "AnprRead": "anpr",
           "SafeguardingReferral": "referral"}
PROPS = ("reference", "date", "end_date", "reported_date", "offence", "outcome", "status", "outcome_date",
         "grading", "source_evaluation", "handling_code", "recorded_by", "risk_level", "found_location",
         "arrest_reason", "custody_suite", "disposal", "reason", "stop_outcome", "vrm", "premises", "address",
         "postcode", "camera", "camera_direction", "agency", "referral_outcome", "force")
Values = dict[str, str]


def _role(link_type: str) -> str:
    link = load_schema().links.get(link_type)
    return (link.role or link.label) if link is not None else link_type


def _values(conn: Connection, records: list[int]) -> dict[int, Values]:
    s = tables.statements
    out: dict[int, Values] = defaultdict(dict)
    for start in range(0, len(records), CHUNK):
        for record, prop, value in conn.execute(select(s.c.record_id, s.c.prop, s.c.value).where(
                s.c.record_id.in_(records[start:start + CHUNK]), s.c.prop.in_(PROPS), s.c.value.is_not(None))):
            out[int(record)].setdefault(prop, value)
    return out


def _joined(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def _labelled(label: str, value: str | None) -> str | None:
    return f"{label} {value.replace('_', ' ')}" if value else None


def _crime(v: Values) -> str:
    return _joined(v.get("offence") or "crime", _labelled("reported", (v.get("reported_date") or "")[:10] or None),
                   _labelled("outcome", v.get("outcome")), _labelled("on", (v.get("outcome_date") or "")[:10] or None),
                   _labelled("status", v.get("status")), v.get("force"))


def _place(v: Values) -> str | None:
    return v.get("premises") or v.get("address") or v.get("postcode")


SUMMARIES: dict[str, Callable[[Values], str]] = {
    "crime": _crime,
    "intelligence": lambda v: _joined("intelligence report", _labelled("graded", v.get("grading")),
                                      _labelled("handling code", v.get("handling_code")),
                                      _labelled("recorded by", v.get("recorded_by")), v.get("force")),
    "missing": lambda v: _joined("reported missing", _labelled("risk", v.get("risk_level")),
                                 _labelled("found at", v.get("found_location")), v.get("force")),
    "custody": lambda v: _joined("in custody", _labelled("for", v.get("arrest_reason")),
                                 _labelled("at", v.get("custody_suite")), _labelled("disposal", v.get("disposal")),
                                 v.get("force")),
    "stop": lambda v: _joined("stopped", _labelled("grounds:", v.get("reason")), _labelled("vehicle", v.get("vrm")),
                              _labelled("at", _place(v)), _labelled("outcome", v.get("stop_outcome")), v.get("force")),
    "sighting": lambda v: _joined("seen", _labelled("at", _place(v)), v.get("force")),
    "anpr": lambda v: _joined(f"vehicle {v.get('vrm', '?')} read by ANPR", _labelled("camera", v.get("camera")),
                              _labelled("at", v.get("address") or v.get("postcode")),
                              _labelled("travelling", v.get("camera_direction"))),
    "referral": lambda v: _joined("safeguarding referral", _labelled("by", v.get("agency")),
                                  _labelled("outcome", v.get("referral_outcome")), v.get("force")),
}


def _event_schemas(conn: Connection, records: list[int]) -> dict[int, str]:
    r = tables.records
    out: dict[int, str] = {}
    for start in range(0, len(records), CHUNK):
        out.update({int(i): s for i, s in conn.execute(select(r.c.id, r.c.schema).where(
            r.c.id.in_(records[start:start + CHUNK]), r.c.schema.in_(list(KIND_OF))))})
    return out


def linked_events(conn: Connection, person_records: Iterable[int]) -> dict[int, str]:
    """Event record -> schema, for every event the given Person records are linked to."""
    lk = tables.links
    mine = sorted(set(person_records))
    targets: set[int] = set()
    for start in range(0, len(mine), CHUNK):
        targets |= {int(t) for (t,) in conn.execute(select(lk.c.to_record_id).where(
            lk.c.from_record_id.in_(mine[start:start + CHUNK])))}
    return _event_schemas(conn, sorted(targets))


def vehicles_of(conn: Connection, person_records: dict[int, str], events: dict[int, str]) -> dict[str, set[str]]:
    """VRM -> the people it is tied to: vehicles they keep or drive, and vehicles in their events
    (the car a person was stopped in)."""
    lk, s = tables.links, tables.statements
    mine = sorted(person_records)
    found: dict[str, set[str]] = defaultdict(set)
    vehicle_people: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(mine), CHUNK):
        for person, vehicle in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
                lk.c.type.in_(["owns-vehicle", "drives-vehicle"]), lk.c.from_record_id.in_(mine[start:start + CHUNK]))):
            vehicle_people[int(vehicle)].add(person_records[int(person)])
    people_of_event: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(mine), CHUNK):
        for person, event in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
                lk.c.from_record_id.in_(mine[start:start + CHUNK]))):
            if int(event) in events and events[int(event)] != "AnprRead":
                people_of_event[int(event)].add(person_records[int(person)])
    in_events = sorted(people_of_event)
    for start in range(0, len(in_events), CHUNK):
        for vehicle, event in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
                lk.c.type == "vehicle-in", lk.c.to_record_id.in_(in_events[start:start + CHUNK]))):
            vehicle_people[int(vehicle)] |= people_of_event[int(event)]
    plates = sorted(vehicle_people)
    for start in range(0, len(plates), CHUNK):
        for vehicle, vrm in conn.execute(select(s.c.record_id, s.c.value).where(
                s.c.prop == "vrm", s.c.value.is_not(None), s.c.record_id.in_(plates[start:start + CHUNK]))):
            found[vrm] |= vehicle_people[int(vehicle)]
    # A stop records the vehicle on the stop itself too.
    for event, values in _values(conn, [e for e, schema in events.items() if schema == "Stop"]).items():
        if values.get("vrm") and event in people_of_event:
            found[values["vrm"]] |= people_of_event[event]
    return found


def anpr_reads(conn: Connection, case_id: int, vrms: Iterable[str]) -> dict[int, str]:
    """AnprRead record -> VRM, for every read of these vehicles."""
    r, s = tables.records, tables.statements
    plates = sorted(set(vrms))
    if not plates:
        return {}
    return {int(i): vrm for i, vrm in conn.execute(select(r.c.id, s.c.value).join(s, s.c.record_id == r.c.id).where(
        r.c.case_id == case_id, r.c.schema == "AnprRead", s.c.prop == "vrm", s.c.value.in_(plates)))}


def people_in(conn: Connection, events: Iterable[int], entity_of: Mapping[int, str]) -> dict[int, list[Involved]]:
    """Event record -> everyone linked to it (resolved people), with their role."""
    lk = tables.links
    wanted = sorted(set(events))
    out: dict[int, dict[tuple[str, str], None]] = defaultdict(dict)
    for start in range(0, len(wanted), CHUNK):
        for person, event, link_type in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id, lk.c.type).where(
                lk.c.to_record_id.in_(wanted[start:start + CHUNK]))):
            if (entity := entity_of.get(int(person))) is not None:
                out[int(event)][(entity, _role(link_type))] = None
    return {event: [Involved(e, role) for e, role in found] for event, found in out.items()}


def store_events(conn: Connection, events: dict[int, str], entity_of: Mapping[int, str],
                 extra_people: dict[int, list[Involved]] | None = None) -> list[TimelineEvent]:
    """One TimelineEvent per event record, with its people, source and grading."""
    ids = sorted(events)
    values = _values(conn, ids)
    people = people_in(conn, ids, entity_of)
    sources = record_sources(conn, ids)
    out = []
    for record in ids:
        kind = KIND_OF[events[record]]
        v = values.get(record, {})
        when: datetime | None = parse_when(v.get("date")) or parse_when(v.get("reported_date"))
        involved = people.get(record, []) + (extra_people or {}).get(record, [])
        out.append(TimelineEvent(
            when=when, until=parse_when(v.get("end_date")), kind=kind, summary=SUMMARIES[kind](v),
            people=tuple(dict.fromkeys(involved)), sources=(sources[record],) if record in sources else (),
            records=(record,), reference=v.get("reference"), grading=v.get("grading")))
    return out

"""Read one case's facts for the risk score from the store and its latest network run.

Only the properties in READ_PROPERTIES are ever selected; a check against the schema refuses
to run if one of them is a protected characteristic, so ethnicity, religion and nationality
cannot reach the scorer by a later edit here.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, select

from lantern.graph.build import entities_of
from lantern.graph.service import latest_network
from lantern.model.schema import load_schema
from lantern.risk.facts import (
    NOT_ADULT_ROLES,
    Age,
    CaseFacts,
    Episode,
    Member,
    Premises,
    Tie,
    normalise_place,
    parse_when,
)
from lantern.store import tables
from lantern.store.chunks import in_chunks, unindexed

# The only statement properties the risk reader selects (see the module docstring).
PERSON_PROPERTIES = ("dob", "age")
EVENT_PROPERTIES = ("date", "end_date", "found_location", "offence")
PLACE_PROPERTIES = ("name", "address", "postcode")
READ_PROPERTIES = frozenset((*PERSON_PROPERTIES, *EVENT_PROPERTIES, *PLACE_PROPERTIES))
# Links from a person's record to an event or a place that put them somewhere, at some time.
PERSON_EVENT_LINKS = ("reported-missing", "subject-of", "suspect-in", "victim-in", "witness-in", "present-at")


def protected_properties() -> frozenset[str]:
    schema = load_schema()
    return frozenset(p for e in schema.entities.values() for p in e.protected_properties)


def _guard() -> None:
    leaked = READ_PROPERTIES & protected_properties()
    if leaked:  # a programming error, not a user's: fail loudly
        raise RuntimeError(f"the risk reader must not read protected characteristics: {sorted(leaked)}")


def _statements(conn: Connection, records: Iterable[int], props: Iterable[str]) -> dict[int, dict[str, list[str]]]:
    s = tables.statements
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    wanted = [p for p in props if p in READ_PROPERTIES]
    for chunk in in_chunks(records):
        for record, prop, value in conn.execute(select(s.c.record_id, s.c.prop, s.c.value).where(
                s.c.record_id.in_(chunk), unindexed(s.c.prop).in_(wanted), s.c.value.is_not(None))
                .order_by(s.c.id)):
            out[int(record)][prop].append(value)
    return out


def _ages(conn: Connection, entity_of: dict[int, str]) -> dict[str, Age]:
    """The most often recorded date of birth of each person; else the youngest stated age."""
    births: dict[str, Counter[tuple[date, int]]] = defaultdict(Counter)
    ages: dict[str, Age] = {}
    stated: dict[str, tuple[int, int]] = {}
    for record, values in _statements(conn, entity_of, PERSON_PROPERTIES).items():
        entity = entity_of[record]
        for dob in values.get("dob", []):
            when = parse_when(dob)
            if when is not None:
                births[entity][(when.date(), record)] += 1
        for age in values.get("age", []):
            try:
                years = int(float(age))
            except ValueError:
                continue
            if entity not in stated or years < stated[entity][0]:
                stated[entity] = (years, record)
    for entity, counts in births.items():
        by_date: Counter[date] = Counter()
        first_record: dict[date, int] = {}
        for (born, record), n in counts.items():
            by_date[born] += n
            first_record[born] = min(first_record.get(born, record), record)
        born = max(sorted(by_date), key=lambda d: by_date[d])
        ages[entity] = Age(born=born, born_record=first_record[born])
    for entity, (years, record) in stated.items():
        ages.setdefault(entity, Age()).stated, ages[entity].stated_record = years, record
    return ages


def read_case(conn: Connection, case_id: int) -> tuple[CaseFacts, int]:
    """The case's facts for scoring, and the network run they were read from."""
    _guard()
    run_id = latest_network(conn, case_id)  # a LanternError telling the user to run `lantern network`
    runs, c = tables.network_runs, tables.resolution_clusters
    resolution_run = conn.scalar(select(runs.c.resolution_run_id).where(runs.c.id == run_id))
    entity_of = {int(r): e for r, e in conn.execute(
        select(c.c.record_id, c.c.entity_id).where(c.c.run_id == resolution_run))}
    facts = CaseFacts(reference=date.min)
    facts.ages = _ages(conn, entity_of)
    for record, entity in entity_of.items():
        facts.records.setdefault(entity, set()).add(record)
    events = _person_events(conn, case_id, entity_of, facts)
    _ties(conn, run_id, facts)
    _groups(conn, run_id, facts)
    _premises(conn, case_id, events, facts)
    every = [d for found in facts.dates.values() for d in found]
    facts.reference = max(every) if every else date.today()
    for entity, age in facts.ages.items():
        if age.stated_record is not None:
            found = facts.dates.get(entity)
            age.stated_on = min(found) if found else None
    return facts, run_id


def _person_events(conn: Connection, case_id: int, entity_of: dict[int, str], facts: CaseFacts
                   ) -> dict[int, tuple[str, set[str]]]:
    """Events and places linked from people's records: episodes, dates, suspects and victims.
    Returns event record -> (schema, the people linked to it)."""
    lk, r = tables.links, tables.records
    target = r.alias("target")
    linked: dict[int, tuple[str, set[str]]] = {}
    by_type: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for link_type, person_record, event_record, schema in conn.execute(
            select(lk.c.type, lk.c.from_record_id, lk.c.to_record_id, target.c.schema)
            .join(target, target.c.id == lk.c.to_record_id)
            .where(lk.c.case_id == case_id, lk.c.type.in_(PERSON_EVENT_LINKS))):
        entity = entity_of.get(int(person_record))
        if entity is None:
            continue
        event = int(event_record)
        linked.setdefault(event, (schema, set()))[1].add(entity)
        by_type[link_type].append((entity, event))
        facts.records[entity].add(event)
    values = _statements(conn, (e for e, (schema, _) in linked.items() if schema != "Location"), EVENT_PROPERTIES)
    for event, (_, people) in linked.items():
        when = parse_when(next(iter(values.get(event, {}).get("date", [])), None))
        if when is not None:
            for person in people:
                facts.dates.setdefault(person, []).append(when.date())
    for entity, event in by_type["reported-missing"]:
        found = values.get(event, {})
        facts.episodes.setdefault(entity, []).append(Episode(
            event, parse_when(next(iter(found.get("date", [])), None)),
            parse_when(next(iter(found.get("end_date", [])), None)), next(iter(found.get("found_location", [])), None)))
    for entity, event in by_type["suspect-in"]:
        facts.suspect_in.setdefault(entity, []).append(event)
    suspects_of: dict[int, set[str]] = defaultdict(set)
    for entity, event in by_type["suspect-in"]:
        suspects_of[event].add(entity)
    for entity, event in by_type["victim-in"]:
        suspects = tuple(sorted(suspects_of[event] - {entity}))
        facts.victim_in.setdefault(entity, []).append((event, suspects))
        if offence := next(iter(values.get(event, {}).get("offence", [])), None):
            facts.offences[event] = offence
    for entity, episodes in facts.episodes.items():
        facts.episodes[entity] = sorted(set(episodes), key=lambda e: e.record)
    for entity, crimes in facts.suspect_in.items():
        facts.suspect_in[entity] = sorted(set(crimes))
    return linked


def _ties(conn: Connection, run_id: int, facts: CaseFacts) -> None:
    e = tables.network_edges
    for row in conn.execute(select(e).where(e.c.run_id == run_id)):
        evidence = [int(x) for x in json.loads(row.evidence_json)]
        count = int(row._mapping["count"])  # Row.count is tuple.count
        for me, other in ((row.entity_a, row.entity_b), (row.entity_b, row.entity_a)):
            tie = facts.ties.setdefault(me, {}).setdefault(other, Tie(other))
            tie.counts[row.type] = tie.counts.get(row.type, 0) + count
            tie.weights[row.type] = tie.weights.get(row.type, 0.0) + float(row.weight)
            tie.last = max(filter(None, (tie.last, row.last_seen)), default=None)
            tie.evidence.setdefault(row.type, []).extend(evidence)
            for when in (row.first_seen, row.last_seen):
                if (parsed := parse_when(when)) is not None:
                    facts.dates.setdefault(me, []).append(parsed.date())


def _groups(conn: Connection, run_id: int, facts: CaseFacts) -> None:
    g, runs = tables.network_groups, tables.network_runs
    for entity, group, role in conn.execute(select(g.c.entity_id, g.c.group_id, g.c.role).where(g.c.run_id == run_id)):
        facts.membership[entity] = Member(group, role)
    stats = json.loads(conn.scalar(select(runs.c.stats_json).where(runs.c.id == run_id)) or "{}")
    facts.organised = {group for group, details in stats.get("group_details", {}).items()
                       if details.get("organised_network")}


def _premises(conn: Connection, case_id: int, events: dict[int, tuple[str, set[str]]], facts: CaseFacts) -> None:
    """Premises of concern (where two or more of one group's adults were seen) and every
    person's visits to a place (an event that occurred there, or being present there)."""
    lk = tables.links
    place_of = entities_of(conn, case_id, "Location")
    at: dict[int, set[str]] = defaultdict(set)  # event record -> places
    for event, place_record in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
            lk.c.case_id == case_id, lk.c.type == "occurred-at")):
        if (place := place_of.get(int(place_record))) is not None:
            at[int(event)].add(place)
    seen_by: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # place -> group -> adults
    group_records: dict[str, set[int]] = defaultdict(set)
    present: list[tuple[str, str, int]] = []  # (person, place, place record): present-at links
    for event, (schema, people) in events.items():
        if schema == "Location":
            if event in place_of:
                present.extend((person, place_of[event], event) for person in people)
            continue
        for place in at.get(event, set()):
            for person in people:
                facts.visits.setdefault(person, []).append((place, event))
                member = facts.membership.get(person)
                if member is not None and member.role not in NOT_ADULT_ROLES:
                    seen_by[place][member.group].add(person)
                    group_records[place].add(event)
    for person, place, record in present:  # only where no event already puts them there
        if all(p != place for p, _ in facts.visits.get(person, [])):
            facts.visits.setdefault(person, []).append((place, record))
    concern = {place: sorted(g for g, adults in groups.items() if len(adults) >= 2) for place, groups in seen_by.items()}
    concern = {place: groups for place, groups in concern.items() if groups}
    records_of: dict[str, list[int]] = defaultdict(list)
    for record, place in place_of.items():
        if place in concern:
            records_of[place].append(record)
    values = _statements(conn, (r for found in records_of.values() for r in found), PLACE_PROPERTIES)
    for place, groups in concern.items():
        label, match = "", set()
        for record in records_of[place]:
            found = values.get(record, {})
            name, address = next(iter(found.get("name", [])), ""), next(iter(found.get("address", [])), "")
            label = label or ", ".join(filter(None, (name, address))) or next(iter(found.get("postcode", [])), place)
            if address:
                match.add(normalise_place(address))
        facts.premises[place] = Premises(label or place, tuple(groups), tuple(sorted(group_records[place])),
                                         tuple(sorted(match)))

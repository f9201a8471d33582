"""Searching the pivot values of a case: phones, vehicles (VRMs) and places.

A query is cleaned by the property type first (the same code that cleaned the records at
ingest), so any written form of a number, plate or postcode finds the stored one exactly. A
fragment (the last digits of a number, part of a plate, a postcode district, a street name)
finds what contains it, ranked below the exact finds. Which properties hold phones, VRMs and
places is read from the schema, not listed here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache

from sqlalchemy import ColumnElement, Connection, func, select

from lantern.graph.build import clusters
from lantern.lookup.hits import SHOWN_RECORDS, Hit
from lantern.model.schema import load_schema
from lantern.model.types import CleanOptions, property_type
from lantern.store import tables

WHOLE_NUMBER = 10  # digits of a whole UK number (national form, without the leading 0)
WHOLE_PLATE = 7  # characters of a current-style GB registration
MIN_FRAGMENT = 4  # digits of a phone, or letters of an address, before a fragment is searched
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")  # the outward half of a postcode


@cache
def props_of_type(*types: str) -> tuple[str, ...]:
    """Every property, on any entity type, that the schema gives one of these types."""
    schema = load_schema()
    return tuple(sorted({name for entity in schema.entities.values() for name, prop in entity.properties.items()
                         if prop.type.name in types and not prop.protected}))


def _matching(conn: Connection, case_id: int, props: Iterable[str], condition: ColumnElement[bool],
              cap: int) -> dict[str, list[int]]:
    """value -> the case's records holding it, for values meeting the condition (at most ``cap``
    distinct values, so a fragment like "1" cannot drag the whole case back)."""
    r, s = tables.records, tables.statements
    wanted = select(s.c.value).join(r, r.c.id == s.c.record_id).where(
        r.c.case_id == case_id, s.c.prop.in_(list(props)), condition).distinct().order_by(s.c.value).limit(cap)
    found = list(conn.scalars(wanted))
    out: dict[str, list[int]] = defaultdict(list)
    if not found:
        return out
    for record, value in conn.execute(
            select(s.c.record_id, s.c.value).join(r, r.c.id == s.c.record_id).where(
                r.c.case_id == case_id, s.c.prop.in_(list(props)), s.c.value.in_(found))
            .order_by(s.c.record_id)):
        if int(record) not in out[value][-1:]:
            out[value].append(int(record))
    return out


def people_of(conn: Connection, case_id: int, records: list[int]) -> tuple[str, ...]:
    """The person entities behind these records: Person records among them, people linked to
    them (a phone's users, a vehicle's keeper, a stop's subjects, a place's residents) and
    people in the events a vehicle or phone among them is in."""
    entity_of = clusters(conn, case_id, "Person").entity_of
    lk = tables.links
    events = set(records)
    for chunk in _chunks(records):
        events |= {int(e) for (e,) in conn.execute(select(lk.c.to_record_id).where(
            lk.c.from_record_id.in_(chunk), lk.c.type.in_(("vehicle-in", "party-to"))))}
    people = {entity_of[r] for r in records if r in entity_of}
    for chunk in _chunks(sorted(events)):
        people |= {entity_of[int(p)] for (p,) in conn.execute(select(lk.c.from_record_id).where(
            lk.c.to_record_id.in_(chunk))) if int(p) in entity_of}
    return tuple(sorted(people, key=_entity_order))


def _chunks(values: list[int], size: int = 10_000) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _entity_order(entity: str) -> tuple[int, str]:
    digits = entity[1:]
    return (int(digits), entity) if digits.isdigit() else (0, entity)


def _hits(conn: Connection, case_id: int, kind: str, found: dict[str, list[int]], score: float, why: str
          ) -> list[Hit]:
    return [Hit(kind, value, value, why, score, tuple(records[:SHOWN_RECORDS]), len(records),
                people_of(conn, case_id, records))
            for value, records in sorted(found.items(), key=lambda x: (-len(x[1]), x[0]))]


def _merge(exact: list[Hit], partial: list[Hit], limit: int) -> list[Hit]:
    """Exact finds first; a fragment's finds after them, each value once."""
    kept: dict[str, Hit] = {}
    for hit in exact + partial:
        kept.setdefault(hit.id, hit)
    return list(kept.values())[:limit]


def find_phones(conn: Connection, case_id: int, query: str, limit: int) -> list[Hit]:
    s = tables.statements
    props = props_of_type("phone")
    exact: list[Hit] = []
    digits = re.sub(r"\D", "", query)
    cleaned = property_type("phone").clean(query, CleanOptions())
    if cleaned.value and len(digits) >= 7:
        exact = _hits(conn, case_id, "phone", _matching(conn, case_id, props, s.c.value == cleaned.value, 1),
                      1.0, "phone exact")
    partial: list[Hit] = []
    # A whole number found exactly needs no scan for numbers containing it: only a fragment does.
    if exact and len(digits) >= WHOLE_NUMBER:
        return exact[:limit]
    if len(digits) >= MIN_FRAGMENT and re.fullmatch(r"[\d\s()+-]+", query):
        tail = digits.lstrip("0") if len(digits) > MIN_FRAGMENT else digits  # 07700 9... is +447700 9...
        partial = _hits(conn, case_id, "phone", _matching(conn, case_id, props, s.c.value.contains(
            tail, autoescape=True), limit), 0.6, "phone contains the digits")
    return _merge(exact, partial, limit)


def find_vehicles(conn: Connection, case_id: int, query: str, limit: int) -> list[Hit]:
    """Every GB registration has a digit: a query without one (a name) is not a plate."""
    if not any(ch.isdigit() for ch in query) or not any(ch.isalpha() for ch in query):
        return []
    s = tables.statements
    props = props_of_type("vrm")
    cleaned = property_type("vrm").clean(query, CleanOptions())
    if cleaned.value is None:
        return []
    exact = _hits(conn, case_id, "vehicle", _matching(conn, case_id, props, s.c.value == cleaned.value, 1),
                  1.0, "VRM exact")
    if exact and len(cleaned.value) >= WHOLE_PLATE:  # a whole plate: no scan for plates holding it
        return exact[:limit]
    partial = _hits(conn, case_id, "vehicle", _matching(conn, case_id, props, s.c.value.contains(
        cleaned.value, autoescape=True), limit), 0.6, "VRM contains")
    return _merge(exact, partial, limit)


def find_locations(conn: Connection, case_id: int, query: str, limit: int) -> list[Hit]:
    s = tables.statements
    found: list[Hit] = []
    postcode = property_type("postcode").clean(query, CleanOptions())
    if postcode.value:
        found += _hits(conn, case_id, "location", _matching(conn, case_id, props_of_type("postcode"),
                                                               s.c.value == postcode.value, 1), 1.0, "postcode exact")
    district = query.strip().upper()
    if DISTRICT.fullmatch(district):
        found += _hits(conn, case_id, "location", _matching(conn, case_id, props_of_type("postcode"),
                                                               s.c.value.startswith(f"{district} ", autoescape=True),
                                                               limit), 0.6, "postcode district")
    words = " ".join(query.split())
    if len(words) >= MIN_FRAGMENT and any(ch.isalpha() for ch in words):
        found += _hits(conn, case_id, "location", _matching(
            conn, case_id, props_of_type("address"),
            func.lower(s.c.value).contains(words.lower(), autoescape=True), limit), 0.8, "address contains")
    return _merge(found, [], limit)

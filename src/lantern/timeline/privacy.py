"""Which people in a chronology are children or recorded victims: the ones every product shows
only as keyed pseudonyms (as `lantern group` and `lantern risk` do)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection, select

from lantern.graph.build import Clusters, births
from lantern.store import tables
from lantern.timeline.model import Timeline
from lantern.timeline.provenance import CHUNK

ADULT = 18


def protected_people(conn: Connection, case_id: int, timeline: Timeline, people: Clusters) -> dict[str, str]:
    """entity -> "victim" or "child" for everyone in the chronology who is either.

    A child is under 18 (by recorded year of birth, or an age stated on a record) at any event
    the chronology shows them in, or today when it shows them in none: erring towards a
    pseudonym, since a wrongly hidden adult costs a look-up and a shown child cannot be unshown.
    """
    mine = people.of(timeline.people())
    lk, s = tables.links, tables.statements
    out: dict[str, str] = {}
    records = sorted(mine)
    for start in range(0, len(records), CHUNK):
        for (record,) in conn.execute(select(lk.c.from_record_id).where(
                lk.c.case_id == case_id, lk.c.type == "victim-in", lk.c.from_record_id.in_(records[start:start + CHUNK]))):
            out[mine[int(record)]] = "victim"
    years: dict[str, list[int]] = defaultdict(list)
    for event in timeline.events:
        if event.when is not None:
            for person in event.people:
                years[person.entity].append(event.when.year)
    born = births(conn, mine)
    for entity, year in born.items():
        if entity not in out and min(years.get(entity) or [date.today().year]) - year < ADULT:
            out[entity] = "child"
    for start in range(0, len(records), CHUNK):
        for record, age in conn.execute(select(s.c.record_id, s.c.value).where(
                s.c.prop == "age", s.c.value.is_not(None), s.c.record_id.in_(records[start:start + CHUNK]))):
            entity = mine[int(record)]
            if entity not in out and _number(age) is not None and (_number(age) or 0) < ADULT:
                out[entity] = "child"
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None

"""Who or what a chronology is about: a person entity, a group of the latest network, or a phone.

A person is every record resolution put in the entity (merged across forces and sources); a
group is every record of each of its members; a phone is the number in the store's form.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, select

from lantern.comms.phones import clean_number
from lantern.errors import LanternError
from lantern.graph.build import person_clusters
from lantern.graph.service import latest_network
from lantern.store import tables
from lantern.store.chunks import in_chunks, unindexed

PERSON = re.compile(r"P\d+")
GROUP = re.compile(r"G\d+")


@dataclass(frozen=True)
class Subject:
    asked: str  # the subject in canonical form: P7307, G001, +447700900123
    kind: str  # person | group | phone
    entities: tuple[str, ...]  # the people it covers (none for a phone)
    person_records: dict[int, str]  # their Person record ids -> entity
    numbers: tuple[str, ...]  # their phone numbers (the number itself, for a phone)


def phone_numbers(conn: Connection, records: Mapping[int, str]) -> dict[str, set[str]]:
    """number -> the entities whose Person records give it (or Phone records they use)."""
    s, lk = tables.statements, tables.links
    out: dict[str, set[str]] = defaultdict(set)
    for chunk in in_chunks(records):  # a national case's records, under the parameter limits
        for record, number in conn.execute(select(s.c.record_id, s.c.value).where(
                unindexed(s.c.prop) == "phone", s.c.value.is_not(None), s.c.record_id.in_(chunk))):
            out[number].add(records[int(record)])
        phones = select(lk.c.to_record_id).where(lk.c.type == "uses-phone", lk.c.from_record_id.in_(chunk))
        owners = {int(to): records[int(frm)] for frm, to in conn.execute(
            select(lk.c.from_record_id, lk.c.to_record_id).where(lk.c.type == "uses-phone",
                                                                 lk.c.from_record_id.in_(chunk)))}
        for record, number in conn.execute(select(s.c.record_id, s.c.value).where(
                unindexed(s.c.prop) == "number", s.c.value.is_not(None), s.c.record_id.in_(phones))):
            out[number].add(owners[int(record)])
    return out


def _numbers_of(conn: Connection, records: dict[int, str]) -> tuple[str, ...]:
    return tuple(sorted(phone_numbers(conn, records)))


def resolve_subject(conn: Connection, case_id: int, subject: str) -> Subject:
    """The subject's records and numbers; a LanternError naming what was not found."""
    asked = subject.strip()
    upper = asked.upper()
    if PERSON.fullmatch(upper):
        mine = person_clusters(conn, case_id).of([upper])
        if not mine:
            raise LanternError(f"no person {upper} in this case's latest resolution (see `lantern network`, "
                               "`lantern players` or `lantern ego` for entity ids)")
        return Subject(upper, "person", (upper,), mine, _numbers_of(conn, mine))
    if GROUP.fullmatch(upper):
        g = tables.network_groups
        run = latest_network(conn, case_id)
        members = {e for (e,) in conn.execute(select(g.c.entity_id).where(g.c.run_id == run, g.c.group_id == upper))}
        if not members:
            raise LanternError(f"no group {upper} in the latest network (see `lantern network`)")
        mine = person_clusters(conn, case_id).of(members)
        return Subject(upper, "group", tuple(sorted(members)), mine, _numbers_of(conn, mine))
    try:
        number = clean_number(asked)
    except LanternError:
        raise LanternError(f"{asked!r} is not a person entity id (P123), a group id (G001) or a phone "
                           "number") from None
    return Subject(number, "phone", (), {}, (number,))

"""Who uses a number, with the evidence, and what seized phones' owners saved numbers as.

A number is attributed to a resolved person when records give it as theirs (a nominal's
phone, a custody record) or a subscriber check names them; the names saved for it in seized
phones ("Uncle", a street name) are shown beside, with whose phone saved them. Contacts saved
in several seized phones come first: the numbers that tie the phones' owners together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lantern.comms.frame import CommsFrame
from lantern.graph.build import person_entities
from lantern.store import tables


@dataclass
class Attribution:
    number: str
    people: dict[str, list[int]] = field(default_factory=dict)  # entity -> records giving the number
    subscribers: list[str] = field(default_factory=list)
    saved_as: list[tuple[str, str]] = field(default_factory=list)  # (seized phone's number, saved name)

    @property
    def reason(self) -> str:
        parts = [f"{len(records)} record(s) of {entity} give it" for entity, records in self.people.items()]
        parts += [f"subscriber {name}" for name in self.subscribers]
        parts += [f"saved as {name!r} in {owner}" for owner, name in self.saved_as]
        return "; ".join(parts) or "no record attributes it"


def users_of_numbers(conn: Connection, case_id: int, numbers: list[str]) -> dict[str, dict[str, list[int]]]:
    """number -> {person entity: the person records that give it}."""
    entity_of = person_entities(conn, case_id)
    s = tables.statements
    found: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for record, number in conn.execute(select(s.c.record_id, s.c.value).where(
            s.c.prop == "phone", s.c.value.in_(numbers))):
        if (entity := entity_of.get(int(record))) is not None:
            found[number][entity].append(int(record))
    return {n: dict(people) for n, people in found.items()}


def attribute(conn: Connection, case_id: int, frame: CommsFrame, numbers: list[str]) -> list[Attribution]:
    users = users_of_numbers(conn, case_id, numbers)
    r, s = tables.records, tables.statements
    phone = s.alias("phone")
    subscribers: dict[str, list[str]] = defaultdict(list)
    for number, name in conn.execute(
            select(phone.c.value, s.c.value).join(s, s.c.record_id == phone.c.record_id)
            .join(r, r.c.id == phone.c.record_id)
            .where(r.c.case_id == case_id, r.c.schema == "Phone", phone.c.prop == "number",
                   phone.c.value.in_(numbers), s.c.prop == "subscriber")):
        if name not in subscribers[number]:
            subscribers[number].append(name)
    saved: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for owner, number, name in frame.rows(
            "SELECT DISTINCT owner, number, saved_name FROM contacts WHERE number IN (SELECT unnest(?::VARCHAR[])) "
            "AND saved_name IS NOT NULL ORDER BY owner", [numbers]):
        saved[number].append((owner, name))
    return [Attribution(n, users.get(n, {}), subscribers.get(n, []), saved.get(n, [])) for n in numbers]


@dataclass(frozen=True)
class SavedContact:
    number: str
    phones: list[str]  # the seized phones that saved it
    names: list[str]  # what each saved it as
    people: list[str]  # resolved people whose records give the number
    records: list[int]


def shared_saved_contacts(conn: Connection, case_id: int, frame: CommsFrame) -> list[SavedContact]:
    """Every number saved in a seized phone, those saved in the most phones first, with the
    names the owners gave it and the people whose records give it."""
    rows = frame.rows("""
        SELECT number, list(DISTINCT owner ORDER BY owner), list(saved_name ORDER BY owner), list(record_id)
        FROM contacts GROUP BY number ORDER BY count(DISTINCT owner) DESC, number""")
    users = users_of_numbers(conn, case_id, [row[0] for row in rows])
    return [SavedContact(number, list(phones), [n for n in names if n], sorted(users.get(number, {})), list(records))
            for number, phones, names, records in rows]

"""How a phone number is shown to a reader: its users' entity ids, or a pseudonym when the
number is a recorded victim's or a child's (under 18 at the latest date in the case, by year
of birth), as in every other product."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from lantern.comms import attribution
from lantern.graph.build import births
from lantern.security.pseudonymise import Pseudonymiser, victim_record_ids
from lantern.store import tables


class NumberLabels:
    """Who each number belongs to, as a label: a victim's or a child's number shows a pseudonym."""

    def __init__(self, conn: Connection, case_id: int, key: bytes, numbers: list[str]) -> None:
        self.users = attribution.users_of_numbers(conn, case_id, numbers)
        self.victims = victim_record_ids(conn, case_id)
        self.pseudonymiser = Pseudonymiser.of(conn, case_id, key)
        records = {r: entity for people in self.users.values() for entity, rs in people.items() for r in rs}
        born = births(conn, records)
        latest = conn.scalar(select(func.max(tables.statements.c.value)).where(tables.statements.c.prop == "date"))
        year = int(latest[:4]) if latest and latest[:4].isdigit() else None
        self.children = {e for e, b in born.items() if year is not None and year - b < 18}

    def victim_number(self, number: str) -> bool:
        return any(r in self.victims for records in self.users.get(number, {}).values() for r in records)

    def protected(self, number: str) -> bool:
        """A victim's or a child's number: its saved names are withheld too."""
        return self.victim_number(number) or bool(set(self.users.get(number, {})) & self.children)

    def __call__(self, number: str) -> str:
        # Tokens are keyed by the person, as in the network's products, so one child has one
        # pseudonym everywhere.
        people = sorted(self.users.get(number, {}))
        if self.victim_number(number):
            return self.pseudonymiser.token("victim", people[0])
        if set(people) & self.children:
            return self.pseudonymiser.token("child", people[0])
        return ", ".join(people) or "-"

"""Who a search result or a profile may show only as a pseudonym, and how.

The rule is the chronology's (``timeline.privacy.protected_people``): a recorded victim, or a
child (under 18 at any of their events, or today). It is applied to each person's own events,
so a search shows a child exactly as the chronology, the network and `lantern risk` do: as
the keyed token ``[child 1a2b...]`` or ``[victim ...]``, never by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from lantern.graph.build import clusters
from lantern.security.pseudonymise import Pseudonymiser
from lantern.timeline.events import linked_events, store_events
from lantern.timeline.model import Timeline
from lantern.timeline.privacy import protected_people


def protected(conn: Connection, case_id: int, entities: Iterable[str]) -> dict[str, str]:
    """entity -> "victim" or "child", for those of ``entities`` that are either."""
    wanted = set(entities)
    if not wanted:
        return {}
    people = clusters(conn, case_id, "Person")
    events = store_events(conn, linked_events(conn, people.of(wanted)), people.entity_of)
    found = protected_people(conn, case_id, Timeline("", "people", sorted(wanted), [], events), people)
    return {e: kind for e, kind in found.items() if e in wanted}


@dataclass
class Labels:
    """How one view shows people and free text: children and victims as tokens, text scrubbed
    of victims' identifiers (``reveal``: as recorded, for a user allowed to see them)."""

    statuses: dict[str, str]  # entity -> victim | child
    pseudonymiser: Pseudonymiser | None  # None: revealed

    def hidden(self, entity: str) -> bool:
        return self.pseudonymiser is not None and entity in self.statuses

    def person(self, entity: str, name: str = "") -> str:
        """A person: the token if hidden, else their name (or their entity id)."""
        if self.pseudonymiser is not None and entity in self.statuses:
            return self.pseudonymiser.token(self.statuses[entity], entity)
        return name or entity

    def value(self, prop: str, value: str, hidden: bool) -> str:
        """An identifying value (a name, a phone, an address) of a hidden person: a token."""
        if hidden and self.pseudonymiser is not None:
            return self.pseudonymiser.token(prop, value)
        return self.scrub(value)

    def scrub(self, text: str) -> str:
        return (self.pseudonymiser.scrub(text) or "") if self.pseudonymiser is not None else text


def labels_for(conn: Connection, case_id: int, entities: Iterable[str], pseudonym_key: bytes,
               reveal: bool = False) -> Labels:
    pseudonymiser = None if reveal else Pseudonymiser.of(conn, case_id, pseudonym_key)
    return Labels(protected(conn, case_id, entities), pseudonymiser)


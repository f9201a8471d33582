"""What a search finds: one hit, with how it matched and the records behind it."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("person", "phone", "vehicle", "location", "text")
SHOWN_RECORDS = 20  # source records kept per hit (its count says how many there are)


@dataclass(frozen=True)
class Hit:
    kind: str  # one of KINDS
    id: str  # person entity id, phone number, VRM, postcode or address, or report record id
    label: str  # what the hit is: a name, a number, an address, a report's reference
    why: str  # how it matched: "name sounds like", "phone exact", "phrase"...
    score: float  # 0..1 within its kind; hits of a kind are ranked by it
    records: tuple[int, ...]  # the source records behind it (the first SHOWN_RECORDS)
    count: int  # how many records in all
    people: tuple[str, ...] = ()  # person entities tied to a phone, vehicle or place
    snippet: str = ""  # report text around the match (raw: scrub it before showing)

"""The network's parts: typed, evidenced ties between people, and the date window they hold in.

A tie's weight is what community detection and centralities read. It grows with the number
of occurrences with diminishing returns (the hundredth call adds less than the second), counts
night-time contact (22:00 to 06:00) more, and fades with age: a tie last seen a year before
the latest record in the network counts three quarters, two years before five eighths. The
constants are here, in one place, so a reviewer can see them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

# How strongly one occurrence of each tie type binds two people.
TYPE_WEIGHT = {"called": 1.0, "seen-with": 2.0, "co-accused": 3.0, "victim-suspect": 1.0,
               "mentioned-with": 1.0, "stopped-with": 2.0, "in-custody-with": 1.5,
               "shared-vehicle": 2.0, "shared-phone": 2.0, "shared-address": 1.0, "same-premises": 1.0,
               "associate": 2.0, "family": 1.0, "saved-contact": 2.0, "travelled-with": 2.0}
NIGHT_HOURS = frozenset((22, 23, 0, 1, 2, 3, 4, 5))
NIGHT_BONUS = 0.5  # an all-night tie weighs 1.5 times an all-day one
RECENCY_HALF_LIFE_DAYS = 365.0
EVIDENCE_SAMPLE = 20


def hour_of(when: str | None) -> int | None:
    """The hour of an ISO date-time, or None for a date alone."""
    if when and len(when) >= 13 and when[10] in "T ":
        try:
            return int(when[11:13])
        except ValueError:
            return None
    return None


def day_number(when: str | None) -> int | None:
    try:
        return date.fromisoformat(when[:10]).toordinal() if when else None
    except ValueError:
        return None


@dataclass
class Edge:
    a: str
    b: str
    type: str
    count: int = 0
    first: str | None = None
    last: str | None = None
    evidence: list[int] = field(default_factory=list)  # record ids, a sample of at most 20
    night: int = 0
    recency: float = 1.0  # set by Network.age_ties once the latest date is known

    def add(self, when: str | None, record: int) -> None:
        self.count += 1
        if when:
            self.first = min(self.first or when, when)
            self.last = max(self.last or when, when)
            if hour_of(when) in NIGHT_HOURS:
                self.night += 1
        if len(self.evidence) < EVIDENCE_SAMPLE and record not in self.evidence:
            self.evidence.append(record)

    def add_many(self, count: int, first: str | None, last: str | None, night: int, records: list[int]) -> None:
        """``count`` occurrences summed elsewhere (e.g. by DuckDB over bulk CDRs)."""
        self.count += count
        self.night += night
        for when in (first, last):
            if when:
                self.first = min(self.first or when, when)
                self.last = max(self.last or when, when)
        for record in records:
            if len(self.evidence) < EVIDENCE_SAMPLE and record not in self.evidence:
                self.evidence.append(record)

    @property
    def weight(self) -> float:
        if not self.count:
            return 0.0
        night_share = self.night / self.count
        return (TYPE_WEIGHT[self.type] * (1.0 + math.log2(self.count)) * (1.0 + NIGHT_BONUS * night_share)
                * self.recency)


def children_among(born: dict[str, int], ties: Iterable[tuple[str, str, str | None]]) -> set[str]:
    """People still under 18 (by year of birth) at the date of their latest dated tie: children
    throughout what the network shows of them. ``ties`` are (person, person, last date)."""
    latest: dict[str, int] = {}
    for a, b, last in ties:
        if last and last[:4].isdigit():
            year = int(last[:4])
            for person in (a, b):
                latest[person] = max(latest.get(person, year), year)
    return {p for p, year in latest.items() if p in born and year - born[p] < 18}


def tie_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class Window:
    """The network as it stood between two dates (ISO; either end may be open)."""

    start: str | None = None
    end: str | None = None

    @property
    def open(self) -> bool:
        return self.start is None and self.end is None

    def holds(self, when: str | None) -> bool:
        if self.open:
            return True
        if not when:
            return False  # an undated association cannot be placed inside the window
        day = when[:10]
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass
class Network:
    people: dict[str, str]  # entity id -> a display name
    edges: dict[tuple[str, str, str], Edge]
    # What the structure alone cannot say: the vehicles and premises each person is tied to
    # (entity id -> {object entity id: label}) and who is recorded as a victim anywhere.
    vehicles: dict[str, dict[str, str]] = field(default_factory=dict)
    premises: dict[str, dict[str, str]] = field(default_factory=dict)
    victims: set[str] = field(default_factory=set)
    # Year of birth (from the records' dates of birth, where any): says who is a child, for
    # roles a child cannot hold (organiser, driver). Age is not a protected characteristic here.
    born: dict[str, int] = field(default_factory=dict)

    def children(self) -> set[str]:
        return children_among(self.born, ((e.a, e.b, e.last) for e in self.edges.values()))

    def tie(self, a: str, b: str, kind: str) -> Edge:
        key = tie_key(a, b)
        return self.edges.setdefault((*key, kind), Edge(*key, kind))

    def age_ties(self) -> None:
        """Fade each dated tie by the time from its last date to the latest date in the network."""
        latest = max((d for e in self.edges.values() if (d := day_number(e.last)) is not None), default=None)
        if latest is None:
            return
        for edge in self.edges.values():
            last = day_number(edge.last)
            if last is not None:
                edge.recency = 0.5 + 0.5 * 2 ** (-(latest - last) / RECENCY_HALF_LIFE_DAYS)

    def person_weights(self, leave_out: frozenset[str] = frozenset()) -> dict[tuple[str, str], float]:
        combined: dict[tuple[str, str], float] = defaultdict(float)
        for edge in self.edges.values():
            if edge.type not in leave_out:
                combined[(edge.a, edge.b)] += edge.weight
        return dict(combined)

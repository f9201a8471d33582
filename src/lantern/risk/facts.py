"""What the scorer reads: plain, in-memory facts about a case, already free of the store.

The store reader (:mod:`lantern.risk.read`) fills these from one case; the benchmark builds
them synthetically at scale. No field here can hold a protected characteristic: the scorer
cannot read what it is never given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

# Roles in a network group that are not the group's adults (see lantern.graph.groups).
NOT_ADULT_ROLES = frozenset({"victim", "child"})


def normalise_place(text: str) -> str:
    """Lower case, single spaces, no punctuation but commas: for matching a found location."""
    words = re.sub(r"[^\w,]+", " ", text.casefold())
    return ", ".join(" ".join(part.split()) for part in words.split(",") if part.strip())


def parse_when(value: str | None) -> datetime | None:
    """An ISO date or date-time from the store, or None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:19])
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None


def years_between(born: date, when: date) -> int:
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


@dataclass(frozen=True)
class Episode:
    """One missing episode: when the child went, when found, and where."""

    record: int
    start: datetime | None
    end: datetime | None
    found: str | None


@dataclass
class Tie:
    """Everything the stored network holds between one person and another."""

    other: str
    counts: dict[str, int] = field(default_factory=dict)  # tie type -> occurrences
    weights: dict[str, float] = field(default_factory=dict)  # tie type -> the network's weight
    last: str | None = None
    evidence: dict[str, list[int]] = field(default_factory=dict)  # tie type -> records behind it

    def kinds(self, leave_out: frozenset[str]) -> list[str]:
        return sorted(t for t in self.counts if t not in leave_out)

    def weight(self, leave_out: frozenset[str]) -> float:
        return sum(w for t, w in self.weights.items() if t not in leave_out)

    def records(self, leave_out: frozenset[str]) -> list[int]:
        return sorted({r for t in self.kinds(leave_out) for r in self.evidence.get(t, [])})

    def described(self, leave_out: frozenset[str]) -> str:
        return ", ".join(f"{t} x{self.counts[t]}" for t in self.kinds(leave_out))


@dataclass(frozen=True)
class Member:
    group: str
    role: str


@dataclass(frozen=True)
class Premises:
    """A place where two or more adults of one group were seen."""

    label: str
    groups: tuple[str, ...]
    records: tuple[int, ...]  # the sightings or crimes that put the group's adults there
    match: tuple[str, ...]  # normalised texts (address, name with address) a found location may hold


@dataclass
class Age:
    """How old a person is known to be: a date of birth, or an age stated on a record."""

    born: date | None = None
    born_record: int | None = None
    stated: int | None = None  # an age stated on a record when no date of birth is known
    stated_record: int | None = None
    stated_on: date | None = None


@dataclass
class CaseFacts:
    reference: date  # the latest date in the evidence: "recent" is measured back from it
    ages: dict[str, Age] = field(default_factory=dict)
    dates: dict[str, list[date]] = field(default_factory=dict)  # person -> dates of their evidence
    episodes: dict[str, list[Episode]] = field(default_factory=dict)
    ties: dict[str, dict[str, Tie]] = field(default_factory=dict)  # person -> other -> tie
    suspect_in: dict[str, list[int]] = field(default_factory=dict)  # person -> crime records
    # person -> (crime record, its suspects): named as the victim of a crime
    victim_in: dict[str, list[tuple[int, tuple[str, ...]]]] = field(default_factory=dict)
    membership: dict[str, Member] = field(default_factory=dict)
    organised: set[str] = field(default_factory=set)  # groups meeting the organised-network definition
    premises: dict[str, Premises] = field(default_factory=dict)  # place entity -> premises of concern
    visits: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # person -> (place, record)
    records: dict[str, set[int]] = field(default_factory=dict)  # person -> their records and events'
    offences: dict[int, str] = field(default_factory=dict)  # crime record -> offence, where recorded

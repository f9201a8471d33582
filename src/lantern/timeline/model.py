"""What a chronology is made of: dated events, each with its people, sources and records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# Event kinds in the order a chronology's picture stacks them (top to bottom).
KINDS = ("crime", "intelligence", "missing", "custody", "stop", "sighting", "anpr", "referral", "calls",
         "messages")


@dataclass(frozen=True)
class Source:
    """Where one record came from: the file, its row and the id it has in its own system."""

    file: str
    row: int
    source_record_id: str | None

    def describe(self) -> str:
        own = f" ({self.source_record_id})" if self.source_record_id else ""
        return f"{self.file} row {self.row}{own}"


@dataclass(frozen=True)
class Involved:
    """A person in an event and how the records put them there (suspect, victim, caller...)."""

    entity: str
    role: str


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime | None  # None: the records give no usable date
    until: datetime | None  # the end of a range (a missing episode), else None
    kind: str
    summary: str  # structured facts only: never free text, which may name a child
    people: tuple[Involved, ...]
    sources: tuple[Source, ...]
    records: tuple[int, ...]
    reference: str | None = None  # the event's own reference (crime number, episode ref...)
    grading: str | None = None

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """Whether the event (or any day of its range) falls between start and end, inclusive."""
        if start is None and end is None:
            return True
        if self.when is None:
            return False  # an undated event cannot be placed inside a period
        last = (self.until or self.when).date()
        return (start is None or last >= start) and (end is None or self.when.date() <= end)

    def sort_key(self) -> tuple[bool, datetime, str, tuple[int, ...]]:
        return (self.when is None, self.when or datetime.max, self.kind, self.records)


@dataclass
class Timeline:
    subject: str  # as asked for: P7307, G001 or a phone number in E.164 form
    subject_kind: str  # person | group | phone
    entities: list[str]  # the people the chronology is about (a group's members)
    numbers: list[str]  # their phone numbers (the phone itself, for a phone)
    events: list[TimelineEvent] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    kinds: set[str] | None = None

    def people(self) -> set[str]:
        """Everyone named in any event, and the subject's own people."""
        return set(self.entities) | {p.entity for e in self.events for p in e.people}

    def span(self) -> tuple[datetime, datetime] | None:
        ranges = [(e.when, e.until or e.when) for e in self.events if e.when is not None]
        if not ranges:
            return None
        return min(a for a, _ in ranges), max(b for _, b in ranges)

"""What a case review reads from the store, loaded once: crimes as the cases a force holds,
the people on them (as records and as resolved entities), and the forces they come from.

A crime export writes one row per named suspect, so one crime is several Crime records with
the same id in its source system; here they are gathered into one :class:`CrimeFile` keyed
by (namespace, source id), the way a reviewer reads the force's file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from lantern.graph.build import entities_of
from lantern.store import tables
from lantern.store.chunks import in_chunks, unindexed

r, s, lk, src = tables.records, tables.statements, tables.links, tables.sources

# Outcomes that close a crime without a charge: the ones a review asks "why not?" of.
NFA_OUTCOMES = frozenset({"no_further_action", "evidential_difficulties", "not_in_public_interest"})
CHARGED_OUTCOMES = frozenset({"charged", "summonsed"})
# Records that show a suspect was dealt with (arrested, stopped, or named in a later crime).
ACTION_SCHEMAS = ("Custody", "Stop", "Crime")
CRIME_PROPS = ("reference", "outcome", "status", "date", "reported_date", "outcome_date", "force", "offence")


@dataclass
class CrimeFile:
    """One crime as its force holds it: every row-record of it, its people and places."""

    key: tuple[str, str]  # (namespace, reference)
    reference: str
    force: str
    source_file: str
    records: list[int] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    suspects: list[int] = field(default_factory=list)  # person record ids, in row order
    victims: list[int] = field(default_factory=list)
    places: list[int] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.values.get("outcome", "")

    @property
    def closed(self) -> bool:
        return self.values.get("status") == "closed" or (bool(self.outcome) and self.outcome != "ongoing")

    @property
    def day(self) -> str:
        return (self.values.get("date") or self.values.get("reported_date") or "")[:10]


@dataclass
class ReviewFacts:
    """Everything the checklist, the reopen leads and the force rates read."""

    crimes: list[CrimeFile]
    person_of: dict[int, str]  # person record id -> resolved entity id (record id if unresolved)
    values: dict[int, dict[str, str]]  # person record id -> its first value per property
    force_of_source: dict[int, str]
    person_keys: dict[int, tuple[int, str, str]]  # person record -> (source, namespace, id in its system)
    crime_of: dict[int, CrimeFile]  # crime record id -> its file

    def entity(self, record: int) -> str:
        return self.person_of.get(record, f"record:{record}")


def values_of(conn: Connection, records: Iterable[int], props: Iterable[str],
              originals: bool = False) -> dict[int, dict[str, str]]:
    """record -> {prop: first cleaned value}, in chunks that stay under parameter limits.

    With ``originals``, a value that was written but could not be cleaned ("about 15") counts
    too, as written: what matters for a recording rate is that the force recorded it."""
    props = list(props)
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for chunk in in_chunks(records):
        for record, prop, value, original in conn.execute(
                select(s.c.record_id, s.c.prop, s.c.value, s.c.original)
                .where(s.c.record_id.in_(chunk), unindexed(s.c.prop).in_(props))
                .order_by(s.c.id)):
            given = value if value is not None else original if originals else None
            if given is not None and given.strip():
                out[int(record)].setdefault(prop, given)
    return out


def forces_of_sources(conn: Connection, case_id: int) -> dict[int, str]:
    """source id -> the force its records name (the `force` value most of them carry), else the
    namespace's first two parts (synth.force-a.crime -> synth.force-a), else the file name."""
    named: dict[int, Counter[str]] = defaultdict(Counter)
    for source_id, value, n in conn.execute(
            select(r.c.source_id, s.c.value, func.count()).join(s, s.c.record_id == r.c.id)
            .where(r.c.case_id == case_id, s.c.prop == "force", s.c.value.is_not(None))
            .group_by(r.c.source_id, s.c.value)):
        named[int(source_id)][value] += int(n)
    out: dict[int, str] = {}
    for source_id, file_name, namespace in conn.execute(
            select(src.c.id, src.c.file_name, func.min(r.c.namespace)).join(r, r.c.source_id == src.c.id, isouter=True)
            .where(src.c.case_id == case_id).group_by(src.c.id, src.c.file_name)):
        if named.get(int(source_id)):
            out[int(source_id)] = named[int(source_id)].most_common(1)[0][0]
        elif namespace and namespace.count(".") >= 2:
            out[int(source_id)] = ".".join(namespace.split(".")[:2])
        else:
            out[int(source_id)] = namespace or file_name
    return out


def load_facts(conn: Connection, case_id: int) -> ReviewFacts:
    """The case's crimes with their suspects, victims and places, and the people's values."""
    crime_rows = conn.execute(
        select(r.c.id, r.c.namespace, r.c.source_record_id, r.c.source_id, src.c.file_name)
        .join(src, src.c.id == r.c.source_id)
        .where(r.c.case_id == case_id, r.c.schema == "Crime").order_by(r.c.id)).all()
    force_of_source = forces_of_sources(conn, case_id)
    files: dict[tuple[str, str], CrimeFile] = {}
    file_of: dict[int, CrimeFile] = {}
    crime_values = values_of(conn, (row.id for row in crime_rows), CRIME_PROPS)
    for row in crime_rows:
        reference = row.source_record_id or crime_values[int(row.id)].get("reference") or f"record:{row.id}"
        key = (row.namespace, reference)
        found = files.get(key)
        if found is None:
            found = files[key] = CrimeFile(key, reference, force_of_source.get(int(row.source_id), row.namespace),
                                           row.file_name)
        found.records.append(int(row.id))
        for prop, value in crime_values[int(row.id)].items():
            found.values.setdefault(prop, value)
        file_of[int(row.id)] = found
    people: set[int] = set()
    for from_id, to_id, kind in conn.execute(
            select(lk.c.from_record_id, lk.c.to_record_id, lk.c.type)
            .where(lk.c.case_id == case_id, lk.c.type.in_(("suspect-in", "victim-in", "occurred-at")))
            .order_by(lk.c.id)):
        if kind == "occurred-at":
            if int(from_id) in file_of:
                file_of[int(from_id)].places.append(int(to_id))
            continue
        crime = file_of.get(int(to_id))
        if crime is None:
            continue
        (crime.suspects if kind == "suspect-in" else crime.victims).append(int(from_id))
        people.add(int(from_id))
    person_of = entities_of(conn, case_id, "Person")
    values = values_of(conn, people, ("dob", "age", "ethnicity", "nationality"), originals=True)
    person_keys = {int(row.id): (int(row.source_id), row.namespace, row.source_record_id or f"record:{row.id}")
                   for row in conn.execute(select(r.c.id, r.c.source_id, r.c.namespace, r.c.source_record_id)
                                           .where(r.c.case_id == case_id, r.c.schema == "Person"))}
    return ReviewFacts(list(files.values()), person_of, values, force_of_source, person_keys, file_of)


@dataclass(frozen=True)
class PersonEvent:
    """A person named on an event: who (their record), how (the link) and the event."""

    person_record: int
    link: str  # suspect-in | subject-of | victim-in | reported-missing
    event: int
    schema: str
    day: str  # YYYY-MM-DD, or '' when the event is undated
    reference: str


def person_events(conn: Connection, case_id: int, person_of: dict[int, str]) -> dict[str, list[PersonEvent]]:
    """entity -> every event any of its records is named on, oldest first (undated last)."""
    event = r.alias("event")
    rows = conn.execute(
        select(lk.c.from_record_id, lk.c.type, lk.c.to_record_id, event.c.schema)
        .join(event, event.c.id == lk.c.to_record_id)
        .where(lk.c.case_id == case_id,
               lk.c.type.in_(("suspect-in", "subject-of", "victim-in", "reported-missing")))).all()
    dates = values_of(conn, (int(row.to_record_id) for row in rows), ("date", "reference"))
    out: dict[str, list[PersonEvent]] = defaultdict(list)
    for row in rows:
        entity = person_of.get(int(row.from_record_id), f"record:{row.from_record_id}")
        out[entity].append(PersonEvent(int(row.from_record_id), row.type, int(row.to_record_id), row.schema,
                                       dates.get(int(row.to_record_id), {}).get("date", "")[:10],
                                       dates.get(int(row.to_record_id), {}).get("reference", f"record:{row.to_record_id}")))
    for found in out.values():
        found.sort(key=lambda e: (e.day == "", e.day, e.event))
    return out


def concern_mentions(conn: Connection, case_id: int) -> dict[int, list[tuple[str, str]]] | None:
    """record -> [(words as written, concern id)] from the latest text run; None if no run yet."""
    runs, m = tables.text_runs, tables.text_mentions
    run = conn.scalar(select(func.max(runs.c.id)).where(runs.c.case_id == case_id))
    if run is None:
        return None
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for record, value, concern in conn.execute(
            select(m.c.record_id, m.c.value, m.c.indicator_id)
            .where(m.c.run_id == run, m.c.kind == "concern", m.c.negated.is_(False))
            .order_by(m.c.record_id, m.c.span_start)):
        out[int(record)].append((value, concern or ""))
    return dict(out)

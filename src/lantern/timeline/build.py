"""`build_timeline`: every event about a person, a group or a phone, in time order."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from lantern.comms.callstore import CallStore
from lantern.comms.frame import CommsFrame
from lantern.errors import LanternError
from lantern.graph.build import clusters
from lantern.store import tables
from lantern.timeline.comms import daily_comms
from lantern.timeline.events import KIND_OF, anpr_reads, linked_events, store_events, vehicles_of
from lantern.timeline.model import KINDS, Involved, Timeline, TimelineEvent
from lantern.timeline.subject import phone_numbers, resolve_subject


def check_kinds(kinds: set[str] | None) -> None:
    if kinds and (unknown := sorted(kinds - set(KINDS))):
        raise LanternError(f"unknown event kind {', '.join(map(repr, unknown))}; kinds are: {', '.join(KINDS)}")


def _number_in_store(conn: Connection, case_id: int, number: str) -> bool:
    r, s = tables.records, tables.statements
    return conn.scalar(select(s.c.id).join(r, r.c.id == s.c.record_id).where(
        r.c.case_id == case_id, s.c.value == number,
        s.c.prop.in_(["phone", "number", "a_number", "b_number", "target", "other_number", "sender",
                      "recipient"])).limit(1)) is not None


def build_timeline(conn: Connection, case_id: int, subject: str, *, start: date | None = None,
                   end: date | None = None, kinds: set[str] | None = None,
                   bulk: CallStore | None = None, frame: CommsFrame | None = None,
                   users: dict[str, set[str]] | None = None) -> Timeline:
    """The chronology of ``subject``: a person entity id (P7307), a group of the latest network
    (G001: its members' events merged, each event once) or a phone number in any written form.

    ``start``/``end`` keep events overlapping that period (inclusive); ``kinds`` keeps those
    kinds (see KINDS). ``bulk``: the case's bulk CDRs (``lantern calls load``), if any;
    ``frame``: the case's calls already loaded (``load_frame``), and ``users``: who uses which
    number (``phone_numbers`` over every person), both for many chronologies at once.
    """
    check_kinds(kinds)
    if start and end and start > end:
        raise LanternError(f"the period starts ({start}) after it ends ({end})")
    found = resolve_subject(conn, case_id, subject)
    entity_of = clusters(conn, case_id, "Person").entity_of
    wanted = kinds if kinds else set(KINDS)
    # Who uses which number (a pass over every person's phones) matters only for calls and
    # messages, or when the subject is itself a number.
    needs_users = bool(wanted & {"calls", "messages"}) or found.kind == "phone"
    if users is None:
        users = phone_numbers(conn, entity_of) if needs_users else {}
    events: list[TimelineEvent] = []
    if found.person_records:
        linked = linked_events(conn, found.person_records)
        extra: dict[int, list[Involved]] = {}
        if "anpr" in wanted:
            vrms = vehicles_of(conn, found.person_records, linked)
            for read, vrm in anpr_reads(conn, case_id, vrms).items():
                linked.setdefault(read, "AnprRead")
                extra[read] = [Involved(p, f"tied to vehicle {vrm}") for p in sorted(vrms[vrm])]
        keep = {r: schema for r, schema in linked.items() if KIND_OF[schema] in wanted}
        events += store_events(conn, keep, entity_of, extra)
    if wanted & {"calls", "messages"}:
        events += [e for e in daily_comms(conn, case_id, found.numbers, users, bulk, frame) if e.kind in wanted]
    # A phone with nothing in the period or kinds asked for still exists; an unknown one does not.
    if found.kind == "phone" and not events and not _number_in_store(conn, case_id, found.asked) \
            and found.asked not in users:
        raise LanternError(f"no calls, messages or records with the number {found.asked} in this case")
    events = sorted((e for e in events if e.overlaps(start, end)), key=lambda e: e.sort_key())
    entities = list(found.entities) or sorted(users.get(found.asked, ()))
    return Timeline(found.asked, found.kind, entities, list(found.numbers), events, start, end, kinds)

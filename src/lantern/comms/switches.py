"""Likely handset and SIM changes: how a suspect's "new" phone is found.

Three signs, strongest first, each with the overlap of contacts before and after:
  handset - one number (and SIM) seen in a new handset (IMEI) in its own CDR rows;
  sim     - one handset seen with a new SIM (IMSI) and a new number;
  contacts - a number falls silent and, within 30 days, a new number starts that rings the
             same people (contact overlap, Jaccard, at least 0.3 over at least 3 contacts;
             numbers in contact with more than 50 people are not counted as shared contacts).
Only a target's own CDR rows say which handset and SIM made a call, so the first two signs
need the number to be a target; the third needs only calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lantern.comms.frame import CommsFrame

QUIET_DAYS = 30
MIN_OVERLAP = 0.3
MIN_CONTACTS = 3
# A number in contact with more people than this (a takeaway, a taxi firm, a bank) says
# nothing about whose phone replaced whose: left out of contact successions.
MAX_CONTACT_REACH = 50


@dataclass(frozen=True)
class Switch:
    kind: str  # handset | sim | contacts
    old_number: str
    new_number: str
    when: datetime
    old_device: str | None  # IMEI (handset) or IMSI (sim)
    new_device: str | None
    overlap: float  # Jaccard of the contacts before and after
    shared: int  # contacts in common
    records: list[int]  # the first rows showing the new handset, SIM or number
    handset: str | None = None  # the IMEI a SIM change happened in

    @property
    def reason(self) -> str:
        if self.kind == "handset":
            what = f"{self.old_number} moved from handset {self.old_device} to {self.new_device}"
        elif self.kind == "sim":
            what = (f"handset {self.handset} took SIM {self.new_device} (number {self.new_number}) in place of "
                    f"{self.old_device} ({self.old_number})")
        else:
            what = f"{self.old_number} fell silent and {self.new_number} started ringing the same people"
        return f"{what} on {self.when:%Y-%m-%d}; {self.shared} contacts in common (overlap {self.overlap:.2f})"


def _contacts(frame: CommsFrame, number: str, before: datetime | None = None,
              after: datetime | None = None) -> set[str]:
    rows = frame.rows("""
        SELECT DISTINCT CASE WHEN a = ? THEN b ELSE a END FROM calls
        WHERE (a = ? OR b = ?) AND (? IS NULL OR "at" < ?) AND (? IS NULL OR "at" >= ?)""",
                      [number, number, number, before, before, after, after])
    return {r[0] for r in rows}


def _overlap(old: set[str], new: set[str]) -> tuple[float, int]:
    shared = len(old & new)
    return (shared / len(old | new) if old | new else 0.0), shared


def _device_changes(frame: CommsFrame, group: str, device: str, kind: str) -> list[Switch]:
    """Within each ``group`` (a number, or a handset), each ``device`` after the first."""
    rows = frame.rows(f"""
        WITH firsts AS (SELECT {group} AS g, {device} AS d, target, min("at") AS since,
                               arg_min(record_id, "at") AS record
                        FROM observations WHERE {device} IS NOT NULL AND {group} IS NOT NULL
                        GROUP BY {group}, {device}, target)
        SELECT g, d, target, since, record,
               lag(d) OVER (PARTITION BY g ORDER BY since), lag(target) OVER (PARTITION BY g ORDER BY since)
        FROM firsts ORDER BY g, since""")  # noqa: S608 - column names are fixed by the callers
    found = []
    for group_value, new_device, new_number, since, record, old_device, old_number in rows:
        if old_device is None or old_device == new_device:
            continue
        if kind == "sim" and old_number == new_number:
            continue  # a new SIM for the same number is a replacement card, not a new phone
        overlap, shared = _overlap(_contacts(frame, old_number, before=since), _contacts(frame, new_number, after=since))
        found.append(Switch(kind, old_number, new_number, since, old_device, new_device, overlap, shared,
                            [int(record)], group_value if kind == "sim" else None))
    return found


def _contact_successions(frame: CommsFrame, known: set[tuple[str, str]]) -> list[Switch]:
    """A number that falls silent, and a new one that starts within QUIET_DAYS ringing the
    same people. Candidates come from shared contacts, so this is not every pair of numbers."""
    # Narrow before pairing: only numbers that fell silent, and only the contacts of theirs
    # that few people ring.
    rows = frame.rows("""
        WITH ends AS (SELECT a AS n, b AS other, "at" FROM calls UNION ALL SELECT b, a, "at" FROM calls),
        span AS (SELECT n, min("at") AS first, max("at") AS last FROM ends GROUP BY n),
        silent AS (SELECT n, first, last FROM span
                   WHERE last < (SELECT max("at") FROM calls) - to_days(CAST(? AS BIGINT))),
        narrow AS (SELECT n AS other FROM ends GROUP BY n HAVING count(DISTINCT other) <= ?),
        old_contacts AS (SELECT DISTINCT e.n AS old, e.other, s.first AS old_first, s.last AS old_last
                         FROM ends e JOIN silent s ON s.n = e.n JOIN narrow USING (other)),
        pairs AS (SELECT oc.old, e.n AS new, count(DISTINCT oc.other) AS shared
                  FROM old_contacts oc JOIN (SELECT DISTINCT n, other FROM ends) e
                       ON e.other = oc.other AND e.n <> oc.old
                  GROUP BY oc.old, e.n HAVING count(DISTINCT oc.other) >= ?)
        SELECT p.old, p.new, w.first, p.shared
        FROM pairs p JOIN silent o ON o.n = p.old JOIN span w ON w.n = p.new
        WHERE w.first > o.last - to_days(CAST(? AS BIGINT)) AND w.first <= o.last + to_days(CAST(? AS BIGINT))
          AND w.first > o.first""", [QUIET_DAYS, MAX_CONTACT_REACH, MIN_CONTACTS, QUIET_DAYS, QUIET_DAYS])
    found = []
    for old, new, since, _ in rows:
        if (old, new) in known or old == new:
            continue
        overlap, shared = _overlap(_contacts(frame, old, before=since), _contacts(frame, new, after=since))
        if overlap >= MIN_OVERLAP and shared >= MIN_CONTACTS:
            first = frame.rows("""SELECT records[1] FROM calls WHERE a = ? OR b = ? ORDER BY "at" LIMIT 1""",
                               [new, new])
            found.append(Switch("contacts", old, new, since, None, None, overlap, shared,
                                [int(first[0][0])] if first else []))
    return found


def likely_switches(frame: CommsFrame) -> list[Switch]:
    """Every likely handset or SIM change, strongest signs first, then by date."""
    found = _device_changes(frame, "target", "imei", "handset") + _device_changes(frame, "imei", "imsi", "sim")
    known = {(s.old_number, s.new_number) for s in found}
    found += _contact_successions(frame, known)
    order = {"handset": 0, "sim": 1, "contacts": 2}
    return sorted(found, key=lambda s: (order[s.kind], s.when, s.old_number))

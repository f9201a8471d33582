"""Phone analysis over the comms frame: who a number talks to, who several numbers have in
common, contact chains, and when a number is active.

Every row keeps the record ids behind it (a sample of up to 10), so an analyst can open the
call records themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lantern.comms.frame import CommsFrame
from lantern.errors import LanternError
from lantern.model.types import CleanOptions, property_type

EVIDENCE = 10


def clean_number(raw: str) -> str:
    """A number as typed by an analyst (07700 900123, +44...) in the store's E.164 form."""
    cleaned = property_type("phone").clean(raw, CleanOptions())
    if cleaned.value is None:
        raise LanternError(f"{raw!r} is not a phone number: {cleaned.error}")
    return cleaned.value


@dataclass(frozen=True)
class Contact:
    number: str
    calls: int
    messages: int
    seconds: float
    first: datetime
    last: datetime
    records: list[int]


def top_contacts(frame: CommsFrame, number: str, limit: int = 20) -> list[Contact]:
    rows = frame.rows("""
        WITH mine AS (SELECT CASE WHEN a = ? THEN b ELSE a END AS other, kind, duration, "at", records
                      FROM calls WHERE a = ? OR b = ?)
        SELECT other, count(*) FILTER (WHERE kind <> 'message' AND kind <> 'sms'),
               count(*) FILTER (WHERE kind = 'message' OR kind = 'sms'), coalesce(sum(duration), 0),
               min("at"), max("at"), list(records[1] ORDER BY "at" DESC)[1:?]
        FROM mine GROUP BY other ORDER BY count(*) DESC, sum(duration) DESC NULLS LAST, other LIMIT ?""",
                      [number, number, number, EVIDENCE, limit])
    return [Contact(row[0], int(row[1]), int(row[2]), float(row[3]), row[4], row[5], list(row[6])) for row in rows]


@dataclass(frozen=True)
class CommonContact:
    number: str
    shared_by: list[str]  # which of the given numbers were in contact with it
    contacts: int  # calls and messages with all of them together
    first: datetime
    last: datetime
    records: list[int]


def common_contacts(frame: CommsFrame, numbers: list[str], minimum: int = 2, limit: int = 50,
                    ) -> list[CommonContact]:
    """Numbers in contact with at least ``minimum`` of ``numbers`` (excluding those numbers),
    those shared by the most first: six girls who all ring the same two numbers."""
    if len(set(numbers)) < 2:
        raise LanternError("common contacts need at least two numbers")
    rows = frame.rows("""
        WITH given AS (SELECT unnest(?::VARCHAR[]) AS n),
        pairs AS (SELECT a AS mine, b AS other, "at", records FROM calls WHERE a IN (SELECT n FROM given)
                  UNION ALL
                  SELECT b, a, "at", records FROM calls WHERE b IN (SELECT n FROM given))
        SELECT other, list(DISTINCT mine ORDER BY mine), count(*), min("at"), max("at"),
               list(records[1] ORDER BY "at" DESC)[1:?]
        FROM pairs WHERE other NOT IN (SELECT n FROM given)
        GROUP BY other HAVING count(DISTINCT mine) >= ?
        ORDER BY count(DISTINCT mine) DESC, count(*) DESC, other LIMIT ?""",
                      [sorted(set(numbers)), EVIDENCE, minimum, limit])
    return [CommonContact(row[0], list(row[1]), row[2], row[3], row[4], list(row[5])) for row in rows]


@dataclass(frozen=True)
class Chain:
    a: str
    b: str
    c: str
    first_at: datetime
    second_at: datetime
    records: tuple[int, int]


def chains(frame: CommsFrame, number: str, minutes: int = 30, limit: int = 50) -> list[Chain]:
    """A calls B, then B calls C within ``minutes`` (C is not A): instructions passed on."""
    rows = frame.rows("""
        SELECT c1.a, c1.b, c2.b, c1."at", c2."at", c1.records[1], c2.records[1]
        FROM calls c1 JOIN calls c2 ON c2.a = c1.b AND c2.b <> c1.a
             AND c2."at" > c1."at" AND c2."at" <= c1."at" + to_minutes(CAST(? AS BIGINT))
        WHERE c1.a = ? ORDER BY c1."at", c2."at" LIMIT ?""", [minutes, number, limit])
    return [Chain(a, b, c, t1, t2, (int(r1), int(r2))) for a, b, c, t1, t2, r1, r2 in rows]


def activity(frame: CommsFrame, number: str) -> list[list[int]]:
    """Calls and messages by weekday (0 = Monday) and hour: a 7 x 24 grid."""
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, n in frame.rows("""
            SELECT isodow("at") - 1, hour("at"), count(*) FROM calls WHERE a = ? OR b = ? GROUP BY 1, 2""",
                                       [number, number]):
        grid[int(weekday)][int(hour)] = int(n)
    return grid

"""Calls and messages summarised per day: how many, with which numbers, the first and last time.

A chronology with one line per call is unreadable (a target's CDR runs to thousands of rows);
one line a day per kind keeps the pattern and every record id behind it. Calls come from the
comms frame, one row per call however many providers' CDRs and seized phones gave it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from lantern.comms.callstore import CallStore
from lantern.comms.frame import CommsFrame, load_frame
from lantern.timeline.model import Involved, TimelineEvent
from lantern.timeline.provenance import record_sources

SHOWN_NUMBERS = 5

# SMS and MMS in a CDR are messages, as app messages from a seized phone are.

DAILY = """
    WITH given AS (SELECT unnest(?::VARCHAR[]) AS n),
    mine AS (SELECT CAST("at" AS DATE) AS day, kind IN ('message', 'sms', 'mms') AS is_message, "at", a, b, records,
                    CASE WHEN a IN (SELECT n FROM given) THEN b ELSE a END AS other
             FROM calls WHERE a IN (SELECT n FROM given) OR b IN (SELECT n FROM given))
    SELECT day, is_message, count(*), list(DISTINCT other ORDER BY other), min("at"), max("at"),
           list_sort(list_distinct(flatten(list(records)))),
           list_distinct(list(a) || list(b))
    FROM mine GROUP BY day, is_message ORDER BY day, is_message"""


def daily_comms(conn: Connection, case_id: int, numbers: Sequence[str], users: dict[str, set[str]],
                bulk: CallStore | None = None, frame: CommsFrame | None = None) -> list[TimelineEvent]:
    """One event per day and kind (calls, messages) in which any of ``numbers`` took part.

    ``users`` maps a number to the people whose records give it: the people in each day's line.
    The calls are read from ``frame`` where given, else loaded for this one call.
    """
    if not numbers:
        return []
    if frame is None:
        with load_frame(conn, case_id, only=("calls",), bulk=bulk) as loaded:
            rows = loaded.rows(DAILY, [sorted(set(numbers))])
    else:
        rows = frame.rows(DAILY, [sorted(set(numbers))])
    sources = record_sources(conn, (r for row in rows for r in row[6]))
    given = set(numbers)
    out = []
    for _day, is_message, count, others, first, last, records, parties in rows:
        kind = "messages" if is_message else "calls"
        noun = ("message" if is_message else "call") + ("" if count == 1 else "s")
        shown = ", ".join(others[:SHOWN_NUMBERS]) + (f" and {len(others) - SHOWN_NUMBERS} more"
                                                     if len(others) > SHOWN_NUMBERS else "")
        numbers_word = "number" if len(others) == 1 else "numbers"
        times = first.strftime("%H:%M") if count == 1 else f"first {first:%H:%M}, last {last:%H:%M}"
        people = [Involved(p, "party") for n in sorted(given & set(parties)) for p in sorted(users.get(n, ()))]
        people += [Involved(p, "other party") for n in others for p in sorted(users.get(n, ()))]
        out.append(TimelineEvent(
            when=first, until=None, kind=kind,
            summary=f"{count} {noun} with {len(others)} {numbers_word} ({shown}); {times}",
            people=tuple(dict.fromkeys(people)), sources=tuple(sources[r] for r in records if r in sources),
            records=tuple(int(r) for r in records)))
    return out

"""Dates and times in text, relative ones ("yesterday", "last night", "on Friday", "3 days ago")
resolved against the record's own date. The normalised value is ISO 8601 (a date, or a
date and time); a relative phrase with no record date keeps the phrase itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from lantern.text.model import Mention

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "a": 1, "an": 1}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_TIME = r"(?:(?:at|around|about)\s+)?(?P<hh>[01]?\d|2[0-3])[:.](?P<mm>[0-5]\d)(?:\s*hrs|\s*hours)?"
PATTERNS = (
    ("numeric", re.compile(r"\b(?P<d>[0-3]?\d)[/.-](?P<m>[01]?\d)[/.-](?P<y>(?:19|20)\d\d|\d\d)\b")),
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    ("written", re.compile(rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\s+(?P<y>(?:19|20)\d\d)\b",
                           re.IGNORECASE)),
    ("relative", re.compile(
        r"\b(?:(?P<today>today|this (?:morning|afternoon|evening))|(?P<yest>yesterday(?: (?:morning|afternoon|evening))?)|"
        r"(?P<lastnight>last night)|(?P<tonight>tonight)|"
        r"(?P<ago>(?P<n>\d{1,3}|one|two|three|four|five|six|seven|a|an) (?P<unit>days?|weeks?) ago)|"
        r"(?:(?P<onlast>on|last) (?P<dow>monday|tuesday|wednesday|thursday|friday|saturday|sunday)))\b",
        re.IGNORECASE)),
    ("time", re.compile(rf"\b{_TIME}\b", re.IGNORECASE)),
)


def _absolute(kind: str, m: re.Match[str]) -> date | None:
    try:
        year = int(m["y"])
        year += 2000 if year < 100 else 0
        month = _MONTHS[m["mon"][:3].lower()] if kind == "written" else int(m["m"])
        return date(year, month, int(m["d"]))
    except (ValueError, KeyError):
        return None


def _relative(m: re.Match[str], anchor: date) -> date:
    if m["yest"] or m["lastnight"]:
        return anchor - timedelta(days=1)
    if m["ago"]:
        n = int(m["n"]) if m["n"].isdigit() else _NUMBERS[m["n"].lower()]
        return anchor - timedelta(days=n * (7 if m["unit"].lower().startswith("week") else 1))
    if m["dow"]:
        # "on Friday" in a record means the latest Friday on or before the record's date
        # (a record is written after the fact); "last Friday" the one before that day.
        back = (anchor.weekday() - _DAYS.index(m["dow"].lower())) % 7
        if m["onlast"].lower() == "last" and back == 0:
            back = 7
        return anchor - timedelta(days=back)
    return anchor


def find_dates(text: str, record_date: datetime | None) -> Iterator[Mention]:
    taken: list[tuple[int, int]] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if kind == "time":
                value = f"{int(m['hh']):02d}:{m['mm']}"
            elif kind == "relative":
                if record_date is None:
                    value = m.group(0).lower()
                else:
                    value = _relative(m, record_date.date()).isoformat()
            else:
                found = _absolute(kind, m)
                if found is None:
                    continue
                value = found.isoformat()
            taken.append((m.start(), m.end()))
            yield Mention("date", m.start(), m.end(), m.group(0), value)

"""Mentions in one text: every extractor, then linking to what the workspace knows.

Each mention keeps its exact span (``text[start:end]`` is what was written) and a normalised
value: phones E.164, VRMs upper case without space, postcodes ``QA1 2BC``, dates ISO 8601
(relative ones resolved against the record's date), handles ``@name`` or ``platform:name``.
Where two extractors claim the same characters, the stronger kind keeps them (a known
premises name over a pattern guess, a phone over a date).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import datetime

from lantern.text import nlp, patterns
from lantern.text.concern import find_concerns
from lantern.text.dates import find_dates
from lantern.text.gazetteer import Gazetteer
from lantern.text.indicators import Lexicon, find_indicators
from lantern.text.model import Mention

MAX_TEXT = 200_000  # characters read from one value; the rest is left (and counted) by the run
# Stronger first: who keeps characters two extractors both claim.
PRIORITY = ("phone", "email", "handle", "vrm", "postcode", "date", "nickname", "person", "premises")


def entity_mentions(text: str, record_date: datetime | None = None,
                    gazetteer: Gazetteer | None = None) -> list[Mention]:
    """Phones, VRMs, postcodes, dates, emails, handles, nicknames, premises and known people."""
    found: list[Mention] = [*patterns.find_phones(text), *patterns.find_emails(text),
                            *patterns.find_handles(text), *patterns.find_vrms(text),
                            *patterns.find_postcodes(text), *find_dates(text, record_date),
                            *patterns.find_nicknames(text)]
    if gazetteer is not None:
        found += [*gazetteer.find_people(text), *gazetteer.find_premises(text), *_from_nlp(text, gazetteer)]
    found += patterns.find_premises(text)
    kept = _without_overlaps(found)
    if gazetteer is not None:
        kept = [m if m.entity_id or m.link_method else gazetteer.link(m) for m in kept]
    return sorted(kept, key=lambda m: (m.start, m.end))


def extract(text: str, record_date: datetime | None = None, gazetteer: Gazetteer | None = None,
            lex: Lexicon | None = None) -> list[Mention]:
    """Everything in one text: entity mentions, indicator hits and language of concern."""
    text = text[:MAX_TEXT]
    return [*entity_mentions(text, record_date, gazetteer), *find_indicators(text, lex), *find_concerns(text)]


def _from_nlp(text: str, gazetteer: Gazetteer) -> Iterator[Mention]:
    for label, start, end in nlp.spans(text):
        written = text[start:end]
        if label == "PERSON" and (found := gazetteer.person(written)) is not None:
            key, method, confidence = found
            yield Mention("person", start, end, written, written).linked(
                gazetteer.names[key].most_common(1)[0][0], f"{method}+spacy", confidence)


def _without_overlaps(found: Iterable[Mention]) -> list[Mention]:
    rank = {kind: n for n, kind in enumerate(PRIORITY)}
    # Stronger kind first; within a kind, linked before unlinked, then the longer span.
    ordered = sorted(found, key=lambda m: (rank[m.kind], m.link_method is None, m.start - m.end))
    kept: list[Mention] = []
    taken: list[tuple[int, int]] = []  # sorted, non-overlapping: a bisect finds the neighbours
    for m in ordered:
        i = bisect_left(taken, (m.start, m.end))
        if (i < len(taken) and taken[i][0] < m.end) or (i > 0 and taken[i - 1][1] > m.start):
            continue
        taken.insert(i, (m.start, m.end))
        kept.append(m)
    return kept

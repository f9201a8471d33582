"""`search`: one query across people, phones, vehicles, places and report text.

People are found by name the way resolution compares names (``resolve.features``): folded,
nicknames to their full form, Metaphone keys, and Jaro-Winkler for typing errors, word by
word in any order, so a misspelt or transposed "Davies Mathew" still finds Matthew Davies.
Phones, VRMs and postcodes are cleaned by their property types first, so "07700 900123" and
"+447700900123" are one number. Report text is ranked lexically (``text.similar``), an exact
phrase first. Protected characteristics (ethnicity, religion, nationality) are never read.

Hits carry raw values (a name, a number); how a child or a victim is shown is decided by the
presentation (:mod:`lantern.lookup.privacy`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import jellyfish
from sqlalchemy import Connection

from lantern.errors import LanternError
from lantern.graph.build import entities_of
from lantern.lookup import values
from lantern.lookup.hits import KINDS, SHOWN_RECORDS, Hit
from lantern.resolve.features import (
    PersonRecord,
    canonical_forename,
    fold,
    person_records,
    phonetic,
)
from lantern.text.similar import LexicalIndex, Report, load_reports, rank_similar, tokens

MAX_QUERY = 200
SPELT_LIKE = 0.85  # Jaro-Winkler similarity from which two name words may be one misspelt
MIN_FUZZY = 4  # letters a word needs before a misspelling or a sound-alike of it is looked for
SNIPPET = 70  # characters of report text either side of the match


def check_query(query: str, kinds: Iterable[str] | None, limit: int) -> tuple[str, set[str]]:
    text = " ".join(query.split())
    if not text:
        raise LanternError("the search is empty: type a name, a phone number, a VRM, a postcode or words")
    if len(text) > MAX_QUERY:
        raise LanternError(f"the search is too long ({len(text)} characters; at most {MAX_QUERY})")
    if limit < 1:
        raise LanternError("--limit must be 1 or more")
    wanted = set(kinds or KINDS)
    if unknown := sorted(wanted - set(KINDS)):
        raise LanternError(f"unknown kind {', '.join(map(repr, unknown))}; kinds are: {', '.join(KINDS)}")
    return text, wanted


def search(conn: Connection, case_id: int, query: str, kinds: Iterable[str] | None = None,
           limit: int = 50, names: NameIndex | None = None,
           corpus: Corpus | None = None) -> list[Hit]:
    """At most ``limit`` hits of each kind asked for, best first within each kind, kinds in the
    order of KINDS. People need a resolution (`lantern resolve`); without one, none are found."""
    text, wanted = check_query(query, kinds, limit)
    hits: list[Hit] = []
    if "person" in wanted:
        hits += find_people(conn, case_id, text, names)[:limit]
    if "phone" in wanted:
        hits += values.find_phones(conn, case_id, text, limit)
    if "vehicle" in wanted:
        hits += values.find_vehicles(conn, case_id, text, limit)
    if "location" in wanted:
        hits += values.find_locations(conn, case_id, text, limit)
    if "text" in wanted:
        hits += find_text(conn, case_id, text, limit, corpus)
    return hits


# ---- people ---------------------------------------------------------------------------------


def word_match(asked: str, written: str) -> tuple[float, str] | None:
    """How well one word of the query matches one word of a recorded name, and why."""
    if asked == written:
        return 1.0, "name exact"
    found: list[tuple[float, str]] = []
    if canonical_forename(asked) == canonical_forename(written):
        found.append((0.9, "name is a nickname of"))
    if len(asked) < MIN_FUZZY:  # "Al", "car": too short to tell a typing error from another word
        return max(found) if found else None
    similarity = jellyfish.jaro_winkler_similarity(asked, written)
    if similarity >= SPELT_LIKE:
        found.append((0.95 * similarity, "name spelt like"))
    if phonetic(asked) == phonetic(written):
        found.append((0.8, "name sounds like"))
    return max(found) if found else None


def _name_words(record: PersonRecord) -> set[str]:
    return {word for prop in ("name", "forename", "surname", "alias")
            for value in record.values.get(prop, []) for word in fold(value).split()}


def _display_name(record: PersonRecord) -> str:
    return record.first("name") or " ".join(
        v for v in (record.first("forename"), record.first("surname")) if v) or record.first("alias") or ""


@dataclass
class NameIndex:
    """Every resolved person's name words, each word with the records it names: a query word is
    compared with the case's distinct name words once, not with every record."""

    words_of: dict[int, set[str]]  # record -> its name words
    records_of: dict[str, set[int]]  # name word -> records
    entity_of: dict[int, str]
    shown: dict[int, str]  # record -> the name to show

    @classmethod
    def build(cls, conn: Connection, case_id: int) -> NameIndex:
        entity_of = entities_of(conn, case_id, "Person")
        words_of: dict[int, set[str]] = {}
        records_of: dict[str, set[int]] = defaultdict(set)
        shown: dict[int, str] = {}
        for record in person_records(conn, case_id):
            if record.record_id not in entity_of:
                continue
            words = _name_words(record)
            words_of[record.record_id], shown[record.record_id] = words, _display_name(record)
            for word in words:
                records_of[word].add(record.record_id)
        return cls(words_of, dict(records_of), entity_of, shown)

    def matches(self, asked: str) -> dict[str, tuple[float, str]]:
        """The case's name words one query word matches, each with how well and why."""
        return {w: m for w in self.records_of if (m := word_match(asked, w)) is not None}


def find_people(conn: Connection, case_id: int, query: str,
                index: NameIndex | None = None) -> list[Hit]:
    """Resolved people whose recorded names (any record of theirs) match the query. A query
    with a digit in it (a plate, a number, a postcode) names nobody. ``index`` may be one kept
    from an earlier query (the web server keeps it per version of the case)."""
    asked = fold(query).split()
    if not asked or any(ch.isdigit() for ch in query):
        return []
    index = index or NameIndex.build(conn, case_id)
    per_word = [index.matches(word) for word in asked]
    # Every word asked must match a word of the name, in any order (names are often swapped).
    candidates = set.intersection(*(
        {r for w in found for r in index.records_of[w]} for found in per_word)) if per_word else set()
    best: dict[str, tuple[float, str, str]] = {}
    records: dict[str, list[int]] = defaultdict(list)
    for record in sorted(candidates):
        scores = [max(found[w] for w in index.words_of[record] if w in found) for found in per_word]
        score, why = sum(x for x, _ in scores) / len(scores), min(scores)[1]
        entity = index.entity_of[record]
        records[entity].append(record)
        if entity not in best or score > best[entity][0]:
            best[entity] = (score, why, index.shown[record])
    # Best score first; then the person more records name (the one the analyst most likely means).
    order = sorted(best, key=lambda e: (-best[e][0], -len(records[e]), e))
    return [Hit("person", e, best[e][2], best[e][1], round(best[e][0], 3), tuple(records[e][:SHOWN_RECORDS]),
                len(records[e])) for e in order]


# ---- report text ----------------------------------------------------------------------------


def snippet(text: str, query: str, terms: Iterable[str]) -> str:
    """The report text around the phrase, or else around the first shared term."""
    folded = text.casefold()
    at = folded.find(query.casefold())
    for term in terms:
        if at >= 0:
            break
        at = folded.find(term)
    at = max(at, 0)
    start, end = max(at - SNIPPET, 0), min(at + len(query) + SNIPPET, len(text))
    return ("…" if start else "") + " ".join(text[start:end].split()) + ("…" if end < len(text) else "")


# The four non-ASCII letters a case-insensitive regex matches to ASCII ones (Python's re docs):
# casefold() maps two of them (K, long s); these two it leaves or makes two characters.
_DOTTED_I = str.maketrans({"\u0130": "i", "\u0131": "i"})


def folded(text: str) -> str:
    """The text as a case-insensitive match of an ASCII query sees it, one character each."""
    return text.translate(_DOTTED_I).casefold()


@dataclass
class Corpus:
    """The case's reports, their lexical index and their folded text, built once for many queries."""

    reports: list[Report]
    index: LexicalIndex | None
    folded: list[str]

    @classmethod
    def build(cls, conn: Connection, case_id: int) -> Corpus:
        reports = load_reports(conn, case_id)
        return cls(reports, LexicalIndex([r.text for r in reports]) if reports else None,
                   [folded(r.text) for r in reports])

    def with_phrase(self, query: str) -> list[Report]:
        """The reports with ``query`` as whole words, any case. An ASCII query is looked for as
        a plain substring of the folded text first (a case-insensitive regex can match no text
        that check misses), the regex only where it is found."""
        phrase = re.compile(rf"\b{re.escape(query)}\b", re.IGNORECASE)  # whole words: "car" is not "carried"
        if not query.isascii():
            return [r for r in self.reports if phrase.search(r.text)]
        wanted = query.casefold()
        return [r for r, text in zip(self.reports, self.folded, strict=True)
                if wanted in text and phrase.search(r.text)]


def find_text(conn: Connection, case_id: int, query: str, limit: int,
              corpus: Corpus | None = None) -> list[Hit]:
    """Reports with the exact phrase first, then by lexical similarity (shared rare words)."""
    if not tokens(query):
        return []
    corpus = corpus or Corpus.build(conn, case_id)
    reports = corpus.reports
    ranking = rank_similar(reports, text=query, limit=max(limit, 1) * 2, method="lexical",
                           index=corpus.index)
    scored = {h.report.record_id: (h.score, h.reason(), h.shared) for h in ranking.hits}
    for report in corpus.with_phrase(query):
        score = scored.get(report.record_id, (0.0, "", ()))[0]
        scored[report.record_id] = (1.0 + score, "phrase", ())
    by_id = {r.record_id: r for r in reports}
    order = sorted(scored, key=lambda r: (-scored[r][0], r))[:limit]
    return [Hit("text", str(r), _report_label(by_id[r].schema, by_id[r].reference, by_id[r].date),
                scored[r][1], round(min(scored[r][0], 2.0) / 2, 3), (r,), 1,
                snippet=snippet(by_id[r].text, query, scored[r][2])) for r in order]


def _report_label(schema: str, reference: str, date: str) -> str:
    return " ".join(part for part in (schema, reference, date) if part)

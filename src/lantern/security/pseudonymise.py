"""Victims' identities in shared products: stable keyed pseudonyms, unless revealed.

Victims of sexual offences have lifelong anonymity. Any product that leaves the case team
(exports, reports, charts) replaces a victim's identifiers (name, date of birth, address,
postcode, school, workplace, phone, email, handle) with ``HMAC-SHA-256(case key, value)``
pseudonyms: stable within a case, different across cases, and impossible to reverse by
guessing values without the key (a plain hash of a phone number could be brute-forced).
Free text elsewhere in the case is scrubbed of the same identifiers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterable

import ahocorasick
import phonenumbers
from sqlalchemy import Connection, select

from lantern.store import tables
from lantern.store.queries import case_version

IDENTIFYING = frozenset(
    {
        "name",
        "forename",
        "surname",
        "alias",
        "dob",
        "address",
        "postcode",
        "school",
        "occupation",
        "phone",
        "email",
        "handle",
        "subscriber",
        "display_name",
    }
)
NAMES = frozenset({"name", "forename", "surname", "alias"})
FREE_TEXT = frozenset({"text", "summary", "notes", "return_interview", "description", "concern"})
r, lk, s = tables.records, tables.links, tables.statements


def victim_record_ids(conn: Connection, case_id: int) -> set[int]:
    """Person records named as victims, and every record with the same source id."""
    victims = select(lk.c.from_record_id).where(lk.c.case_id == case_id, lk.c.type == "victim-in")
    keyed = conn.execute(
        select(r.c.id, r.c.namespace, r.c.source_record_id).where(r.c.id.in_(victims))
    ).all()
    ids = {int(row.id) for row in keyed}
    keys = {(row.namespace, row.source_record_id) for row in keyed if row.source_record_id}
    if keys:
        namespaces = {ns for ns, _ in keys}
        same = conn.execute(
            select(r.c.id, r.c.namespace, r.c.source_record_id).where(
                r.c.case_id == case_id,
                r.c.schema == "Person",
                r.c.namespace.in_(namespaces),
                r.c.source_record_id.in_({sid for _, sid in keys}),
            )
        )
        ids |= {int(row.id) for row in same if (row.namespace, row.source_record_id) in keys}
    return ids


def _phone_variants(value: str) -> set[str]:
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return {value}
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return {
        value,
        national,
        national.replace(" ", ""),
        str(number.national_number),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    }


class Pseudonymiser:
    """Replaces the victims' identifiers of one case in statements and free text."""

    def __init__(self, conn: Connection, case_id: int, master_key: bytes) -> None:
        self.case_key = hmac.new(master_key, f"case:{case_id}".encode(), hashlib.sha256).digest()
        self.victims = victim_record_ids(conn, case_id)
        identifiers: set[str] = set()
        self.victim_names: set[str] = set()
        if self.victims:
            rows = conn.execute(
                select(s.c.prop, s.c.original, s.c.value).where(
                    s.c.record_id.in_(self.victims), s.c.prop.in_(IDENTIFYING)
                )
            )
            for row in rows:
                for text in (row.original, row.value):
                    if not text or len(text.strip()) < 3:
                        continue
                    identifiers |= _phone_variants(text) if row.prop == "phone" else {text.strip()}
                    if row.prop in NAMES:  # so a namesake's record is covered too
                        self.victim_names.add(text.strip().casefold())
                    if row.prop in ("name", "forename", "surname", "alias"):
                        identifiers |= {
                            part for part in re.split(r"[\s,]+", text) if len(part) >= 3
                        }
        self.finder = IdentifierFinder(identifiers)

    @classmethod
    def of(cls, conn: Connection, case_id: int, master_key: bytes) -> Pseudonymiser:
        """The case's pseudonymiser, built once per version of the case's data in this process:
        building one reads every victim's identifiers and compiles them into one pattern
        (seconds on a large case), and a server asks for it on nearly every request."""
        if conn.get_execution_options().get("lantern_writer", False):
            return cls(conn, case_id, master_key)  # a writer's view may still roll back
        key = (conn.engine.url.render_as_string(hide_password=True), case_id,
               hashlib.sha256(master_key).hexdigest(), case_version(conn, case_id))
        with _BUILT_LOCK:
            found = _BUILT.get(key)
        if found is None:
            found = cls(conn, case_id, master_key)
            with _BUILT_LOCK:
                _BUILT[key] = found
                while len(_BUILT) > BUILT_KEPT:
                    _BUILT.pop(next(iter(_BUILT)))
        return found

    def token(self, kind: str, value: str) -> str:
        normalised = " ".join(value.casefold().split())
        digest = hmac.new(
            self.case_key, f"{kind}:{normalised}".encode(), hashlib.sha256
        ).hexdigest()
        return f"[{kind} {digest[:10]}]"

    def is_victim(self, record_id: int) -> bool:
        return record_id in self.victims

    def statement(
        self, record_id: int, prop: str, value: str | None, original: str | None
    ) -> tuple[str | None, str | None]:
        """A statement's (value, original) as a shared product may show them."""
        namesake = prop in NAMES and any(
            v and v.strip().casefold() in self.victim_names for v in (value, original))
        if (record_id in self.victims and prop in IDENTIFYING) or namesake:
            # A namesake, or a record resolution left apart, must not show a victim's name either.
            token = self.token(prop, value or original or "")
            return token, token
        if prop in FREE_TEXT:
            return self.scrub(value), self.scrub(original)
        return value, original

    def scrub(self, text: str | None, whole_words: bool = False) -> str | None:
        """``text`` with every victim identifier in it (any case) replaced by a token: anywhere,
        or only as whole words (where a short name part must not cut a word of prose)."""
        if not text:
            return text
        out, last = [], 0
        for start, end in self.finder.spans(text, whole_words):
            out += [text[last:start], self.token("redacted", text[start:end])]
            last = end
        return "".join(out) + text[last:]


class IdentifierFinder:
    """Where any of many identifiers occur in a text, in any case: one Aho-Corasick automaton,
    so a text is read once however many victims a case holds (an alternation regex tried every
    identifier at every position: quadratic in a national case)."""

    def __init__(self, identifiers: Iterable[str]) -> None:
        self._automaton: ahocorasick.Automaton | None = None
        for identifier in identifiers:
            if not identifier:
                continue
            if self._automaton is None:
                self._automaton = ahocorasick.Automaton()
            folded = _fold(identifier)
            self._automaton.add_word(folded, len(folded))
        if self._automaton is not None:
            self._automaton.make_automaton()

    def spans(self, text: str, whole_words: bool = False) -> list[tuple[int, int]]:
        """(start, end) of the leftmost, then longest, non-overlapping matches: what a regex
        alternation of the identifiers, longest first, finds (with ``(?<!\\w)``/``(?!\\w)``
        around it for whole words)."""
        if self._automaton is None or not text:
            return []
        folded = _fold(text)
        longest: dict[int, int] = {}
        for last, length in self._automaton.iter(folded):
            start = last - length + 1
            if whole_words and not (_edge(folded, start - 1) and _edge(folded, last + 1)):
                continue
            longest[start] = max(length, longest.get(start, 0))
        spans, free_from = [], 0
        for start in sorted(longest):
            if start >= free_from:
                spans.append((start, start + longest[start]))
                free_from = start + longest[start]
        return spans


def _fold(text: str) -> str:
    """Lower case with one character for each (``str.lower`` makes 'İ' two), so that positions
    in the folded text are positions in the text."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


def _edge(folded: str, i: int) -> bool:
    """Whether position ``i`` is outside a word (as regex ``\\w`` sees words)."""
    return i < 0 or i >= len(folded) or not (folded[i].isalnum() or folded[i] == "_")


def canary_hits(output: str, identifiers: Iterable[str]) -> list[str]:
    """Which identifiers (in any case) appear in an output: for leak tests and checks."""
    folded = output.casefold()
    return [i for i in identifiers if i and i.casefold() in folded]


_BUILT: dict[tuple[object, ...], Pseudonymiser] = {}
_BUILT_LOCK = threading.Lock()
BUILT_KEPT = 4

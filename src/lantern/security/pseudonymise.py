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
        ordered = sorted(
            identifiers, key=len, reverse=True
        )  # longest first: whole names before parts
        self.pattern = (
            re.compile("|".join(re.escape(i) for i in ordered), re.IGNORECASE) if ordered else None
        )

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

    def scrub(self, text: str | None) -> str | None:
        if not text or self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.token("redacted", m.group(0)), text)


def canary_hits(output: str, identifiers: Iterable[str]) -> list[str]:
    """Which identifiers (in any case) appear in an output: for leak tests and checks."""
    folded = output.casefold()
    return [i for i in identifiers if i and i.casefold() in folded]


_BUILT: dict[tuple[object, ...], Pseudonymiser] = {}
_BUILT_LOCK = threading.Lock()
BUILT_KEPT = 4

"""Person records as resolution sees them: one row per record, values normalised for matching.

Names are compared by their parts: accents and punctuation removed, a canonical forename
(nicknames and hypocorisms to their full name: "Danny" to "daniel", "Mo" to "mohammed") and a
phonetic key (Metaphone) that puts transliterations together (Mohammed, Muhammad, Mohamed).
Dates of birth keep their parts so a comparison can see a day/month swap or a year keyed one
off. Protected characteristics (ethnicity, religion, nationality) are never read here: the
schema marks them, and :data:`MATCH_PROPERTIES` is checked against it by a test.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jellyfish
from nicknames import NickNamer
from sqlalchemy import Connection, select

from lantern.store import tables

# The only Person properties resolution reads.
MATCH_PROPERTIES = ("name", "forename", "surname", "alias", "dob", "age", "gender", "phone",
                    "postcode", "address", "email", "handle")

# Hypocorisms common in UK records that the `nicknames` dataset (American English) lacks.
EXTRA_NICKNAMES = {
    "mo": "mohammed", "moe": "mohammed", "mohd": "mohammed", "immy": "imran", "kam": "kamran",
    "zubi": "zubair", "taz": "tariq", "fez": "faisal", "hamz": "hamza", "seun": "oluwaseun",
    "kris": "krzysztof", "abdi": "abdul", "abs": "abbie", "liv": "olivia", "lottie": "charlotte",
    "becca": "rebecca", "mick": "michael", "shan": "shannon", "nat": "natalie", "sal": "sarah",
    "em": "emily", "kay": "kwame", "ty": "tyrone", "mario": "marius", "harry": "harpreet",
}
_nicknamer = NickNamer()
_PUNCTUATION = re.compile(r"[^a-z\s'-]")


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation except hyphen and apostrophe dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_PUNCTUATION.sub(" ", plain.replace("'", "").replace("-", " ")).split())


@lru_cache(maxsize=200_000)
def canonical_forename(name: str) -> str:
    """The full name a nickname stands for, where one is known; else the name itself."""
    if name in EXTRA_NICKNAMES:
        return EXTRA_NICKNAMES[name]
    canon = _nicknamer.canonicals_of(name)
    if name in _nicknamer.nicknames_of(name) or not canon:
        return name
    return sorted(canon)[0] if len(canon) == 1 else name  # ambiguous nicknames stay as written


@lru_cache(maxsize=200_000)
def phonetic(name: str) -> str:
    return jellyfish.metaphone(name) if name else ""


@dataclass
class PersonRecord:
    """One Person record with the values resolution compares."""

    record_id: int
    namespace: str
    source_record_id: str | None
    source_path: str
    values: dict[str, list[str]] = field(default_factory=dict)

    def first(self, prop: str) -> str | None:
        found = self.values.get(prop)
        return found[0] if found else None

    def features(self) -> dict[str, object]:
        forename, surname = self._name_parts()
        dob = self.first("dob") or ""
        if dob[:10] > date.today().isoformat():
            dob = ""  # a date of birth in the future is a keying error: no evidence either way
        parts = dob.split("-") if dob else []
        phones = sorted(set(self.values.get("phone", [])))
        postcode = self.first("postcode")
        return {
            "unique_id": self.record_id,
            "source_key": f"{self.namespace}|{self.source_record_id}" if self.source_record_id else None,
            "forename": forename or None,
            "surname": surname or None,
            "forename_canonical": canonical_forename(forename) if forename else None,
            "forename_phonetic": phonetic(canonical_forename(forename)) if forename else None,
            "surname_phonetic": phonetic(surname) if surname else None,
            "full_name": f"{forename} {surname}".strip() or None,
            "alias": fold(self.first("alias") or "") or None,
            "dob": dob if len(parts) == 3 else None,
            "dob_year": int(parts[0]) if parts and parts[0].isdigit() else None,
            "dob_month": int(parts[1]) if len(parts) >= 2 else None,
            "dob_day": int(parts[2]) if len(parts) == 3 else None,
            "gender": self.first("gender") if self.first("gender") in ("male", "female") else None,
            "phones": phones or None,
            "postcode": postcode,
            "postcode_sector": postcode[:-2] if postcode else None,
            "address": fold(self.first("address") or "") or None,
            "email": self.first("email"),
        }

    def _name_parts(self) -> tuple[str, str]:
        forename = fold(self.first("forename") or "")
        surname = fold(self.first("surname") or "")
        if not (forename and surname):
            tokens = fold(self.first("name") or "").split()
            if tokens:
                forename = forename or tokens[0]
                surname = surname or (tokens[-1] if len(tokens) > 1 else "")
        return forename.split(" ")[0] if forename else "", surname.replace(" ", "")


def person_records(conn: Connection, case_id: int) -> Iterator[PersonRecord]:
    """Every Person record of the case with its cleaned match values, in record order."""
    r, s, src = tables.records, tables.statements, tables.sources
    query = (
        select(r.c.id, r.c.namespace, r.c.source_record_id, src.c.file_path, s.c.prop, s.c.value)
        .join(src, src.c.id == r.c.source_id)
        .outerjoin(s, (s.c.record_id == r.c.id) & s.c.prop.in_(MATCH_PROPERTIES) & s.c.value.is_not(None))
        .where(r.c.case_id == case_id, r.c.schema == "Person")
        .order_by(r.c.id)
        .execution_options(yield_per=10_000)
    )
    current: PersonRecord | None = None
    for row in conn.execute(query):
        if current is None or current.record_id != row.id:
            if current is not None:
                yield current
            current = PersonRecord(int(row.id), row.namespace, row.source_record_id, row.file_path)
        if row.prop is not None:
            current.values.setdefault(row.prop, []).append(row.value)
    if current is not None:
        yield current

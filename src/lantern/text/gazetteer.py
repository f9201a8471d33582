"""What the workspace already knows, for linking mentions to resolved entities: pivot values
(phones, VRMs, postcodes, emails, handles) and the names, aliases and premises records carry.

Linking order, strongest first: an exact pivot (a value a known record carries), an exact
name or alias, then a fuzzy name (a known surname with a close forename, or the reverse).
A value several entities share is left unlinked and says so ("ambiguous:N").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from lantern.store import tables
from lantern.text.fuzzy import similarity
from lantern.text.model import Mention

PIVOT_PROPS = {"phone": "phone", "number": "phone", "vrm": "vrm", "postcode": "postcode",
               "email": "email", "handle": "handle"}
NAME_PROPS = ("name", "alias")
FUZZY_FLOOR = 0.8  # below this a close name is not a link
MAX_CANDIDATES = 300  # per shared name, for a fuzzy comparison
SHARE_FLOOR = 0.8  # an entity must hold this share of a value's records to take the link
_WORD = r"[A-ZÀ-Þ](?:[^\W\d_]|['’-](?=[^\W\d_]))+"  # Zoë, O'Connor, Smith-Jones
_NAME_RUN = re.compile(rf"\b{_WORD}(?:\s+{_WORD}){{1,2}}")


@dataclass
class Gazetteer:
    pivots: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    names: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    aliases: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    premises: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_surname: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_forename: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _premises_re: re.Pattern[str] | None = None

    def add(self, entity: str, schema: str, prop: str, value: str) -> None:
        if prop in PIVOT_PROPS:
            kind = PIVOT_PROPS[prop]
            # A person carrying a value is the link an analyst wants; objects come second.
            self.pivots[(kind, _fold(value))][("0" if schema == "Person" else "1") + entity] += 1
        elif schema == "Person" and prop == "name" and " " in value.strip():
            key = _fold(value)
            self.names[key][entity] += 1
            parts = key.split()
            self.by_surname[parts[-1]].add(key)
            self.by_forename[parts[0]].add(key)
        elif schema == "Person" and prop == "alias":
            self.aliases[_fold(value)][entity] += 1
        elif schema == "Location" and prop == "name" and len(value.strip()) >= 4:
            self.premises[_fold(value)][entity] += 1

    def finish(self) -> Gazetteer:
        known = sorted(self.premises, key=len, reverse=True)  # longest first: whole names win
        self._premises_re = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in known) + r")\b",
                                       re.IGNORECASE) if known else None
        return self

    # ---- finding what the workspace knows --------------------------------------------------

    def find_premises(self, text: str) -> Iterator[Mention]:
        if self._premises_re is None:
            return
        for m in self._premises_re.finditer(text):
            yield _pick(Mention("premises", m.start(), m.end(), m.group(0), m.group(0)),
                        self.premises.get(_fold(m.group(0))), "premises:exact", 1.0)

    def find_people(self, text: str) -> Iterator[Mention]:
        """Known people's full names, exact or close (a typo in one of the two names)."""
        if not self.names:
            return
        for run in _NAME_RUN.finditer(text):
            words = [(w.start(), w.end()) for w in re.finditer(r"\S+", run.group(0))]
            spans = [(0, len(words))] + [(i, i + 2) for i in range(len(words) - 1)] if len(words) > 2 \
                else [(0, len(words))]
            for i, j in spans:
                start, end = run.start() + words[i][0], run.start() + words[j - 1][1]
                found = self.person(text[start:end])
                if found is not None:
                    key, method, confidence = found
                    yield _pick(Mention("person", start, end, text[start:end], text[start:end]),
                                self.names[key], method, confidence)
                    break

    def person(self, written: str) -> tuple[str, str, float] | None:
        key = _fold(written)
        if key in self.names:
            return key, "name:exact", 1.0
        parts = key.split()
        if len(parts) < 2:
            return None
        best: tuple[float, str] = (0.0, "")
        # Candidates share one of the two names; a very common name gives too many to compare.
        candidates = [*sorted(self.by_surname.get(parts[-1], set()))[:MAX_CANDIDATES],
                      *sorted(self.by_forename.get(parts[0], set()))[:MAX_CANDIDATES]]
        for candidate in candidates:
            best = max(best, (similarity(key, candidate), candidate))
        if best[0] >= FUZZY_FLOOR:
            return best[1], "name:fuzzy", round(best[0], 3)
        return None

    # ---- linking what the patterns found ---------------------------------------------------

    def link(self, mention: Mention) -> Mention:
        if mention.kind in ("phone", "vrm", "postcode", "email", "handle"):
            value = mention.normalised.split(":", 1)[-1] if mention.kind == "handle" else mention.normalised
            found = self.pivots.get((mention.kind, _fold(value)))
            if found:
                level = min(e[0] for e in found)  # people before objects
                kept = Counter({e[1:]: n for e, n in found.items() if e[0] == level})
                return _pick(mention, kept, f"pivot:{mention.kind}", 1.0)
        if mention.kind == "nickname":
            return _pick(mention, self.aliases.get(_fold(mention.normalised)), "alias:exact", 1.0)
        if mention.kind == "premises":
            return _pick(mention, self.premises.get(_fold(mention.normalised.removeprefix("the "))),
                         "premises:exact", 1.0)
        return mention


def _fold(value: str) -> str:
    return " ".join(value.casefold().split())


def _pick(mention: Mention, found: Counter[str] | None, method: str, confidence: float) -> Mention:
    if not found:
        return mention
    entity, n = found.most_common(1)[0]
    share = n / sum(found.values())
    if len(found) > 1 and share < SHARE_FLOOR:
        return mention.linked(None, f"ambiguous:{len(found)}", round(share, 3))
    return mention.linked(entity, method, round(confidence * share, 3))


def _latest_entities(conn: Connection, case_id: int) -> dict[int, str]:
    """record id -> entity id from the latest resolution run of each schema."""
    runs = tables.resolution_runs
    latest = select(func.max(runs.c.id)).where(runs.c.case_id == case_id).group_by(runs.c.schema)
    c = tables.resolution_clusters
    return {int(r.record_id): r.entity_id for r in conn.execute(
        select(c.c.record_id, c.c.entity_id).where(c.c.run_id.in_(latest)))}


def load(conn: Connection, case_id: int) -> Gazetteer:
    r, s = tables.records, tables.statements
    entity_of = _latest_entities(conn, case_id)
    gazetteer = Gazetteer()
    rows = conn.execute(
        select(r.c.id, r.c.schema, s.c.prop, s.c.value).join(s, s.c.record_id == r.c.id).where(
            r.c.case_id == case_id, r.c.schema.in_(("Person", "Phone", "Vehicle", "Location", "Account")),
            s.c.prop.in_([*PIVOT_PROPS, *NAME_PROPS]), s.c.value.is_not(None)))
    for record, schema, prop, value in rows:
        gazetteer.add(entity_of.get(int(record), f"record:{record}"), schema, prop, value)
    return gazetteer.finish()

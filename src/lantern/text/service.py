"""`lantern extract` as a service: every free-text statement of a case, extracted and stored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from lantern.model.schema import load_schema
from lantern.store import tables
from lantern.text import fuzzy, gazetteer, nlp, store
from lantern.text.extract import MAX_TEXT, extract
from lantern.text.indicators import Lexicon, lexicon
from lantern.text.model import Mention

Progress = Callable[[int, int], None]
BATCH = 5000  # mentions written at a time


@dataclass(frozen=True)
class Concern:
    """A victim-blaming phrase: for review and training, never for a score."""

    record_id: int
    reference: str
    phrase_id: str
    written: str
    unit: str
    date: str


@dataclass
class ExtractSummary:
    run_id: int
    lexicon_version: str
    texts: int = 0
    truncated: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    linked: Counter[str] = field(default_factory=Counter)
    indicators: Counter[str] = field(default_factory=Counter)  # non-negated hits per indicator
    negated: int = 0
    concerns: list[Concern] = field(default_factory=list)

    def stats(self) -> dict[str, object]:
        return {"texts": self.texts, "truncated": self.truncated, "by_kind": dict(self.by_kind),
                "linked": dict(self.linked), "indicators": dict(self.indicators), "negated": self.negated,
                "concerns": len(self.concerns), "fuzzy": fuzzy.METHOD, "spacy": nlp.name()}


def text_props() -> list[str]:
    """Every property the schema types as free text."""
    schema = load_schema()
    return sorted({name for entity in schema.entities.values() for name, prop in entity.properties.items()
                   if prop.type.name == "text"})


def _texts(conn: Connection, case_id: int) -> Iterator[tuple[int, str, str]]:
    r, s = tables.records, tables.statements
    for record, prop, original in conn.execute(select(s.c.record_id, s.c.prop, s.c.original).join(r, r.c.id == s.c.record_id)
                            .where(r.c.case_id == case_id, s.c.prop.in_(text_props()))
                            .order_by(s.c.record_id, s.c.id)):
        yield int(record), prop, original


def _context(conn: Connection, case_id: int) -> dict[int, dict[str, str]]:
    """Per record: its date, reference and author's unit (for relative dates and concerns)."""
    r, s = tables.records, tables.statements
    out: dict[int, dict[str, str]] = {}
    for record, prop, value in conn.execute(
            select(s.c.record_id, s.c.prop, s.c.value).join(r, r.c.id == s.c.record_id).where(
                r.c.case_id == case_id, s.c.prop.in_(("date", "reference", "recorded_by", "force")),
                s.c.value.is_not(None))):
        out.setdefault(int(record), {}).setdefault(prop, value)
    return out


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def run_extraction(conn: Connection, case_id: int, user: str, *, lex: Lexicon | None = None,
                   progress: Progress | None = None) -> ExtractSummary:
    lex = lex or lexicon()
    texts = list(_texts(conn, case_id))
    known = gazetteer.load(conn, case_id)
    context = _context(conn, case_id)
    summary = ExtractSummary(store.create_run(conn, case_id, user, lex.version), lex.version)
    pending: list[tuple[int, str, Mention]] = []
    for n, (record_id, prop, original) in enumerate(texts):
        if progress is not None and n % 500 == 0:
            progress(n, len(texts))
        about = context.get(record_id, {})
        summary.texts += 1
        summary.truncated += len(original) > MAX_TEXT
        for mention in extract(original, _date(about.get("date")), known, lex):
            pending.append((record_id, prop, mention))
            _count(summary, record_id, about, mention)
        if len(pending) >= BATCH:
            store.store_mentions(conn, summary.run_id, pending)
            pending = []
    store.store_mentions(conn, summary.run_id, pending)
    if progress is not None:
        progress(len(texts), len(texts))
    store.finish_run(conn, summary.run_id, summary.stats())
    return summary


def _count(summary: ExtractSummary, record_id: int, about: dict[str, str], m: Mention) -> None:
    summary.by_kind[m.kind] += 1
    if m.entity_id:
        summary.linked[m.kind] += 1
    if m.kind == "indicator":
        if m.negated:
            summary.negated += 1
        else:
            summary.indicators[m.indicator_id or ""] += 1
    elif m.kind == "concern":
        summary.concerns.append(Concern(record_id, about.get("reference", ""), m.indicator_id or "", m.text,
                                        about.get("recorded_by") or about.get("force") or "",
                                        (about.get("date") or "")[:10]))

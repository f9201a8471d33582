"""Text runs in the store, and the one way the risk scorer reads them: ``indicator_hits``."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from lantern.store import tables
from lantern.store.bulk import bulk_insert
from lantern.store.workspace import inserted_id, utcnow
from lantern.text.model import Mention

ALGORITHM_VERSION = "lantern.text/1"
COLUMNS = ("run_id", "record_id", "prop", "span_start", "span_end", "kind", "value", "normalised", "entity_id",
           "link_method", "confidence", "negated", "uncertain", "indicator_id")
runs_t, mentions_t = tables.text_runs, tables.text_mentions


@dataclass(frozen=True)
class IndicatorHit:
    """One non-negated indicator in one record's text: what, where, and how sure.

    ``record_id`` and ``prop`` name the statement; ``text[start:end]`` of that statement's
    original is ``written``. ``uncertain`` is True when the clause hedges it ("possibly",
    "believed to"): a scorer should weigh it lower, and say so in its reasons.
    """

    indicator_id: str
    record_id: int
    prop: str
    start: int
    end: int
    written: str
    uncertain: bool


def create_run(conn: Connection, case_id: int, user: str, lexicon_version: str) -> int:
    return inserted_id(conn.execute(insert(runs_t).values(
        case_id=case_id, lexicon_version=lexicon_version, algorithm_version=ALGORITHM_VERSION,
        run_by=user, created_at=utcnow(), stats_json="{}")))


def store_mentions(conn: Connection, run_id: int, rows: Iterable[tuple[int, str, Mention]]) -> int:
    batch: list[tuple[Any, ...]] = [
        (run_id, record_id, prop, m.start, m.end, m.kind, m.text, m.normalised, m.entity_id, m.link_method,
         m.confidence, m.negated, m.uncertain, m.indicator_id) for record_id, prop, m in rows]
    bulk_insert(conn, mentions_t, COLUMNS, batch)
    return len(batch)


def finish_run(conn: Connection, run_id: int, stats: dict[str, Any]) -> None:
    conn.execute(runs_t.update().where(runs_t.c.id == run_id).values(stats_json=json.dumps(stats, sort_keys=True)))


def latest_run(conn: Connection, case_id: int) -> int | None:
    found = conn.execute(select(func.max(runs_t.c.id)).where(runs_t.c.case_id == case_id)).scalar()
    return None if found is None else int(found)


def indicator_hits(conn: Connection, case_id: int) -> dict[int, list[IndicatorHit]]:
    """record id -> the indicator hits in that record's free text, from the case's latest run.

    Negated hits ("no indication of...", "denies...") are left out: they are never evidence.
    Uncertain hits are kept, flagged. Language of concern is not an indicator and is never
    returned here. Empty when the case has no extraction run (`lantern extract` makes one).
    """
    run_id = latest_run(conn, case_id)
    out: dict[int, list[IndicatorHit]] = defaultdict(list)
    if run_id is None:
        return {}
    m = mentions_t
    for row in conn.execute(select(m.c.indicator_id, m.c.record_id, m.c.prop, m.c.span_start, m.c.span_end, m.c.value,
                                   m.c.uncertain).where(m.c.run_id == run_id, m.c.kind == "indicator",
                                                        m.c.negated.is_(False))
                            .order_by(m.c.record_id, m.c.span_start)):
        out[int(row.record_id)].append(IndicatorHit(row.indicator_id, int(row.record_id), row.prop, row.span_start,
                                                    row.span_end, row.value, bool(row.uncertain)))
    return dict(out)

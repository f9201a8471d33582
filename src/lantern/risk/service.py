"""Children at risk in one case: read the store and the latest network, score, rank."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select

from lantern.risk.hits import TextHit, TextHits
from lantern.risk.read import read_case
from lantern.risk.score import Assessment, assess_facts
from lantern.risk.weights import Weights, load_weights
from lantern.store import tables
from lantern.store.chunks import in_chunks
from lantern.text.indicators import lexicon
from lantern.text.store import indicator_hits


def assess(conn: Connection, case_id: int, weights: Weights | Path | None = None,
           text_hits: TextHits | None = None) -> Assessment:
    """Every child in the case, scored with reasons and ranked.

    ``text_hits`` (record id -> indicator hits in its text) defaults to the case's latest
    extraction run (`lantern extract`); a case never extracted has no text-indicator reasons.
    """
    if not isinstance(weights, Weights):
        weights = load_weights(weights)
    facts, run_id = read_case(conn, case_id)
    if text_hits is None:
        text_hits = extracted_hits(conn, case_id)
    return assess_facts(facts, weights, text_hits, run_id)


def extracted_hits(conn: Connection, case_id: int) -> dict[int, list[TextHit]]:
    """The non-negated indicator hits of the case's latest extraction run, labelled."""
    lex = lexicon()
    return {record: [TextHit(h.indicator_id, lex.label(h.indicator_id), (h.start, h.end), uncertain=h.uncertain)
                     for h in hits] for record, hits in indicator_hits(conn, case_id).items()}


def display_names(conn: Connection, case_id: int, entities: set[str]) -> dict[str, str]:
    """A recorded name for each person entity (for --reveal only; the score never reads names)."""
    runs, c, s = tables.network_runs, tables.resolution_clusters, tables.statements
    resolution_run = conn.scalar(select(runs.c.resolution_run_id).where(runs.c.case_id == case_id)
                                 .order_by(runs.c.id.desc()).limit(1))
    names: dict[str, str] = {}
    for chunk in in_chunks(entities):
        for entity, name in conn.execute(
                select(c.c.entity_id, s.c.value).join(s, s.c.record_id == c.c.record_id)
                .where(c.c.run_id == resolution_run, c.c.entity_id.in_(chunk), s.c.prop == "name",
                       s.c.value.is_not(None)).order_by(s.c.id)):
            names.setdefault(entity, name)
    return names

"""Why two records are (or are not) one person, and which pairs a person should look at next.

An explanation lists, comparison by comparison, the level that fired, its match weight (log2
of its Bayes factor) and the source values behind it with the file and row they came from,
starting from the prior; the weights add up to the pair's match weight, as in Splink's
waterfall chart. The review queue orders undecided pairs by how much a decision would change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.resolve import model
from lantern.resolve.features import MATCH_PROPERTIES, PersonRecord
from lantern.resolve.service import COMPARISONS, entity_of, latest_judgements, latest_run, pair_row
from lantern.store import tables

# Which record values each comparison reads, to show beside its weight.
SHOWN = {"name": ("name", "forename", "surname", "alias"), "dob": ("dob",), "phones": ("phone",),
         "address": ("address", "postcode"), "gender": ("gender",)}


@dataclass
class Step:
    comparison: str
    level: str
    weight: float
    left: str
    right: str


@dataclass
class Explanation:
    a: int
    b: int
    entity_a: str | None
    entity_b: str | None
    prior_weight: float
    steps: list[Step]
    match_weight: float
    match_probability: float
    scored_by_blocking: bool
    held_reason: str | None
    judgement: str | None
    sources: dict[int, str] = field(default_factory=dict)

    @property
    def same_entity(self) -> bool:
        return self.entity_a is not None and self.entity_a == self.entity_b


def load_record(conn: Connection, case_id: int, record_id: int) -> PersonRecord:
    r, s, src = tables.records, tables.statements, tables.sources
    row = conn.execute(select(r.c.id, r.c.namespace, r.c.source_record_id, r.c.row_number, src.c.file_path)
                       .join(src, src.c.id == r.c.source_id)
                       .where(r.c.id == record_id, r.c.case_id == case_id, r.c.schema == "Person")).first()
    if row is None:
        raise LanternError(f"no Person record {record_id} in this case")
    record = PersonRecord(int(row.id), row.namespace, row.source_record_id, f"{row.file_path}, row {row.row_number}")
    for prop, value in conn.execute(select(s.c.prop, s.c.value).where(
            s.c.record_id == record_id, s.c.prop.in_(MATCH_PROPERTIES), s.c.value.is_not(None))):
        record.values.setdefault(prop, []).append(value)
    return record


def explain(conn: Connection, case_id: int, a: int, b: int) -> Explanation:
    run = latest_run(conn, case_id)
    left, right = load_record(conn, case_id, a), load_record(conn, case_id, b)
    model_json = json.loads(run.model_json)
    labels = model.level_labels(model_json)
    prior = model_json.get("probability_two_random_records_match", 0.0001)
    stored = pair_row(conn, run.pairs_run_id, a, b)
    if stored is not None:
        detail = json.loads(stored.detail_json)
        weight, probability, held = stored.match_weight, stored.match_probability, stored.held_reason
    else:
        scored = model.score_pair(model_json, left.features(), right.features())
        detail = {c: {"gamma": scored.get(f"gamma_{c}"), "mw": scored.get(f"mw_{c}")} for c in COMPARISONS}
        weight, probability, held = float(scored["match_weight"]), float(scored["match_probability"]), None
    steps = []
    for comparison in COMPARISONS:
        gamma = detail.get(comparison, {}).get("gamma")
        steps.append(Step(
            comparison, labels.get(comparison, {}).get(gamma, str(gamma)),
            float(detail.get(comparison, {}).get("mw") or 0.0),
            "; ".join(v for p in SHOWN[comparison] for v in left.values.get(p, [])),
            "; ".join(v for p in SHOWN[comparison] for v in right.values.get(p, [])),
        ))
    entities = entity_of(conn, run.id)
    judgement = latest_judgements(conn, case_id).get((min(a, b), max(a, b)))
    return Explanation(a, b, entities.get(a), entities.get(b), math.log2(prior / (1 - prior)), steps,
                       weight, probability, stored is not None, held, judgement,
                       {a: left.source_path, b: right.source_path})


@dataclass(frozen=True)
class QueueItem:
    a: int
    b: int
    match_probability: float
    why: str
    priority: float


def review_queue(conn: Connection, case_id: int, limit: int = 20) -> list[QueueItem]:
    """Undecided pairs, the most consequential first: held joins, then pairs near the
    threshold, weighted by how many records the decision would move."""
    run = latest_run(conn, case_id)
    decided = latest_judgements(conn, case_id)
    entities = entity_of(conn, run.id)
    sizes: dict[str, int] = {}
    for entity in entities.values():
        sizes[entity] = sizes.get(entity, 0) + 1
    p = tables.resolution_pairs
    items: list[QueueItem] = []
    for row in conn.execute(select(p).where(p.c.run_id == run.pairs_run_id)):
        key = (row.record_a, row.record_b)
        if key in decided:  # decided, or marked unsure: not asked again
            continue
        ea, eb = entities.get(row.record_a), entities.get(row.record_b)
        impact = sizes.get(ea or "", 1) + (sizes.get(eb or "", 1) if ea != eb else 0)
        if row.held_reason:
            items.append(QueueItem(row.record_a, row.record_b, row.match_probability,
                                   f"held by the over-merge guard: {row.held_reason}", 2.0 * impact))
            continue
        closeness = 1.0 - min(abs(row.match_weight - _threshold_weight(run.threshold)) / 10.0, 1.0)
        if closeness <= 0.3:
            continue
        state = "linked" if ea == eb else "kept apart"
        items.append(QueueItem(row.record_a, row.record_b, row.match_probability,
                               f"{state} at probability {row.match_probability:.2f}, near the "
                               f"threshold {run.threshold:.2f}", closeness * impact))
    items.sort(key=lambda i: -i.priority)
    return items[:limit]


def _threshold_weight(probability: float) -> float:
    return math.log2(probability / (1 - probability))

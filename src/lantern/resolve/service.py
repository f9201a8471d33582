"""Resolution runs over the store: score, cluster, keep; explain, judge, and the review queue.

A run reads the case's Person records, scores candidate pairs with the Splink model, clusters
them (records carrying one id in one source system are one person; analysts' judgements win
over the model; the over-merge guard holds impossible joins) and stores the run with its
model JSON, clusters and scored pairs. Nothing in the records is changed. A judgement
re-clusters at once from the stored pairs, and every later run applies it again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from lantern.errors import LanternError
from lantern.resolve import model, objects
from lantern.resolve.cluster import Clusters, cluster
from lantern.resolve.features import PersonRecord, person_records
from lantern.store import tables
from lantern.store.bulk import bulk_insert
from lantern.store.workspace import inserted_id, utcnow

DEFAULT_THRESHOLD = 0.9
DECISIONS = ("same", "different", "unsure")
ENGINES = ("duckdb", "spark")
COMPARISONS = model.COMPARISON_NAMES
runs, clusters_t, pairs_t, judged = (tables.resolution_runs, tables.resolution_clusters,
                                     tables.resolution_pairs, tables.judgements)


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    records: int
    entities: int
    pairs: int
    held: int
    seconds: float


def latest_judgements(conn: Connection, case_id: int) -> dict[tuple[int, int], str]:
    """The latest decision on each judged pair (earlier ones are kept, but superseded)."""
    out: dict[tuple[int, int], str] = {}
    for row in conn.execute(select(judged.c.record_a, judged.c.record_b, judged.c.decision)
                            .where(judged.c.case_id == case_id).order_by(judged.c.id)):
        out[_key(row.record_a, row.record_b)] = row.decision
    return out


def _key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _cluster(records: list[PersonRecord], pairs: Iterable[dict[str, Any]], threshold: float,
             decisions: dict[tuple[int, int], str]) -> Clusters:
    same_id: dict[tuple[str, str], list[int]] = {}
    for record in records:
        if record.source_record_id:
            same_id.setdefault((record.namespace, record.source_record_id), []).append(record.record_id)
    dob_of = {r.record_id: d for r in records if (d := r.first("dob")) and len(d) == 10}
    return cluster(
        [r.record_id for r in records], threshold=threshold, pairs=pairs,
        same_system_id=same_id.values(), dob_of=dob_of,
        judged_same=[k for k, d in decisions.items() if d == "same"],
        judged_different=[k for k, d in decisions.items() if d == "different"],
    )


def _detail(pair: dict[str, Any]) -> str:
    """Per comparison: the level that fired (gamma) and its match weight (log2 Bayes factor)."""
    return json.dumps({c: {"gamma": pair.get(f"gamma_{c}"), "mw": pair.get(f"mw_{c}")}
                       for c in COMPARISONS}, separators=(",", ":"))


def _store_run(conn: Connection, case_id: int, user: str, *, engine: str, threshold: float,
               model_json: dict[str, Any], stats: dict[str, Any], result: Clusters, started: datetime,
               pairs_run_id: int | None = None) -> int:
    run_id = inserted_id(conn.execute(insert(runs).values(
        case_id=case_id, schema="Person", algorithm_version=model.ALGORITHM_VERSION, engine=engine,
        threshold=threshold, pairs_run_id=pairs_run_id, model_json=json.dumps(model_json),
        stats_json=json.dumps(stats), run_by=user, started_at=started, finished_at=utcnow())))
    bulk_insert(conn, clusters_t, ("run_id", "record_id", "entity_id"),
                [(run_id, record, entity) for record, entity in result.entity_of.items()])
    return run_id


def resolve_people(conn: Connection, case_id: int, user: str, *, engine: str = "duckdb",
                   threshold: float = DEFAULT_THRESHOLD) -> RunSummary:
    """Score, cluster and store a new run for the case's Person records."""
    if engine not in ENGINES:
        raise LanternError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if not 0.0 < threshold < 1.0:
        raise LanternError("--threshold must be a probability between 0 and 1")
    started, clock = utcnow(), time.perf_counter()
    records = list(person_records(conn, case_id))
    if len(records) < 2:
        raise LanternError("the case holds fewer than two Person records: nothing to resolve")
    scored = model.score([r.features() for r in records], engine=engine)
    result = _cluster(records, scored.pairs, threshold, latest_judgements(conn, case_id))
    entities = len(set(result.entity_of.values()))
    stats = {"records": len(records), "entities": entities, "pairs": len(scored.pairs),
             "held": len(result.held)}
    run_id = _store_run(conn, case_id, user, engine=engine, threshold=threshold, model_json=scored.model,
                        stats=stats, result=result, started=started)
    held = {_key(h.a, h.b): h.reason for h in result.held}
    bulk_insert(conn, pairs_t, ("run_id", "record_a", "record_b", "match_weight", "match_probability",
                                "detail_json", "held_reason"),
                [(run_id, *_key(int(p["unique_id_l"]), int(p["unique_id_r"])), float(p["match_weight"]),
                  float(p["match_probability"]), _detail(p),
                  held.get(_key(int(p["unique_id_l"]), int(p["unique_id_r"]))))
                 for p in scored.pairs])
    conn.execute(runs.update().where(runs.c.id == run_id).values(pairs_run_id=run_id))
    return RunSummary(run_id, len(records), entities, len(scored.pairs), len(result.held),
                      time.perf_counter() - clock)


def resolve_all_objects(conn: Connection, case_id: int, user: str) -> list[objects.ObjectRun]:
    """A deterministic run for each object and place type present in the case."""
    done = []
    for schema in objects.OBJECT_SCHEMAS:
        started = utcnow()
        entity_of_record = objects.resolve_objects(conn, case_id, schema)
        if not entity_of_record:
            continue
        entities = len(set(entity_of_record.values()))
        run_id = inserted_id(conn.execute(insert(runs).values(
            case_id=case_id, schema=schema, algorithm_version=objects.ALGORITHM_VERSION,
            engine="deterministic", threshold=1.0, model_json=json.dumps({"keys": objects.KEYS.get(
                schema, ["postcode", "address"])}), stats_json=json.dumps(
                {"records": len(entity_of_record), "entities": entities}),
            run_by=user, started_at=started, finished_at=utcnow())))
        bulk_insert(conn, clusters_t, ("run_id", "record_id", "entity_id"),
                    [(run_id, record, entity) for record, entity in entity_of_record.items()])
        done.append(objects.ObjectRun(schema, len(entity_of_record), entities, run_id))
    return done


def audited_runs(person: RunSummary, by_key: list[objects.ObjectRun]) -> list[str]:
    """What one `lantern resolve` made, for its audit event: the person run and every object run."""
    return [f"resolution:{person.run_id}", *(f"resolution:{o.run_id}" for o in by_key)]


def latest_run(conn: Connection, case_id: int, schema: str = "Person") -> Any:
    row = conn.execute(select(runs).where(runs.c.case_id == case_id, runs.c.schema == schema)
                       .order_by(runs.c.id.desc()).limit(1)).first()
    if row is None:
        raise LanternError("no resolution yet in this case: run `lantern resolve` first")
    return row


def scored_pairs(conn: Connection, pairs_run_id: int) -> list[dict[str, Any]]:
    return [
        {"unique_id_l": r.record_a, "unique_id_r": r.record_b, "match_weight": r.match_weight,
         "match_probability": r.match_probability}
        for r in conn.execute(select(pairs_t.c.record_a, pairs_t.c.record_b, pairs_t.c.match_weight,
                                     pairs_t.c.match_probability).where(pairs_t.c.run_id == pairs_run_id))
    ]


def record_judgement(conn: Connection, case_id: int, a: int, b: int, decision: str, reason: str,
                     user: str) -> RunSummary:
    """Store an attributed judgement and re-cluster from the latest run's pairs at once."""
    if decision not in DECISIONS:
        raise LanternError(f"decision must be one of {', '.join(DECISIONS)}")
    if not reason.strip():
        raise LanternError("a judgement needs a reason (--reason)")
    if a == b:
        raise LanternError("a judgement needs two different records")
    found = set(conn.scalars(select(tables.records.c.id).where(
        tables.records.c.id.in_((a, b)), tables.records.c.case_id == case_id,
        tables.records.c.schema == "Person")))
    missing = [str(x) for x in (a, b) if x not in found]
    if missing:
        raise LanternError(f"no Person record {', '.join(missing)} in this case")
    run = latest_run(conn, case_id)
    conn.execute(insert(judged).values(case_id=case_id, record_a=min(a, b), record_b=max(a, b),
                                       decision=decision, reason=reason.strip(), username=user, at=utcnow()))
    started, clock = utcnow(), time.perf_counter()
    records = list(person_records(conn, case_id))
    result = _cluster(records, scored_pairs(conn, run.pairs_run_id), run.threshold,
                      latest_judgements(conn, case_id))
    entities = len(set(result.entity_of.values()))
    stats = {"records": len(records), "entities": entities, "held": len(result.held),
             "after_judgement": [a, b, decision]}
    run_id = _store_run(conn, case_id, user, engine=run.engine, threshold=run.threshold,
                        model_json=json.loads(run.model_json), stats=stats, result=result,
                        started=started, pairs_run_id=run.pairs_run_id)
    return RunSummary(run_id, len(records), entities, 0, len(result.held), time.perf_counter() - clock)


def entity_of(conn: Connection, run_id: int) -> dict[int, str]:
    return {int(r.record_id): r.entity_id for r in conn.execute(
        select(clusters_t.c.record_id, clusters_t.c.entity_id).where(clusters_t.c.run_id == run_id))}


def clusters_rows(conn: Connection, case_id: int) -> Iterable[dict[str, Any]]:
    """source, record_id, entity_id for every Person record of the latest run."""
    run = latest_run(conn, case_id)
    r, src = tables.records, tables.sources
    query = (select(src.c.file_path, r.c.source_record_id, r.c.id, r.c.row_number, r.c.alias,
                    clusters_t.c.entity_id)
             .join(r, r.c.id == clusters_t.c.record_id).join(src, src.c.id == r.c.source_id)
             .where(clusters_t.c.run_id == run.id).order_by(r.c.id))
    for row in conn.execute(query):
        yield {"source": row.file_path,
               "record_id": row.source_record_id or f"row {row.row_number} ({row.alias})",
               "entity_id": row.entity_id, "lantern_record": row.id}


def pair_row(conn: Connection, pairs_run_id: int, a: int, b: int) -> Any:
    lo, hi = _key(a, b)
    return conn.execute(select(pairs_t).where(pairs_t.c.run_id == pairs_run_id, pairs_t.c.record_a == lo,
                                              pairs_t.c.record_b == hi)).first()

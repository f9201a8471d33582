"""Extraction scored against the generator's truth: precision and recall per kind."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from sqlalchemy import Connection, select

from lantern.store import tables
from lantern.text.store import latest_run

KINDS = ("phone", "vrm", "person", "nickname", "premises")


def _key(kind: str, value: str) -> str:
    return " ".join(value.casefold().removeprefix("the ").split())


def truth_mentions(scenario: Path) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(file, record ref) -> {(kind, value)} the generator wrote into that record's text."""
    out: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    with (scenario / "truth" / "text_mentions.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[(row["source"], row["record_id"])].add((row["kind"], _key(row["kind"], row["value"])))
    return out


def found_mentions(conn: Connection, case_id: int) -> dict[tuple[str, str], set[tuple[str, str]]]:
    run = latest_run(conn, case_id)
    m, r, s = tables.text_mentions, tables.records, tables.sources
    out: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    rows = conn.execute(select(s.c.file_path, r.c.source_record_id, m.c.kind, m.c.normalised)
                        .join(r, r.c.id == m.c.record_id).join(s, s.c.id == r.c.source_id)
                        .where(m.c.run_id == run, m.c.kind.in_(KINDS)))
    for path, ref, kind, value in rows:
        out[(path.split("scenario/", 1)[-1], ref)].add((kind, _key(kind, value)))
    return out


def scores(truth: dict, found: dict) -> dict[str, tuple[float, float, int, int]]:
    """kind -> (precision, recall, true, found), over the event exports the truth covers."""
    files = {f for f, _ in truth}
    tp: dict[str, int] = defaultdict(int)
    n_found: dict[str, int] = defaultdict(int)
    n_true: dict[str, int] = defaultdict(int)
    for key in set(truth) | {k for k in found if k[0] in files}:
        want, got = truth.get(key, set()), found.get(key, set())
        for kind, _ in want:
            n_true[kind] += 1
        for kind, _ in got:
            n_found[kind] += 1
        for kind, _ in want & got:
            tp[kind] += 1
    return {k: (tp[k] / n_found[k] if n_found[k] else 0.0, tp[k] / n_true[k] if n_true[k] else 0.0,
                n_true[k], n_found[k]) for k in KINDS}

"""Which planted group each intelligence report is about, and how well a ranking keeps a group's
reports together: the generator's truth joined to the workspace (subject-of links)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, select

from lantern.store import tables
from lantern.text.similar import Report, rank_similar


def report_groups(conn: Connection, case_id: int, scenario: Path) -> dict[int, frozenset[str]]:
    """Intelligence record id -> the planted groups of its subject (empty: background)."""
    truth = scenario / "truth"
    with (truth / "record_to_person.csv").open(encoding="utf-8") as fh:
        person_of = {(row["source"], row["record_id"]): row["person_id"] for row in csv.DictReader(fh)}
    groups_of: dict[str, set[str]] = defaultdict(set)
    with (truth / "groups.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            groups_of[row["person_id"]].add(row["group_id"])
    r, lk, src = tables.records, tables.links, tables.sources
    subject = r.alias("subject")
    out: dict[int, frozenset[str]] = {}
    for report, path, ref in conn.execute(
            select(lk.c.to_record_id, src.c.file_path, subject.c.source_record_id)
            .join(subject, subject.c.id == lk.c.from_record_id).join(src, src.c.id == subject.c.source_id)
            .join(r, r.c.id == lk.c.to_record_id)
            .where(lk.c.case_id == case_id, lk.c.type == "subject-of", r.c.schema == "IntelligenceReport")):
        person = person_of.get((str(path).split("scenario/", 1)[-1], str(ref)))
        if person is not None:
            out[int(report)] = frozenset(groups_of.get(person, ()))
    return out


def group_auc(reports: list[Report], groups: dict[int, frozenset[str]], method: str,
              encoder: Callable[[list[str]], np.ndarray] | None = None) -> tuple[float, int]:
    """Mean, over intelligence reports about a group, of the chance that another report about the
    same group ranks above a report about another group or none (ties count half); and how many
    queries that mean is over. 0.5 is chance."""
    aucs = []
    for query, mine in sorted(groups.items()):
        if not mine:
            continue
        kwargs = {"encoder": encoder} if encoder is not None else {}
        ranking = rank_similar(reports, record_id=query, limit=len(reports), method=method, **kwargs)
        score = {h.report.record_id: h.score for h in ranking.hits}
        same = [score.get(rid, 0.0) for rid, g in groups.items() if rid != query and g & mine]
        other = [score.get(rid, 0.0) for rid, g in groups.items() if rid != query and not g & mine]
        if not same or not other:
            continue
        a, b = np.asarray(same)[:, None], np.asarray(other)[None, :]
        aucs.append(float(((a > b).sum() + 0.5 * (a == b).sum()) / (a.size * b.size)))
    return (float(np.mean(aucs)) if aucs else 0.0), len(aucs)

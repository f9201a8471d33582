"""Retention: review dates from a policy file, recorded decisions, legal holds, disposal.

A decision to retain needs a rationale (an unrecorded retention is not a decision). Disposal
erases a case's sources, records, statements, links and quarantine in one transaction with
an ERASE audit event carrying ids and counts only, never content; a legal hold refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy import Connection, delete, func, insert, select, update

from lantern.errors import LanternError
from lantern.store import tables

DECISIONS = ("retain", "dispose")


@dataclass(frozen=True)
class RetentionPolicy:
    default_category: str
    years: dict[str, int]

    @classmethod
    def load(cls, path: Path | None = None) -> RetentionPolicy:
        text = (
            path.read_text(encoding="utf-8")
            if path
            else resources.files("lantern.security")
            .joinpath("retention.yaml")
            .read_text(encoding="utf-8")
        )
        doc = yaml.safe_load(text)
        years = {name: int(spec["review_after_years"]) for name, spec in doc["categories"].items()}
        return cls(doc["default_category"], years)

    def review_date(self, category: str | None, created: date) -> date:
        name = category or self.default_category
        if name not in self.years:
            raise LanternError(
                f"unknown case category {name!r}; the policy has: {', '.join(self.years)}"
            )
        years = self.years[name]
        try:
            return created.replace(year=created.year + years)
        except ValueError:  # 29 February
            return created.replace(year=created.year + years, day=28)


def due_for_review(conn: Connection, today: date) -> list[tuple[str, date]]:
    c = tables.cases
    rows = conn.execute(
        select(c.c.name, c.c.review_date).where(c.c.review_date <= today).order_by(c.c.review_date)
    )
    return [(row.name, row.review_date) for row in rows]


def record_decision(
    conn: Connection,
    case_id: int,
    decision: str,
    rationale: str,
    user: str,
    next_review: date | None,
    now: object,
) -> None:
    if decision not in DECISIONS:
        raise LanternError(f"decision must be one of {', '.join(DECISIONS)}")
    if not rationale or not rationale.strip():
        raise LanternError("a retention decision needs a rationale (--rationale)")
    if decision == "retain" and next_review is None:
        raise LanternError("a decision to retain needs the next review date (--next-review)")
    conn.execute(
        insert(tables.retention_decisions).values(
            case_id=case_id,
            decision=decision,
            rationale=rationale.strip(),
            next_review=next_review,
            decided_by=user,
            decided_at=now,
        )
    )
    if decision == "retain":
        conn.execute(
            update(tables.cases).where(tables.cases.c.id == case_id).values(review_date=next_review)
        )


def dispose_case(conn: Connection, case_id: int) -> dict[str, int]:
    """Erase a case's data (not its audit trail); returns what was erased, by table."""
    r = tables.records
    record_ids = select(r.c.id).where(r.c.case_id == case_id)
    counts: dict[str, int] = {}
    networks = select(tables.network_runs.c.id).where(tables.network_runs.c.case_id == case_id)
    for derived in (tables.network_edges, tables.network_groups):
        counts[derived.name] = conn.execute(delete(derived).where(derived.c.run_id.in_(networks))).rowcount
    counts["network_runs"] = conn.execute(delete(tables.network_runs)
                                          .where(tables.network_runs.c.case_id == case_id)).rowcount
    text_runs = select(tables.text_runs.c.id).where(tables.text_runs.c.case_id == case_id)
    counts["text_mentions"] = conn.execute(delete(tables.text_mentions)
                                           .where(tables.text_mentions.c.run_id.in_(text_runs))).rowcount
    counts["text_runs"] = conn.execute(delete(tables.text_runs)
                                       .where(tables.text_runs.c.case_id == case_id)).rowcount
    runs = select(tables.resolution_runs.c.id).where(tables.resolution_runs.c.case_id == case_id)
    for derived in (tables.resolution_clusters, tables.resolution_pairs):
        counts[derived.name] = conn.execute(
            delete(derived).where(derived.c.run_id.in_(runs))
        ).rowcount
    counts["resolution_runs"] = conn.execute(
        delete(tables.resolution_runs).where(tables.resolution_runs.c.case_id == case_id)
    ).rowcount
    counts["judgements"] = conn.execute(
        delete(tables.judgements).where(tables.judgements.c.case_id == case_id)
    ).rowcount
    counts["statements"] = conn.execute(
        delete(tables.statements).where(tables.statements.c.record_id.in_(record_ids))
    ).rowcount
    for table in (tables.links, tables.quarantine, tables.records, tables.sources):
        counts[table.name] = conn.execute(delete(table).where(table.c.case_id == case_id)).rowcount
    conn.execute(update(tables.cases).where(tables.cases.c.id == case_id).values(status="closed"))
    return counts


def case_size(conn: Connection, case_id: int) -> int:
    return int(
        conn.scalar(
            select(func.count())
            .select_from(tables.records)
            .where(tables.records.c.case_id == case_id)
        )
        or 0
    )

"""Consistency across forces: the rates a national review compares, per force, with outliers.

Every rate is a recording or handling rate, computed from the records each force exported:

- suspect ethnicity / nationality recorded: share of named-suspect rows on crimes (one per
  suspect on a crime) whose suspect record carries the value. Data quality only: no value is
  read, compared or used to rank anyone.
- victims' ages recorded: share of crimes with a victim where a victim record on the crime
  carries a date of birth or an age.
- outcome mix: share of crimes charged (or summonsed), closed with no further action (the
  NFA outcomes), ongoing, and other (cautions, community resolutions...).
- median days from report to outcome, over crimes with both dates.
- victim-blaming flags per 100 narrative records: records of the force with free text that
  the latest `lantern extract` run flagged with language of concern.

Outlier rule: a force's rate is an outlier when it lies more than ``OUTLIER_MADS`` median
absolute deviations from the median of all forces (MAD scaled by 1.4826 to be comparable to a
standard deviation); with fewer than three forces, or a MAD of zero, nothing is marked.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.plotting import check_path, plt, save
from lantern.review.facts import CHARGED_OUTCOMES, NFA_OUTCOMES, concern_mentions, load_facts
from lantern.store import tables

OUTLIER_MADS = 2.0
MAD_SCALE = 1.4826
NARRATIVE_PROPS = ("summary", "text", "notes", "return_interview", "description", "concern")
# The rates compared and marked, with a label for tables and charts.
METRICS: dict[str, str] = {
    "suspect_ethnicity_recorded": "suspect ethnicity recorded",
    "suspect_nationality_recorded": "suspect nationality recorded",
    "victim_age_recorded": "victim age recorded",
    "charged": "charged",
    "no_further_action": "no further action",
    "ongoing": "ongoing",
    "median_days_to_outcome": "median days to outcome",
    "blaming_per_100": "victim-blaming flags per 100 narratives",
}


@dataclass
class ForceRates:
    force: str
    crimes: int
    suspect_rows: int
    victim_crimes: int
    narratives: int
    rates: dict[str, float | None] = field(default_factory=dict)
    outliers: dict[str, str] = field(default_factory=dict)  # metric -> 'high' | 'low'


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _days(start: str, end: str) -> int | None:
    try:
        return (date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days
    except ValueError:
        return None


def force_rates(conn: Connection, case_id: int) -> list[ForceRates]:
    """Per force that exported crimes: the review's rates, with outliers marked."""
    facts = load_facts(conn, case_id)
    by_force: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for crime in facts.crimes:
        by_force[crime.force].append(crime)
    narratives, flagged = _narratives(conn, case_id, facts.force_of_source)
    out = []
    for force, crimes in sorted(by_force.items()):
        suspect_rows = [p for c in crimes for p in c.suspects]
        with_victim = [c for c in crimes if c.victims]
        aged = sum(any({"dob", "age"} & set(facts.values.get(v, {})) for v in c.victims) for c in with_victim)
        outcomes = [c.outcome for c in crimes if c.outcome]
        days = [d for c in crimes if (d := _days(c.values.get("reported_date", ""), c.values.get("outcome_date", "")))
                is not None]
        rates: dict[str, float | None] = {
            "suspect_ethnicity_recorded": _share(sum("ethnicity" in facts.values.get(p, {}) for p in suspect_rows),
                                                 len(suspect_rows)),
            "suspect_nationality_recorded": _share(sum("nationality" in facts.values.get(p, {})
                                                       for p in suspect_rows), len(suspect_rows)),
            "victim_age_recorded": _share(aged, len(with_victim)),
            "charged": _share(sum(o in CHARGED_OUTCOMES for o in outcomes), len(outcomes)),
            "no_further_action": _share(sum(o in NFA_OUTCOMES for o in outcomes), len(outcomes)),
            "ongoing": _share(sum(o == "ongoing" for o in outcomes), len(outcomes)),
            "other_outcome": _share(sum(o not in CHARGED_OUTCOMES | NFA_OUTCOMES | {"ongoing"} for o in outcomes),
                                    len(outcomes)),
            "median_days_to_outcome": float(statistics.median(days)) if days else None,
            "blaming_per_100": None if flagged is None or not narratives.get(force)
            else 100.0 * flagged.get(force, 0) / narratives[force],
        }
        out.append(ForceRates(force, len(crimes), len(suspect_rows), len(with_victim), narratives.get(force, 0), rates))
    mark_outliers(out)
    return out


def _narratives(conn: Connection, case_id: int, force_of_source: dict[int, str]
                ) -> tuple[dict[str, int], dict[str, int] | None]:
    """force -> records with free text; force -> those flagged with victim-blaming language
    (None when the case has no text extraction yet)."""
    r, s = tables.records, tables.statements
    source_of: dict[int, int] = {}
    for record, source in conn.execute(
            select(r.c.id, r.c.source_id).join(s, s.c.record_id == r.c.id)
            .where(r.c.case_id == case_id, s.c.prop.in_(NARRATIVE_PROPS), s.c.value.is_not(None)).distinct()):
        source_of[int(record)] = int(source)
    count: dict[str, int] = defaultdict(int)
    for source in source_of.values():
        count[force_of_source.get(source, "")] += 1
    concerns = concern_mentions(conn, case_id)
    if concerns is None:
        return dict(count), None
    flagged: dict[str, int] = defaultdict(int)
    for record in concerns:
        if record in source_of:
            flagged[force_of_source.get(source_of[record], "")] += 1
    return dict(count), dict(flagged)


def mark_outliers(rates: list[ForceRates], mads: float = OUTLIER_MADS) -> None:
    """Mark each rate more than ``mads`` scaled MADs from the forces' median (see module doc)."""
    for metric in METRICS:
        values = [(f, f.rates.get(metric)) for f in rates]
        known = [v for _, v in values if v is not None]
        if len(known) < 3:
            continue
        middle = statistics.median(known)
        mad = MAD_SCALE * statistics.median(abs(v - middle) for v in known)
        if mad == 0:
            continue
        for force, value in values:
            if value is not None and abs(value - middle) > mads * mad:
                force.outliers[metric] = "high" if value > middle else "low"


def consistency_chart(rates: list[ForceRates], path: Path) -> Path:
    """Bar charts, one panel per rate, a bar per force; outliers in a warning colour."""
    check_path(path)
    if not rates:
        raise LanternError("no crimes in this case: nothing to compare across forces")
    metrics = [m for m in METRICS if any(f.rates.get(m) is not None for f in rates)]
    cols = 3
    rows = (len(metrics) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    names = [f.force for f in rates]
    for ax, metric in zip(axes.flat, metrics, strict=False):
        values = [f.rates.get(metric) or 0.0 for f in rates]
        scale = 1.0 if metric in ("median_days_to_outcome", "blaming_per_100") else 100.0
        colours = ["#c0392b" if metric in f.outliers else "#2c7fb8" for f in rates]
        ax.bar(range(len(rates)), [v * scale for v in values], color=colours)
        ax.set_xticks(range(len(rates)), [n.replace(" ", "\n", 1) for n in names], fontsize=7)
        ax.set_title(METRICS[metric] + (" (%)" if scale == 100.0 else ""), fontsize=9)
        for i, f in enumerate(rates):
            if f.rates.get(metric) is None:
                ax.text(i, 0, "n/a", ha="center", va="bottom", fontsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    fig.suptitle(f"Consistency across forces (red: more than {OUTLIER_MADS:g} MADs from the median)", fontsize=10)
    return save(fig, path)

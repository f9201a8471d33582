"""`lantern review`: the case review a national review panel runs.

Three sections: checklist findings (grouped by rule), closed cases worth reopening (ranked,
with the linking evidence) and consistency across forces (outliers marked). With none of
--findings, --reopen or --forces, all three are shown. Victims appear only as keyed
pseudonyms; suspects by their entity ids.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer

from lantern.commands.context import session_of
from lantern.errors import LanternError
from lantern.export.tabular import write_csv
from lantern.output import console, table_of
from lantern.plotting import check_path
from lantern.review import (
    Finding,
    ForceRates,
    Lead,
    cases_to_reopen,
    consistency_chart,
    force_rates,
    load_checklist,
    not_checked,
    review_cases,
)
from lantern.review.checklist import NotChecked
from lantern.review.consistency import METRICS, OUTLIER_MADS
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser

CSV_COLUMNS = ("section", "rule_or_rank", "title_or_score", "crime_or_force", "force_or_metric", "detail", "records")
PERCENT = ("suspect_ethnicity_recorded", "suspect_nationality_recorded", "victim_age_recorded", "charged",
           "no_further_action", "ongoing")


class Scrub:
    """Victims' identifiers replaced in whole words only: the review's own sentences ("evidential
    difficulties") must not be cut by a short name part matching inside a word."""

    def __init__(self, pseudonymiser: Pseudonymiser) -> None:
        self.pseudonymiser = pseudonymiser

    def __call__(self, text: str) -> str:
        return self.pseudonymiser.scrub(text, whole_words=True) or text


def finding_text(f: Finding, pseudonymiser: Pseudonymiser, scrub: Scrub) -> str:
    victims = ", ".join(pseudonymiser.token("victim", v) for v in f.victims)
    detail = scrub(f.detail)
    return f"{detail} (victim {victims})" if victims else detail


def shown_rate(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.0f}%" if metric in PERCENT else f"{value:.1f}"


def review(
    ctx: typer.Context,
    findings: Annotated[bool, typer.Option("--findings", help="Show the checklist findings.")] = False,
    reopen: Annotated[bool, typer.Option("--reopen", help="Show closed cases worth reopening.")] = False,
    forces: Annotated[bool, typer.Option("--forces", help="Show consistency across forces.")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many findings per rule, and leads.")] = 10,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write every finding, lead and force rate to this "
                                                                "CSV file (victims pseudonymised).")] = None,
    chart: Annotated[Path | None, typer.Option(help="Draw the force consistency bar charts to this PNG or SVG.")] = None,
) -> None:
    """Case review: checklist findings, closed cases worth reopening, consistency across forces.

    With none of --findings, --reopen, --forces, all three. Reopen leads need `lantern
    network`; the victim-blaming rule needs `lantern extract`. Protected characteristics are
    reported only as recording rates, never used to rank.
    """
    if limit < 0:
        raise LanternError("--limit must be 0 or more")
    if chart is not None:
        check_path(chart)
        if not chart.parent.is_dir() and str(chart.parent):
            raise LanternError(f"cannot write {chart}: no folder {chart.parent}")
    everything = not (findings or reopen or forces)
    session = session_of(ctx)
    with session.case_action(Permission.READ, "review", "CONSULT") as (conn, case, note):
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        found = review_cases(conn, case.id) if findings or everything else []
        skipped = not_checked(conn, case.id) if findings or everything else []
        leads = cases_to_reopen(conn, case.id) if reopen or everything else []
        rates = force_rates(conn, case.id) if forces or everything or chart else []
        scrub = Scrub(pseudonymiser)
        finding_rows = [(f, finding_text(f, pseudonymiser, scrub)) for f in found]
        lead_rows = [(lead, [scrub(e.text) for e in lead.evidence]) for lead in leads]
        note.objects = sorted({p for f in found for p in f.people} | {s for lead in leads for s in lead.suspects})
        note.detail = {"checklist": load_checklist().version, "findings": len(found), "leads": len(leads),
                       "forces": len(rates), "file": csv_out.name if csv_out else None,
                       "chart": chart.name if chart else None}
    if findings or everything:
        _print_findings(finding_rows, skipped, limit)
    if reopen or everything:
        _print_leads(lead_rows, limit)
    if forces or everything:
        _print_forces(rates)
    if chart is not None:
        console.print(f"Chart: {consistency_chart(rates, chart)}")
    if csv_out is not None:
        write_csv(csv_out, _csv_rows(finding_rows, lead_rows, rates), CSV_COLUMNS)
        console.print(f"Wrote {len(found):,} findings, {len(leads):,} leads and {len(rates):,} forces to {csv_out} "
                      "(victims pseudonymised)")


def _print_findings(rows: list[tuple[Finding, str]], skipped: list[NotChecked], limit: int) -> None:
    checklist = load_checklist()
    by_rule: dict[str, list[tuple[Finding, str]]] = defaultdict(list)
    for f, text in rows:
        by_rule[f.rule].append((f, text))
    console.print(f"[bold]Case review[/] against checklist {checklist.version}: {len(rows):,} findings")
    console.print(table_of("Findings by rule", ("rule", "severity", "findings", "crimes", "forces"),
                           ((r.title, r.severity, str(len(by_rule.get(r.id, []))),
                             str(len({f.crime for f, _ in by_rule.get(r.id, [])})),
                             ", ".join(sorted({f.force for f, _ in by_rule.get(r.id, [])})) or "-")
                            for r in checklist.rules if r.checkable)))
    for rule in checklist.rules:
        shown = by_rule.get(rule.id, [])[:limit]
        if shown:
            console.print(table_of(f"{rule.title} ({len(shown)} of {len(by_rule[rule.id])}): {rule.why}",
                                   ("crime", "force", "finding", "records"),
                                   ((f.crime, f.force, text, ", ".join(str(r) for r in f.records[:8]))
                                    for f, text in shown)))
    for item in skipped:
        console.print(f"[yellow]Not checked[/]: {item.title}: {item.reason}")


def _print_leads(rows: list[tuple[Lead, list[str]]], limit: int) -> None:
    shown = rows[:limit]
    console.print(table_of(
        f"Closed cases worth reopening (showing {len(shown)} of {len(rows)}): linked to an active group "
        "(organised network in the latest `lantern network`) or to other victims; ranked by evidence weight",
        ("rank", "crime", "force", "outcome", "score", "groups", "evidence"),
        ((str(lead.rank), lead.crime, lead.force, lead.outcome.replace("_", " "), f"{lead.score:g}",
          ", ".join(lead.groups) or "-", str(len(lead.evidence))) for lead, _ in shown)))
    for lead, texts in shown:
        console.print(f"[bold]#{lead.rank} {lead.crime}[/] ({lead.force}): lines of enquiry", highlight=False)
        for e, text in zip(lead.evidence, texts, strict=True):
            console.print(f"  - {text} [records {', '.join(str(r) for r in e.records[:6])}]",
                          markup=False, highlight=False)


def _print_forces(rates: list[ForceRates]) -> None:
    metrics = list(METRICS)

    def cell(f: ForceRates, m: str) -> str:
        mark = {"high": " ▲", "low": " ▼"}.get(f.outliers.get(m, ""), "")
        return shown_rate(m, f.rates.get(m)) + mark

    console.print(table_of(
        f"Consistency across forces (▲▼: more than {OUTLIER_MADS:g} median absolute deviations from the forces' "
        "median); recording rates of protected characteristics are data quality only",
        ("force", "crimes", *(METRICS[m] for m in metrics)),
        ((f.force, str(f.crimes), *(cell(f, m) for m in metrics)) for f in rates)))


def _csv_rows(findings: list[tuple[Finding, str]], leads: list[tuple[Lead, list[str]]],
              rates: list[ForceRates]) -> list[list[str]]:
    rows = [["finding", f.rule, f.title, f.crime, f.force, text, " ".join(str(r) for r in f.records)]
            for f, text in findings]
    rows += [["reopen", str(lead.rank), f"{lead.score:g}", lead.crime, lead.force, " | ".join(texts),
              " ".join(str(r) for e in lead.evidence for r in e.records)] for lead, texts in leads]
    rows += [["force", "", "", f.force, m, shown_rate(m, f.rates.get(m)) + (f" outlier {f.outliers[m]}"
                                                                       if m in f.outliers else ""), ""]
             for f in rates for m in METRICS]
    return rows

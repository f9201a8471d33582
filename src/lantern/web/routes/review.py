"""The case review: checklist findings, closed cases worth reopening, consistency across forces.

The same findings as `lantern review`, read under its operation name and permission (READ,
`review`), with victims as keyed pseudonyms and suspects by their entity ids. Recording rates
of protected characteristics are data quality only: nothing here ranks by them.
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations as objects.

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from lantern.commands.review import Scrub, finding_text, shown_rate
from lantern.review import (
    cases_to_reopen,
    consistency_chart,
    force_rates,
    load_checklist,
    not_checked,
    review_cases,
)
from lantern.review.consistency import METRICS, OUTLIER_MADS
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session
from lantern.web.context import User, WebDep

router = APIRouter()
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such case that you can access"}}


class RuleOut(BaseModel):
    id: str
    title: str
    severity: str
    why: str
    proxy: str  # what in the exports stands for the practice the rule asks about
    findings: int


class FindingOut(BaseModel):
    rule: str
    title: str
    severity: str
    crime: str
    force: str
    text: str  # victims as keyed pseudonyms
    records: list[int]


class NotCheckedOut(BaseModel):
    rule: str
    title: str
    reason: str


class EvidenceOut(BaseModel):
    kind: str
    text: str
    group: str
    records: list[int]


class LeadOut(BaseModel):
    rank: int
    crime: str
    force: str
    outcome: str
    score: float
    groups: list[str]
    evidence: list[EvidenceOut]


class RateOut(BaseModel):
    metric: str
    label: str
    value: float | None
    shown: str  # as the CLI prints it: "33%", "12.0" or "n/a"
    outlier: str | None  # 'high' or 'low': more than OUTLIER_MADS from the forces' median


class ForceOut(BaseModel):
    force: str
    crimes: int
    rates: list[RateOut]


class ReviewOut(BaseModel):
    case: str
    checklist: str
    rules: list[RuleOut]
    findings: list[FindingOut]
    not_checked: list[NotCheckedOut]
    leads: list[LeadOut]
    forces: list[ForceOut]
    outlier_mads: float


def case_review(session: Session, name: str, channel: str) -> ReviewOut:
    """Everything `lantern review` shows, inside its own checked and audited action."""
    checklist = load_checklist()
    with session.case_action(Permission.READ, "review", "CONSULT", case=name) as (conn, case, note):
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        scrub = Scrub(pseudonymiser)
        found = review_cases(conn, case.id)
        skipped = not_checked(conn, case.id)
        leads = cases_to_reopen(conn, case.id)
        rates = force_rates(conn, case.id)
        findings = [FindingOut(rule=f.rule, title=f.title, severity=f.severity, crime=f.crime,
                               force=f.force, text=finding_text(f, pseudonymiser, scrub),
                               records=list(f.records)) for f in found]
        lead_rows = [LeadOut(rank=lead.rank, crime=lead.crime, force=lead.force,
                             outcome=lead.outcome.replace("_", " "), score=lead.score, groups=lead.groups,
                             evidence=[EvidenceOut(kind=e.kind, text=scrub(e.text), group=e.group,
                                                   records=list(e.records)) for e in lead.evidence])
                     for lead in leads]
        note.objects = sorted({p for f in found for p in f.people} | {s for lead in leads for s in lead.suspects})
        note.detail = {"checklist": checklist.version, "findings": len(found), "leads": len(leads),
                       "forces": len(rates), "channel": channel}
    counts = {r.id: sum(1 for f in found if f.rule == r.id) for r in checklist.rules}
    return ReviewOut(
        case=case.name, checklist=checklist.version,
        rules=[RuleOut(id=r.id, title=r.title, severity=r.severity, why=r.why, proxy=r.proxy,
                       findings=counts[r.id]) for r in checklist.rules if r.checkable],
        findings=findings,
        not_checked=[NotCheckedOut(rule=n.rule, title=n.title, reason=n.reason) for n in skipped],
        leads=lead_rows,
        forces=[ForceOut(force=f.force, crimes=f.crimes, rates=[
            RateOut(metric=m, label=label, value=f.rates.get(m), shown=shown_rate(m, f.rates.get(m)),
                    outlier=f.outliers.get(m)) for m, label in METRICS.items()]) for f in rates],
        outlier_mads=OUTLIER_MADS,
    )


def consistency_png(session: Session, name: str) -> bytes:
    """The CLI's consistency chart (`lantern review --chart`), drawn for the browser."""
    with session.case_action(Permission.READ, "review", "CONSULT", case=name) as (conn, case, note):
        rates = force_rates(conn, case.id)
        note.detail = {"forces": len(rates), "chart": "consistency.png", "channel": "web"}
    with tempfile.TemporaryDirectory() as folder:  # the chart code writes files; read it back
        return consistency_chart(rates, Path(folder) / "consistency.png").read_bytes()


# ---- pages ----------------------------------------------------------------------------


@router.get("/cases/{case}/review", include_in_schema=False)
def review_page(request: Request, case: str, user: User, web: WebDep,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 20) -> HTMLResponse:
    """At most ``limit`` findings per rule, like `lantern review --limit` (the API has all)."""
    found = case_review(web.session_for(user.actor), case, "web")
    by_rule = {r.id: [f for f in found.findings if f.rule == r.id] for r in found.rules}
    return web.page(request, "review.html", {**web.base(user, found.case), "review": found,
                                             "by_rule": by_rule, "metrics": METRICS, "limit": limit})


@router.get("/cases/{case}/review/consistency.png", include_in_schema=False)
def consistency_chart_image(case: str, user: User, web: WebDep) -> Response:
    return Response(consistency_png(web.session_for(user.actor), case), media_type="image/png")


# ---- the API ------------------------------------------------------------------------


@router.get("/api/cases/{case}/review", response_model=ReviewOut, tags=["review"],
            responses=NOT_FOUND)
def api_review(case: str, user: User, web: WebDep) -> ReviewOut:
    """The case review (`lantern review`): checklist findings with their records, closed cases
    worth reopening with the evidence, and each force's rates with outliers marked."""
    return case_review(web.session_for(user.actor), case, "api")

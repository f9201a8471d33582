"""Case selection, the case dashboard and the children at risk: pages and their API."""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from lantern.commands.risk import labeller
from lantern.risk import assess
from lantern.security.policy import Permission, visible_cases
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session
from lantern.store import queries
from lantern.web.context import User, WebDep
from lantern.web.memo import MEMO

router = APIRouter()
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case that you can access"}}


class CaseOut(BaseModel):
    name: str
    status: str
    legal_hold: str | None


class SourceOut(BaseModel):
    id: int
    file_name: str
    profile_name: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    records: int
    loaded_at: str
    loaded_by: str


class CaseStatusOut(BaseModel):
    case: str
    sources: list[SourceOut]
    records_by_type: dict[str, int]
    links_by_type: dict[str, int]
    quarantine: dict[str, int]


class ReasonOut(BaseModel):
    kind: str
    weight: float
    text: str
    records: list[int]


class ChildOut(BaseModel):
    rank: int
    child: str  # a keyed pseudonym, never a name
    age: str
    score: float
    reasons: list[ReasonOut]


class ChildrenAtRiskOut(BaseModel):
    case: str
    weights: str
    network_run: int | None
    children_without_reasons: int
    children: list[ChildOut]


# ---- the data, each read inside the CLI's own checked and audited action -----------------


def my_cases(session: Session, channel: str) -> list[CaseOut]:
    with session.action(None, "case list", "CONSULT") as (conn, note):
        cases = visible_cases(conn, session.actor)
        note.objects = [f"case:{c.id}" for c in cases]
        note.detail = {"channel": channel}
    return [CaseOut(name=c.name, status=c.status, legal_hold=c.legal_hold) for c in cases]


def case_status(session: Session, name: str, channel: str) -> CaseStatusOut:
    with session.case_action(Permission.READ, "status", "CONSULT", case=name) as (conn, case, note):
        summary = queries.case_summary(conn, case.id)
        note.objects = [f"source:{s.id}" for s in summary.sources]
        note.detail = {"rendered_sha256": summary.digest(), "channel": channel}
    return CaseStatusOut(
        case=case.name,
        sources=[
            SourceOut(**{k: v for k, v in asdict(s).items() if k != "sha256"},
                      records=summary.records_by_source.get(s.id, 0))
            for s in summary.sources
        ],
        records_by_type=summary.records_by_schema,
        links_by_type=summary.links_by_type,
        quarantine=summary.quarantine,
    )


def children_at_risk(session: Session, name: str, channel: str) -> ChildrenAtRiskOut:
    """Every child with a reason, pseudonymised (the web reveals no victim's identity)."""
    with session.case_action(Permission.READ, "risk", "CONSULT", case=name) as (conn, case, note):
        assessment = MEMO.get("assessment", session.workspace.url, conn, case.id,
                              lambda: assess(conn, case.id))
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        label, scrub = labeller(assessment, pseudonymiser)
        note.objects = [c.entity for c in assessment.ranked]
        note.detail = {"children": len(assessment.ranked) + len(assessment.quiet),
                       "with_reasons": len(assessment.ranked), "weights": assessment.weights,
                       "network_run": assessment.network_run, "revealed": False,
                       "channel": channel}
        children = [
            ChildOut(rank=c.rank, child=label(c.entity), age=scrub(c.childhood.describe()),
                     score=c.score,
                     reasons=[ReasonOut(kind=r.kind, weight=r.weight, text=scrub(r.text(label)),
                                        records=list(r.records)) for r in c.reasons])
            for c in assessment.ranked
        ]
    return ChildrenAtRiskOut(case=case.name, weights=assessment.weights,
                             network_run=assessment.network_run,
                             children_without_reasons=len(assessment.quiet), children=children)


# ---- pages ----------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
def home(user: User) -> RedirectResponse:
    return RedirectResponse("/cases", status_code=303)


@router.get("/cases", include_in_schema=False)
def cases_page(request: Request, user: User, web: WebDep) -> HTMLResponse:
    cases = my_cases(web.session_for(user.actor), "web")
    return web.page(request, "cases.html", {**web.base(user), "cases": cases})


@router.get("/cases/{case}", include_in_schema=False)
def dashboard_page(request: Request, case: str, user: User, web: WebDep) -> HTMLResponse:
    status = case_status(web.session_for(user.actor), case, "web")
    rows = status.quarantine.get("row rejected", 0)
    values = status.quarantine.get("value rejected", 0)
    return web.page(request, "dashboard.html", {**web.base(user, status.case), "status": status,
                                                "rows_rejected": rows, "values_rejected": values})


@router.get("/cases/{case}/risk", include_in_schema=False)
def risk_page(request: Request, case: str, user: User, web: WebDep) -> HTMLResponse:
    found = children_at_risk(web.session_for(user.actor), case, "web")
    return web.page(request, "risk.html", {**web.base(user, found.case), "risk": found})


# ---- the API (same data, same checks; cookie or bearer token) ------------------------


@router.get("/api/cases", response_model=list[CaseOut], tags=["cases"])
def api_cases(user: User, web: WebDep) -> list[CaseOut]:
    """The cases you may read."""
    return my_cases(web.session_for(user.actor), "api")


@router.get("/api/cases/{case}/status", response_model=CaseStatusOut, tags=["cases"],
            responses=NOT_FOUND)
def api_status(case: str, user: User, web: WebDep) -> CaseStatusOut:
    """Sources, records by type, links by type and quarantine counts of a case."""
    return case_status(web.session_for(user.actor), case, "api")


@router.get("/api/cases/{case}/children-at-risk", response_model=ChildrenAtRiskOut,
            tags=["risk"], responses={**NOT_FOUND,
                                      409: {"description": "run `lantern network` first"}})
def api_risk(case: str, user: User, web: WebDep) -> ChildrenAtRiskOut:
    """Children at risk, ranked, each reason with its weight and records (pseudonymised)."""
    return children_at_risk(web.session_for(user.actor), case, "api")

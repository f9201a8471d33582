"""Search and the person profile: pages and their API (`lantern search`, `lantern profile`)."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from lantern.errors import LanternError
from lantern.lookup import KINDS, person_profile, search
from lantern.lookup.profile import Derived, UnknownPerson, stored_network
from lantern.lookup.search import MAX_QUERY, Corpus, NameIndex, check_query
from lantern.lookup.shown import ShownHit, ShownProfile, show_hits, show_profile
from lantern.risk import assess
from lantern.security.policy import Permission
from lantern.security.session import Session
from lantern.web.context import User, WebDep
from lantern.web.memo import MEMO

router = APIRouter()
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such case that you can access, or no such person in it"}}
BAD_QUERY: dict[int | str, dict[str, Any]] = {400: {"description": "an empty or too long search, or an unknown kind"}}


class HitOut(BaseModel):
    kind: str
    id: str
    label: str
    why: str
    score: float
    records: list[int]
    count: int
    people: list[str]
    people_labels: list[str]
    snippet: str


class SearchOut(BaseModel):
    case: str
    query: str
    kinds: list[str]
    hits: list[HitOut]


class FactOut(BaseModel):
    prop: str
    value: str
    written: list[str]
    records: list[int]
    sources: list[str]


class EventOut(BaseModel):
    when: str
    until: str
    kind: str
    summary: str
    people: list[str]
    reference: str
    grading: str
    sources: list[str]
    records: list[int]


class LinkOut(BaseModel):
    other: str
    label: str
    types: list[str]
    count: int
    first: str
    last: str
    records: list[int]


class GroupOut(BaseModel):
    group: str
    role: str
    rank: int
    reason: str


class ReasonOut(BaseModel):
    kind: str
    weight: float
    text: str
    records: list[int]


class ProfileOut(BaseModel):
    case: str
    entity: str
    label: str
    pseudonymised: bool
    names: list[FactOut]
    dobs: list[FactOut]
    phones: list[FactOut]
    addresses: list[FactOut]
    events: list[EventOut]
    links: list[LinkOut]
    groups: list[GroupOut]
    risk_score: float | None
    risk_reasons: list[ReasonOut]
    network_run: int | None


# ---- the data, each read inside the CLI's own checked and audited action -----------------


def _checked(query: str, kind: str | None, limit: int) -> tuple[str, set[str]]:
    """A bad search is the user's to fix: 400 with the reason (before the case is opened)."""
    try:
        return check_query(query, [kind] if kind else None, limit)
    except LanternError as exc:
        raise HTTPException(400, str(exc)) from None


def find(session: Session, case_name: str, query: str, kind: str | None, limit: int, channel: str
         ) -> tuple[str, list[ShownHit]]:
    text, kinds = _checked(query, kind, limit)
    with session.case_action(Permission.READ, "search", "CONSULT", case=case_name) as (conn, case, note):
        url = session.workspace.url
        names = (MEMO.get("names", url, conn, case.id, lambda: NameIndex.build(conn, case.id))
                 if "person" in kinds else None)
        corpus = (MEMO.get("reports", url, conn, case.id, lambda: Corpus.build(conn, case.id))
                  if "text" in kinds else None)
        hits = search(conn, case.id, text, kinds, limit, names, corpus)
        shown = show_hits(conn, case.id, hits, session.keys.pseudonym_key)
        note.objects = [h.id for h in hits if h.kind == "person"]
        note.detail = {"kinds": sorted(kinds), "hits": len(hits), "revealed": False, "channel": channel}
    return case.name, shown


def profile_of(session: Session, case_name: str, entity: str, channel: str) -> tuple[str, ShownProfile]:
    with session.case_action(Permission.READ, "profile", "CONSULT", case=case_name) as (conn, case, note):
        try:
            found = person_profile(conn, case.id, entity, remembered(session))
        except UnknownPerson as exc:
            raise HTTPException(404, str(exc)) from None
        shown = show_profile(conn, case.id, found, session.keys.pseudonym_key)
        note.objects = [found.entity, *(link.other for link in found.links)]
        note.detail = {"entity": found.entity, "events": len(found.events), "links": len(found.links),
                       "revealed": False, "channel": channel}
    return case.name, shown


def remembered(session: Session) -> Derived:
    """The case's network and assessment as this server keeps them between requests."""
    url = session.workspace.url
    return Derived(
        network=lambda conn, case_id: MEMO.get("network", url, conn, case_id,
                                               lambda: stored_network(conn, case_id)),
        assessment=lambda conn, case_id: MEMO.get("assessment", url, conn, case_id,
                                                  lambda: assess(conn, case_id)))


def profile_out(case: str, shown: ShownProfile) -> ProfileOut:
    return ProfileOut(case=case, **asdict(shown))


# ---- pages ----------------------------------------------------------------------------


@router.get("/cases/{case}/search", include_in_schema=False)
def search_form(request: Request, case: str, user: User, web: WebDep) -> HTMLResponse:
    # The empty form is still a read of the case, so it is still checked and audited.
    with web.session_for(user.actor).case_action(Permission.READ, "search", "CONSULT",
                                                 case=case) as (_, found, note):
        note.detail = {"form": True, "channel": "web"}
    return web.page(request, "search.html", {**web.base(user, found.name), **_form("", "")})


@router.post("/cases/{case}/search", include_in_schema=False)
def search_page(request: Request, case: str, user: User, web: WebDep,
                q: Annotated[str, Form(max_length=1000)] = "",
                kind: Annotated[str, Form(max_length=50)] = "",
                csrf_token: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """Posted, not a GET: what is searched for (a name, a phone) never sits in a URL, where
    history, proxies and server logs would keep it (WS-3)."""
    web.require_csrf(user, csrf_token)
    name, hits = find(web.session_for(user.actor), case, q, kind or None, 20, "web")
    groups = {k: [h for h in hits if h.kind == k] for k in KINDS if any(h.kind == k for h in hits)}
    return web.page(request, "search.html", {**web.base(user, name), **_form(q, kind),
                                             "groups": groups, "searched": True})


def _form(query: str, kind: str) -> dict[str, Any]:
    return {"query": query, "kind": kind, "kinds": KINDS, "max_query": MAX_QUERY, "groups": {},
            "searched": False}


@router.get("/cases/{case}/people/{entity}", include_in_schema=False)
def profile_page(request: Request, case: str, entity: str, user: User, web: WebDep) -> HTMLResponse:
    name, shown = profile_of(web.session_for(user.actor), case, entity, "web")
    return web.page(request, "profile.html", {**web.base(user, name), "p": shown})


# ---- the API (same data, same checks; cookie or bearer token) ------------------------


@router.get("/api/cases/{case}/search", response_model=SearchOut, tags=["search"],
            responses={**NOT_FOUND, **BAD_QUERY})
def api_search(case: str, user: User, web: WebDep,
               q: str = Query(..., description="a name, phone, VRM, postcode, address or words"),
               kind: str | None = Query(None, description=f"one of {', '.join(KINDS)}"),
               limit: int = Query(20, ge=1, le=200, description="at most this many hits of each kind")
               ) -> SearchOut:
    """People (fuzzy names), phones, vehicles, places and report text; children and victims
    pseudonymised. Each hit says why it matched and which records it rests on."""
    name, hits = find(web.session_for(user.actor), case, q, kind, limit, "api")
    text, kinds = _checked(q, kind, limit)
    return SearchOut(case=name, query=text, kinds=[k for k in KINDS if k in kinds],
                     hits=[HitOut(**asdict(h)) for h in hits])


@router.get("/api/cases/{case}/people/{entity}", response_model=ProfileOut, tags=["search"],
            responses=NOT_FOUND)
def api_profile(case: str, entity: str, user: User, web: WebDep) -> ProfileOut:
    """Everything known about one person, each value with its sources; events, ties, groups and
    a child's risk reasons. A child or victim is shown by tokens, never by name."""
    name, shown = profile_of(web.session_for(user.actor), case, entity, "api")
    return profile_out(name, shown)

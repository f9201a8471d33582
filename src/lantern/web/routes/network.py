"""The network view (Cytoscape.js) and the chronology linked to it: pages and their API.

Every read runs inside ``Session.case_action`` under the CLI command's own operation name
(`players` for the starting view, `ego`, `path`, `timeline`), every export under `export`
(ANX) or `chart` (PNG) as a DISCLOSE with its recipient. Nodes come from the same
``network_view`` as the CLI's exports, pseudonymised: a victim or a child is shown by a keyed
pseudonym, never a name.
"""

import hashlib
import io
import json
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from lantern.commands.timeline import labeller
from lantern.errors import LanternError
from lantern.export.anx import write_anx
from lantern.graph import query
from lantern.graph.build import clusters
from lantern.graph.chart import draw
from lantern.graph.service import latest_network
from lantern.graph.view import NetworkView, network_view
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session
from lantern.timeline import build_timeline
from lantern.timeline.export import row_of
from lantern.timeline.privacy import protected_people
from lantern.web.context import User, Web, WebDep, WebUser
from lantern.web.memo import MEMO

router = APIRouter()
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"description": "no such case that you can access (or no such person in its network)"}}
NO_NETWORK: Responses = {400: {"description": "a bad value: a date, an empty subject, a period that ends before it starts"},
                         409: {"description": "run `lantern network` first, or the subject is unknown"}}
MAX_NODES = 2000  # a browser still lays this out in seconds; more is a hairball anyway
MAX_EVENTS = 5000
MAX_PNG_NODES = 400  # the server-side chart places every label: beyond this it is unreadable
KEY_PLAYERS_PER_GROUP = 3
GROUPS_AT_START = 25
BEST_CONNECTED_AT_START = 30  # when the network has no groups yet


# ---- response models (they document /openapi.json) -----------------------------------


class NodeOut(BaseModel):
    id: str
    label: str = Field(description="a name, or a keyed pseudonym for a victim or a child")
    group: str
    role: str
    rank: int = Field(description="key-player rank (0: not ranked)")
    victim: bool
    child: bool
    records: int


class EdgeOut(BaseModel):
    id: str
    source: str
    target: str
    type: str
    count: int
    weight: float
    first: str | None
    last: str | None
    evidence: list[int] = Field(description="the records behind the tie")


class GraphOut(BaseModel):
    case: str
    nodes: list[NodeOut]
    edges: list[EdgeOut]
    capped: bool = Field(description="true when more nodes matched than MAX_NODES")
    matched: int = Field(description="how many nodes matched before any cap")


class GroupOut(BaseModel):
    id: str
    people: int
    key_players: list[str]


class OverviewOut(BaseModel):
    case: str
    groups: list[GroupOut]
    tie_types: list[str]
    first: str | None = Field(description="the earliest dated tie")
    last: str | None = Field(description="the latest dated tie")
    start: GraphOut = Field(description="where the chart starts: the groups' key players")


class PathOut(BaseModel):
    case: str
    source: str
    target: str
    paths: list[list[str]]
    graph: GraphOut


class EventOut(BaseModel):
    when: str
    until: str
    kind: str
    summary: str
    people: str
    reference: str
    grading: str
    source: str
    records: str


class TimelineOut(BaseModel):
    case: str
    subject: str
    subject_kind: str
    label: str
    events: list[EventOut]
    capped: bool


class ExportIn(BaseModel):
    format: Literal["anx", "png"]
    nodes: list[str] = Field(min_length=1, max_length=MAX_NODES)
    recipient: str = Field(min_length=1, max_length=200, description="who receives it (audited)")
    types: list[str] | None = Field(None, description="only ties of these types")
    date_from: date | None = Field(None, alias="from")
    date_to: date | None = Field(None, alias="to")
    password: str = Field("", description="a browser session re-types its password; a token needs none")
    csrf_token: str = ""


# ---- what the chart shows: ties kept by type and period, nodes around them ----------------


@dataclass(frozen=True)
class TieFilter:
    types: frozenset[str] | None = None
    start: date | None = None
    end: date | None = None

    @classmethod
    def of(cls, types: str | list[str] | None, start: date | None, end: date | None) -> "TieFilter":
        if start and end and start > end:
            raise HTTPException(400, f"the period starts ({start}) after it ends ({end})")
        if isinstance(types, str):  # a query string: empty means every type
            types = [t for t in types.split(",") if t.strip()] or None
        # A list (an export's body) is taken as given: every box unticked keeps no tie.
        return cls(None if types is None else frozenset(t.strip() for t in types), start, end)

    def keeps(self, edge: dict[str, Any]) -> bool:
        if self.types is not None and edge["type"] not in self.types:
            return False
        if self.start is None and self.end is None:
            return True
        first, last = edge["first_seen"], edge["last_seen"] or edge["first_seen"]
        if not first:
            return False  # an undated tie cannot be placed inside a period (as `lantern network --from`)
        return ((self.start is None or last[:10] >= self.start.isoformat())
                and (self.end is None or first[:10] <= self.end.isoformat()))

    def describe(self) -> dict[str, Any]:
        return {"types": sorted(self.types) if self.types is not None else None,
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}


def pseudonymised_view(conn: Connection, case_id: int, session: Session) -> NetworkView:
    return network_view(conn, case_id, Pseudonymiser.of(conn, case_id, session.keys.pseudonym_key))


@dataclass
class IndexedView:
    """A network view with each person's node and ties at hand, so expanding one person costs
    their ties, not a pass over the whole network."""

    view: NetworkView
    node: dict[str, dict[str, Any]]
    ties: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, view: NetworkView) -> "IndexedView":
        ties: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in view.edges:
            ties[e["entity_a"]].append(e)
            ties[e["entity_b"]].append(e)
        return cls(view, {n["id"]: n for n in view.nodes}, dict(ties))


def indexed_view(conn: Connection, case_id: int, session: Session) -> IndexedView:
    latest_network(conn, case_id)  # "run `lantern network` first" when there is none
    return MEMO.get("network view", session.workspace.url, conn, case_id,
                    lambda: IndexedView.of(pseudonymised_view(conn, case_id, session)))


def within(index: IndexedView, keeps: Callable[[dict[str, Any]], bool], centre: str,
           depth: int) -> set[str]:
    """Everyone within ``depth`` of the kept ties from ``centre`` (breadth first)."""
    seen, frontier = {centre}, {centre}
    for _ in range(depth):
        frontier = {other(e, f) for f in frontier for e in index.ties.get(f, ()) if keeps(e)} - seen
        seen |= frontier
    return seen


def other(edge: dict[str, Any], person: str) -> str:
    return str(edge["entity_b"] if edge["entity_a"] == person else edge["entity_a"])


def edge_id(edge: dict[str, Any]) -> str:
    return f"{edge['entity_a']}|{edge['entity_b']}|{edge['type']}"


def graph_of(case: str, index: IndexedView, wanted: set[str],
             keeps: Callable[[dict[str, Any]], bool], first: Sequence[str] = ()) -> GraphOut:
    """The wanted nodes (``first`` kept first when capping) and the kept ties among them."""
    order = [*dict.fromkeys(f for f in first if f in wanted), *sorted(wanted - set(first))]
    shown = order[:MAX_NODES]
    inside = set(shown)
    nodes = [NodeOut(**index.node[p]) for p in shown if p in index.node]
    seen: set[str] = set()
    ties = []
    for person in shown:
        for e in index.ties.get(person, ()):
            key = edge_id(e)
            if key in seen or other(e, person) not in inside or not keeps(e):
                continue
            seen.add(key)
            ties.append(EdgeOut(id=key, source=e["entity_a"], target=e["entity_b"], type=e["type"],
                                count=e["count"], weight=e["weight"], first=e["first_seen"],
                                last=e["last_seen"], evidence=e["evidence"]))
    return GraphOut(case=case, nodes=nodes, edges=ties, capped=len(wanted) > MAX_NODES,
                    matched=len(wanted))


def every_tie(edge: dict[str, Any]) -> bool:
    return True


def starting_people(view: NetworkView) -> list[str]:
    """The top key players of the best-ranked groups; without groups, the best connected."""
    by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in view.nodes:
        if node["group"] and node["rank"]:
            by_group[node["group"]].append(node)
    ranked = sorted(by_group.values(), key=lambda ms: min(m["rank"] for m in ms))[:GROUPS_AT_START]
    people = [m["id"] for ms in ranked for m in sorted(ms, key=lambda m: m["rank"])[:KEY_PLAYERS_PER_GROUP]]
    if people:
        return people
    degree: dict[str, int] = defaultdict(int)
    for e in view.edges:
        degree[e["entity_a"]] += 1
        degree[e["entity_b"]] += 1
    return sorted(degree, key=lambda p: (-degree[p], p))[:BEST_CONNECTED_AT_START]


def require_person(index: IndexedView, entity: str) -> str:
    entity = entity.strip().upper()
    if entity not in index.node:
        raise HTTPException(404, f"{entity!r} is not a person in this case's network")
    return entity


# ---- the data, each read inside the CLI's own checked and audited action -----------------


def overview(session: Session, name: str, channel: str) -> OverviewOut:
    with session.case_action(Permission.READ, "players", "CONSULT", case=name) as (conn, case, note):
        index = indexed_view(conn, case.id, session)
        view = index.view
        start = starting_people(view)
        note.objects = start
        note.detail = {"view": "network overview", "channel": channel}
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for node in view.nodes:
        if node["group"]:
            members[node["group"]].append(node)
    groups = [GroupOut(id=g, people=len(ms),
                       key_players=[m["id"] for m in sorted((m for m in ms if m["rank"]), key=lambda m: m["rank"])
                                    [:KEY_PLAYERS_PER_GROUP]])
              for g, ms in sorted(members.items())]
    dates = sorted(d[:10] for e in view.edges for d in (e["first_seen"], e["last_seen"]) if d)
    return OverviewOut(case=case.name, groups=groups, tie_types=sorted({e["type"] for e in view.edges}),
                       first=dates[0] if dates else None, last=dates[-1] if dates else None,
                       start=graph_of(case.name, index, set(start), every_tie, start))


def ego(session: Session, name: str, entity: str, depth: int, ties: TieFilter, channel: str) -> GraphOut:
    with session.case_action(Permission.READ, "ego", "CONSULT", case=name) as (conn, case, note):
        index = indexed_view(conn, case.id, session)
        entity = require_person(index, entity)
        graph = graph_of(case.name, index, within(index, ties.keeps, entity, depth), ties.keeps,
                         [entity])
        note.objects = [n.id for n in graph.nodes]
        note.detail = {"entity": entity, "depth": depth, **ties.describe(), "channel": channel}
    return graph


def path(session: Session, name: str, source: str, target: str, channel: str) -> PathOut:
    """The CLI's `lantern path`: the shortest paths along the strongest ties."""
    with session.case_action(Permission.READ, "path", "CONSULT", case=name) as (conn, case, note):
        index = indexed_view(conn, case.id, session)
        source, target = require_person(index, source), require_person(index, target)
        found = query.paths(query.load(conn, case.id), source, target)
        on_path = {p for route in found for p in route}
        hops = {frozenset(pair) for route in found for pair in zip(route, route[1:], strict=False)}

        def on_a_path(e: dict[str, Any]) -> bool:
            return frozenset((e["entity_a"], e["entity_b"])) in hops

        note.objects = sorted(on_path)
        note.detail = {"from": source, "to": target, "paths": len(found), "channel": channel}
    return PathOut(case=case.name, source=source, target=target, paths=found,
                   graph=graph_of(case.name, index, on_path, on_a_path))


def chronology(session: Session, name: str, subject: str, start: date | None, end: date | None,
               channel: str) -> TimelineOut:
    """The CLI's `lantern timeline`: children and recorded victims pseudonymised."""
    if not subject.strip():
        raise HTTPException(400, "give a subject: a person entity id (P7307), a group id (G001) or a phone number")
    if start and end and start > end:
        raise HTTPException(400, f"the period starts ({start}) after it ends ({end})")
    with session.case_action(Permission.READ, "timeline", "CONSULT", case=name) as (conn, case, note):
        found = build_timeline(conn, case.id, subject, start=start, end=end)
        protected = protected_people(conn, case.id, found, clusters(conn, case.id, "Person"))
        pseudonymiser = Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
        label = labeller(found, protected, pseudonymiser)

        def scrub(text: str) -> str:
            return pseudonymiser.scrub(text) or ""

        events = [EventOut(**row_of(e, label, scrub)) for e in found.events[:MAX_EVENTS]]
        note.objects = list(dict.fromkeys([found.subject, *found.entities]))
        note.detail = {"subject": found.subject, "kind": found.subject_kind, "events": len(found.events),
                       "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                       "channel": channel}
    shown = label(found.subject) if found.subject_kind == "person" else found.subject
    return TimelineOut(case=case.name, subject=found.subject, subject_kind=found.subject_kind, label=shown,
                       events=events, capped=len(found.events) > MAX_EVENTS)


@dataclass(frozen=True)
class Product:
    content: bytes
    media_type: str
    file_name: str


def export_view(session: Session, name: str, wanted: ExportIn, channel: str) -> Product:
    """The nodes shown (and the ties among them that the filters keep), as ANX or PNG: a
    disclosure like `lantern export -f anx` or `lantern chart`, pseudonymised."""
    operation = "export" if wanted.format == "anx" else "chart"
    ties = TieFilter.of(wanted.types, wanted.date_from, wanted.date_to)
    if wanted.format == "png" and len(wanted.nodes) > MAX_PNG_NODES:
        raise HTTPException(400, f"a PNG chart holds at most {MAX_PNG_NODES} people: export ANX, or filter first")
    with session.case_action(Permission.EXPORT, operation, "DISCLOSE", case=name) as (conn, case, note):
        view = indexed_view(conn, case.id, session).view
        keep = {n["id"] for n in view.nodes} & {n.strip().upper() for n in wanted.nodes}
        if not keep:
            raise HTTPException(400, "none of those people is in this case's network")
        shown = NetworkView([n for n in view.nodes if n["id"] in keep],
                            [e for e in view.edges if e["entity_a"] in keep and e["entity_b"] in keep
                             and ties.keeps(e)])
        product = _anx(case.name, shown) if wanted.format == "anx" else _png(case.name, shown)
        note.recipient = wanted.recipient
        note.objects = [*sorted(keep), f"file:{product.file_name}"]
        note.detail = {"format": wanted.format, "items": len(shown.nodes) + len(shown.edges),
                       "sha256": hashlib.sha256(product.content).hexdigest(), "revealed": False,
                       **ties.describe(), "channel": channel}
    return product


def _anx(case: str, view: NetworkView) -> Product:
    out = io.StringIO()
    write_anx(view, out)
    return Product(out.getvalue().encode("utf-8"), "application/xml", f"lantern-{_safe(case)}-network.anx")


def _png(case: str, view: NetworkView) -> Product:
    with tempfile.TemporaryDirectory(prefix="lantern-chart-") as folder:
        drawn = draw(view, {n["id"] for n in view.nodes}, f"Network view: {len(view.nodes)} people",
                     Path(folder) / "chart.png")
        return Product(drawn.read_bytes(), "image/png", f"lantern-{_safe(case)}-network.png")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:60]


# ---- pages ----------------------------------------------------------------------------


@router.get("/cases/{case}/network", include_in_schema=False)
def network_page(request: Request, case: str, user: User, web: WebDep, focus: str = "") -> HTMLResponse:
    # The chart's data comes from the API; the page itself only checks that the case is readable.
    start = overview(web.session_for(user.actor), case, "web")
    return web.page(request, "network.html", {**web.base(user, start.case), "overview": start,
                                              "focus": focus.strip().upper()})


@router.get("/cases/{case}/chronology", include_in_schema=False)
def chronology_page(request: Request, case: str, user: User, web: WebDep, subject: str = "",
                    date_from: Annotated[str, Query(alias="from")] = "",
                    date_to: Annotated[str, Query(alias="to")] = "") -> HTMLResponse:
    session = web.session_for(user.actor)
    context: dict[str, Any] = {"subject": subject.strip(), "date_from": date_from, "date_to": date_to,
                               "found": None, "message": None, "events_json": "[]"}
    shown_case = case
    if subject.strip():
        try:
            found = chronology(session, case, subject, _date(date_from), _date(date_to), "web")
        except (LanternError, HTTPException) as exc:
            # Access was granted (an AccessDenied goes on to the 404): a wrong subject is said on the page.
            context["message"] = exc.detail if isinstance(exc, HTTPException) else str(exc)
            _readable(session, case)
        else:
            shown_case = found.case
            context |= {"found": found, "events_json": json.dumps([e.model_dump() for e in found.events])}
    else:
        _readable(session, case)
    status = 422 if context["message"] else 200
    return web.page(request, "chronology.html", {**web.base(user, shown_case), **context}, status)


def _readable(session: Session, name: str) -> None:
    """The bare chronology form still checks (and audits) that the case may be read."""
    with session.case_action(Permission.READ, "timeline", "CONSULT", case=name) as (_, _case, note):
        note.detail = {"subject": None, "channel": "web"}


def _date(given: str) -> date | None:
    if not given.strip():
        return None
    try:
        return date.fromisoformat(given.strip())
    except ValueError:
        raise HTTPException(400, f"{given!r} is not a date (YYYY-MM-DD)") from None


# ---- the API (same data, same checks; cookie or bearer token) ------------------------

TypesQuery = Annotated[str, Query(description="tie types to keep, comma-separated (default: all)")]
FromQuery = Annotated[date | None, Query(alias="from", description="only ties active on or after (YYYY-MM-DD)")]
ToQuery = Annotated[date | None, Query(alias="to", description="only ties active on or before (YYYY-MM-DD)")]


@router.get("/api/cases/{case}/network/overview", response_model=OverviewOut, tags=["network"],
            responses={**NOT_FOUND, **NO_NETWORK})
def api_overview(case: str, user: User, web: WebDep) -> OverviewOut:
    """Where the chart starts (the groups' key players and the ties among them) and its legend:
    groups, tie types, the span of dated ties."""
    return overview(web.session_for(user.actor), case, "api")


@router.get("/api/cases/{case}/network/ego/{entity}", response_model=GraphOut, tags=["network"],
            responses={**NOT_FOUND, **NO_NETWORK})
def api_ego(case: str, entity: str, user: User, web: WebDep,
            depth: Annotated[int, Query(ge=1, le=3, description="ties out")] = 1,
            types: TypesQuery = "", date_from: FromQuery = None, date_to: ToQuery = None) -> GraphOut:
    """A person and everyone within ``depth`` kept ties, Cytoscape-ready (victims pseudonymised)."""
    return ego(web.session_for(user.actor), case, entity, depth, TieFilter.of(types, date_from, date_to), "api")


@router.get("/api/cases/{case}/network/path", response_model=PathOut, tags=["network"],
            responses={**NOT_FOUND, **NO_NETWORK})
def api_path(case: str, user: User, web: WebDep,
             source: Annotated[str, Query(min_length=1, max_length=40)],
             target: Annotated[str, Query(min_length=1, max_length=40)]) -> PathOut:
    """Up to three shortest paths between two people along the strongest ties."""
    return path(web.session_for(user.actor), case, source, target, "api")


@router.get("/api/cases/{case}/timeline", response_model=TimelineOut, tags=["chronology"],
            responses={**NOT_FOUND, **NO_NETWORK})
def api_timeline(case: str, user: User, web: WebDep,
                 subject: Annotated[str, Query(min_length=1, max_length=60,
                                               description="a person (P7307), a group (G001) or a phone")],
                 date_from: Annotated[date | None, Query(alias="from")] = None,
                 date_to: Annotated[date | None, Query(alias="to")] = None) -> TimelineOut:
    """The chronology of a subject with the source of every event (victims pseudonymised)."""
    return chronology(web.session_for(user.actor), case, subject, date_from, date_to, "api")


@router.post("/api/cases/{case}/network/export", tags=["network"],
             responses={**NOT_FOUND, 403: {"description": "wrong password or CSRF token"},
                        400: {"description": "no such people in the network, or too many for a PNG"},
                        200: {"content": {"application/xml": {}, "image/png": {}},
                              "description": "the ANX chart or the PNG picture, as a download"}})
def api_export(case: str, body: ExportIn, user: User, web: WebDep) -> Response:
    """The chart's people (and the ties among them that the filters keep) as i2 ANX or PNG.
    A disclosure: needs case.export, is audited with its recipient, and a browser session
    re-types its password."""
    _confirm(web, user, body)
    product = export_view(web.session_for(user.actor), case, body, "web" if user.login else "api")
    return Response(product.content, media_type=product.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{product.file_name}"'})


def _confirm(web: Web, user: WebUser, body: ExportIn) -> None:
    web.require_csrf(user, body.csrf_token)
    web.reauthenticate(user, body.password, "export" if body.format == "anx" else "chart")

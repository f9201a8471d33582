"""The resolution review queue: undecided pairs side by side, why the model scored them as it
did, and the analyst's judgement (same / different / unsure, with a reason).

Reads run under the CLI's `review-queue` and `explain` operations, judgements under `judge`
through :func:`lantern.resolve.service.record_judgement` itself, so a judgement made here is
stored, applied and audited exactly as one made with `lantern judge`.

Victims: when either record of a pair is a victim's, the identifying fields of BOTH records
are shown as keyed pseudonyms (equal values still give equal pseudonyms, so the comparison
stays possible, and a namesake cannot reveal the victim's name). A user with the
victim.identity permission may reveal them by giving a reason, which is audited (PR-1, AC-5).
"""

# No `from __future__ import annotations`: FastAPI reads the route annotations as objects.

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Header, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from lantern.errors import LanternError
from lantern.model.schema import load_schema
from lantern.resolve import explain as explaining
from lantern.resolve import service
from lantern.security.policy import AccessDenied, Permission
from lantern.security.pseudonymise import FREE_TEXT, IDENTIFYING, Pseudonymiser
from lantern.security.session import Session
from lantern.store import tables
from lantern.web.context import User, WebDep

router = APIRouter()
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such case that you can access, or no such record in it"}}
NO_RUN: dict[int | str, dict[str, Any]] = {409: {"description": "run `lantern resolve` first"}}
Decision = Literal["same", "different", "unsure"]
REASON_MAX = 2000


class FieldOut(BaseModel):
    prop: str
    label: str
    a: list[str]  # record A's values (pseudonyms where a victim's identity is protected)
    b: list[str]
    agreement: Literal["same", "differs", "only in A", "only in B"]


class RecordOut(BaseModel):
    record: int  # the Lantern record number
    source: str  # file and row it was loaded from
    namespace: str
    source_record_id: str | None  # the id it carries in its own system
    entity: str | None  # the person Lantern currently holds it as
    victim: bool


class StepOut(BaseModel):
    comparison: str
    level: str
    weight: float  # log2 Bayes factor: positive for agreement, negative for disagreement
    a: str
    b: str


class PairOut(BaseModel):
    a: RecordOut
    b: RecordOut
    same_entity: bool
    prior_weight: float
    steps: list[StepOut]
    match_weight: float
    match_probability: float
    scored_by_blocking: bool
    held_reason: str | None
    judgement: str | None
    fields: list[FieldOut]
    pseudonymised: bool  # victims' identifying fields shown as keyed pseudonyms
    hidden: list[str]  # protected characteristics: never shown to a match decision


class QueueItemOut(BaseModel):
    a: int
    b: int
    match_probability: float
    why: str
    priority: float


class QueueOut(BaseModel):
    case: str
    items: list[QueueItemOut]


RecordId = Annotated[int, Field(ge=1, le=2**63 - 1, description="a person record's id")]


class JudgementIn(BaseModel):
    a: RecordId
    b: RecordId
    decision: Decision
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class JudgementOut(BaseModel):
    a: int
    b: int
    decision: Decision
    run_id: int
    people: int  # people in the case after re-clustering


class BadJudgement(HTTPException):
    """The judgement cannot be stored as given (no reason, unknown record): 400, nothing kept."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


# ---- building one pair's view -------------------------------------------------------------


@dataclass
class Shown:
    """How a pair's values are shown: pseudonymised, or revealed with a reason."""

    pseudonymiser: Pseudonymiser
    reveal: bool
    hidden: frozenset[str]
    labels: dict[str, str]


def shown_for(conn: Connection, case_id: int, session: Session, reveal: bool) -> Shown:
    person = load_schema().entities["Person"]
    return Shown(Pseudonymiser.of(conn, case_id, session.keys.pseudonym_key), reveal,
                 frozenset(person.protected_properties),
                 {name: p.label or name for name, p in person.properties.items()})


def _values(conn: Connection, record_id: int) -> dict[str, list[str]]:
    s = tables.statements
    values: dict[str, list[str]] = {}
    for row in conn.execute(select(s.c.prop, s.c.value, s.c.original)
                            .where(s.c.record_id == record_id).order_by(s.c.id)):
        values.setdefault(row.prop, []).append(row.value if row.value is not None else row.original)
    return values


def _display(values: dict[str, list[str]], shown: Shown, protect: bool) -> dict[str, list[str]]:
    """Identifying values as keyed pseudonyms when protected; free text scrubbed always."""
    out: dict[str, list[str]] = {}
    for prop, vals in values.items():
        if prop in shown.hidden:
            continue
        if protect and prop in IDENTIFYING:
            out[prop] = [shown.pseudonymiser.token(prop, v) for v in vals]
        elif prop in FREE_TEXT and not shown.reveal:
            out[prop] = [shown.pseudonymiser.scrub(v) or "" for v in vals]
        else:
            out[prop] = vals
    return out


def _agreement(a: list[str], b: list[str]) -> Literal["same", "differs", "only in A", "only in B"]:
    if not b:
        return "only in A"
    if not a:
        return "only in B"
    fold = {" ".join(v.casefold().split()) for v in a}, {" ".join(v.casefold().split()) for v in b}
    return "same" if fold[0] == fold[1] else "differs"


def _record(conn: Connection, case_id: int, record_id: int, entity: str | None,
            victim: bool) -> RecordOut:
    try:
        found = explaining.load_record(conn, case_id, record_id)
    except LanternError as exc:  # not a Person record of this case: the caller's mistake
        raise HTTPException(404, str(exc)) from None
    return RecordOut(record=record_id, source=found.source_path, namespace=found.namespace,
                     source_record_id=found.source_record_id, entity=entity, victim=victim)


def pair_view(conn: Connection, case_id: int, a: int, b: int, shown: Shown) -> PairOut:
    """Both records side by side with the explanation `lantern explain A B` prints."""
    victims = shown.pseudonymiser.victims
    found_a = _record(conn, case_id, a, None, a in victims)
    found_b = _record(conn, case_id, b, None, b in victims)
    found = explaining.explain(conn, case_id, a, b)
    found_a.entity, found_b.entity = found.entity_a, found.entity_b
    protect = (found_a.victim or found_b.victim) and not shown.reveal
    values_a = _display(_values(conn, a), shown, protect)
    values_b = _display(_values(conn, b), shown, protect)
    props = list(dict.fromkeys([*values_a, *values_b]))
    fields = [FieldOut(prop=p, label=shown.labels.get(p, p), a=values_a.get(p, []),
                       b=values_b.get(p, []), agreement=_agreement(values_a.get(p, []), values_b.get(p, [])))
              for p in props]
    steps = [StepOut(comparison=s.comparison, level=s.level, weight=s.weight,
                     a=_step_values(values_a, s.comparison) if protect else s.left,
                     b=_step_values(values_b, s.comparison) if protect else s.right)
             for s in found.steps]
    return PairOut(a=found_a, b=found_b, same_entity=found.same_entity, prior_weight=found.prior_weight,
                   steps=steps, match_weight=found.match_weight, match_probability=found.match_probability,
                   scored_by_blocking=found.scored_by_blocking, held_reason=found.held_reason,
                   judgement=found.judgement, fields=fields, pseudonymised=protect,
                   hidden=sorted(shown.hidden))


def _step_values(values: dict[str, list[str]], comparison: str) -> str:
    # The same values explain() joins, taken from the (pseudonymised) display.
    return "; ".join(v for p in explaining.SHOWN[comparison] for v in values.get(p, []))


# ---- the data, each inside the CLI's own checked and audited action ------------------------


def check_reveal(session: Session, reason: str | None) -> bool:
    """Revealing victims needs victim.identity and a reason; a refusal is audited by the caller."""
    if reason is None:
        return False
    if not reason.strip():
        raise BadJudgement("revealing victims' identities needs a reason")
    if not session.actor.can(Permission.REVEAL_VICTIM):
        raise AccessDenied(f"{session.actor.username} lacks the permission "
                           f"{Permission.REVEAL_VICTIM.value}")
    return True


def queue(session: Session, name: str, limit: int, channel: str) -> QueueOut:
    with session.case_action(Permission.READ, "review-queue", "CONSULT", case=name) as (conn, case, note):
        items = explaining.review_queue(conn, case.id, limit)
        note.objects = [f"record:{x}" for item in items for x in (item.a, item.b)]
        note.detail = {"channel": channel}
    return QueueOut(case=case.name, items=[QueueItemOut(a=i.a, b=i.b, match_probability=i.match_probability,
                                                        why=i.why, priority=i.priority) for i in items])


def queue_with_pairs(session: Session, name: str, limit: int, reveal_reason: str | None,
                     channel: str) -> tuple[QueueOut, list[PairOut]]:
    """The queue and each pair explained: what the page shows, in one audited read."""
    with session.case_action(Permission.READ, "review-queue", "CONSULT", case=name) as (conn, case, note):
        reveal = check_reveal(session, reveal_reason)
        items = explaining.review_queue(conn, case.id, limit)
        shown = shown_for(conn, case.id, session, reveal)
        pairs = [pair_view(conn, case.id, i.a, i.b, shown) for i in items]
        note.objects = [f"record:{x}" for item in items for x in (item.a, item.b)]
        note.detail = {"explained": len(pairs), "revealed": reveal, "channel": channel,
                       **({"reason": reveal_reason} if reveal else {})}
    out = QueueOut(case=case.name, items=[QueueItemOut(a=i.a, b=i.b, match_probability=i.match_probability,
                                                       why=i.why, priority=i.priority) for i in items])
    return out, pairs


def explain_pair(session: Session, name: str, a: int, b: int, reveal_reason: str | None,
                 channel: str) -> PairOut:
    with session.case_action(Permission.READ, "explain", "CONSULT", case=name) as (conn, case, note):
        reveal = check_reveal(session, reveal_reason)
        found = pair_view(conn, case.id, a, b, shown_for(conn, case.id, session, reveal))
        note.objects = [f"record:{a}", f"record:{b}"]
        note.detail = {"revealed": reveal, "channel": channel,
                       **({"reason": reveal_reason} if reveal else {})}
    return found


def judge(session: Session, name: str, a: int, b: int, decision: str, reason: str,
          channel: str) -> JudgementOut:
    """Exactly `lantern judge`: stored, attributed, re-clustered at once, audited as `judge`."""
    with session.case_action(Permission.WRITE, "judge", "ALTER", case=name) as (conn, case, note):
        if len(reason) > REASON_MAX:
            raise BadJudgement(f"the reason is longer than {REASON_MAX} characters: nothing was stored")
        try:
            summary = service.record_judgement(conn, case.id, a, b, decision, reason,
                                               session.actor.username)
        except LanternError as exc:  # rolls the transaction back: nothing stored
            raise BadJudgement(str(exc)) from None
        note.objects = [f"record:{a}", f"record:{b}", f"resolution:{summary.run_id}"]
        note.detail = {"decision": decision, "reason": reason, "channel": channel}
    return JudgementOut(a=a, b=b, decision=decision,  # type: ignore[arg-type]  # checked above
                        run_id=summary.run_id, people=summary.entities)


# ---- pages ----------------------------------------------------------------------------


@router.get("/cases/{case}/resolution", include_in_schema=False)
def resolution_page(request: Request, case: str, user: User, web: WebDep,
                    limit: Annotated[int, Query(ge=1, le=100)] = 10,
                    reveal_reason: str | None = None) -> HTMLResponse:
    found, pairs = queue_with_pairs(web.session_for(user.actor), case, limit, reveal_reason, "web")
    judged = _confirmation(request)
    can_reveal = user.actor.can(Permission.REVEAL_VICTIM)
    return web.page(request, "resolution.html", {
        **web.base(user, found.case), "queue": found, "pairs": list(zip(found.items, pairs, strict=True)),
        "judged": judged, "can_reveal": can_reveal, "revealed": reveal_reason is not None,
        "limit": limit, "reason_max": REASON_MAX})


def _confirmation(request: Request) -> str | None:
    """The message after a judgement (only numbers and a known decision are echoed)."""
    params = request.query_params
    a, b, decision = params.get("a", ""), params.get("b", ""), params.get("judged", "")
    if a.isdigit() and b.isdigit() and decision in service.DECISIONS:
        return f"Your judgement is recorded: records {a} and {b} are {decision}."
    return None


@router.post("/cases/{case}/resolution/judgements", include_in_schema=False)
def judge_form(request: Request, case: str, user: User, web: WebDep,
               a: Annotated[int, Form(ge=1, le=2**63 - 1)], b: Annotated[int, Form(ge=1, le=2**63 - 1)],
               decision: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
               csrf_token: Annotated[str, Form()] = "") -> Response:
    web.require_csrf(user, csrf_token)
    try:  # the checks run after the access check, inside `judge`: a hidden case stays a 404
        judge(web.session_for(user.actor), case, a, b, decision, reason, "web")
    except BadJudgement as exc:  # a page, not JSON, for a form
        return web.page(request, "error.html", {**web.base(user, case), "message": exc.detail}, 400)
    query = urlencode({"judged": decision, "a": a, "b": b})
    return RedirectResponse(f"/cases/{quote(case)}/resolution?{query}", status_code=303)


# ---- the API (same data, same checks; cookie or bearer token) ------------------------


@router.get("/api/cases/{case}/resolution/queue", response_model=QueueOut, tags=["resolution"],
            responses={**NOT_FOUND, **NO_RUN})
def api_queue(case: str, user: User, web: WebDep,
              limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> QueueOut:
    """Undecided pairs, the decision that would change the most first (`lantern review-queue`)."""
    return queue(web.session_for(user.actor), case, limit, "api")


@router.get("/api/cases/{case}/resolution/pairs/{a}/{b}", response_model=PairOut,
            tags=["resolution"],
            responses={**NOT_FOUND, **NO_RUN, 400: {"description": "an empty reveal_reason"}})
def api_pair(case: str, a: Annotated[int, Path(ge=1, le=2**63 - 1)],
             b: Annotated[int, Path(ge=1, le=2**63 - 1)], user: User, web: WebDep,
             reveal_reason: Annotated[str | None, Query(max_length=500)] = None) -> PairOut:
    """Two person records side by side and each comparison's match weight (`lantern explain`).
    Victims' identifying fields are pseudonymised unless `reveal_reason` is given by a user
    with the victim.identity permission."""
    return explain_pair(web.session_for(user.actor), case, a, b, reveal_reason, "api")


@router.post("/api/cases/{case}/resolution/judgements", response_model=JudgementOut,
             tags=["resolution"], responses={**NOT_FOUND, 400: {"description": "not stored: why"},
                        403: {"description": "a browser session without its CSRF token"}})
def api_judge(case: str, body: JudgementIn, user: User, web: WebDep,
              x_csrf_token: Annotated[str, Header()] = "") -> JudgementOut:
    """Record a judgement on two person records, as `lantern judge` does; it overrides the
    model from now on. A browser session needs its CSRF token in `X-CSRF-Token`; a bearer
    token needs none."""
    web.require_csrf(user, x_csrf_token)
    return judge(web.session_for(user.actor), case, body.a, body.b, body.decision, body.reason, "api")

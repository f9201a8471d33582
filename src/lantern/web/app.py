"""The web workbench: server-rendered pages and a JSON API over the same security as the CLI.

Every page or API call that touches a case runs inside :meth:`Session.case_action` with the
READ permission, under the same operation name as the CLI command that shows the same data
(`status`, `risk`), so it is checked and audited exactly as the CLI is. A case the user may
not see is answered exactly like a case that does not exist (404, the same words).
"""

# No `from __future__ import annotations`: FastAPI must see the route annotations (which use
# names local to create_app) as objects, not strings.

import secrets
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from pydantic import BaseModel
from starlette.middleware.base import RequestResponseEndpoint

from lantern.commands.risk import labeller
from lantern.errors import LanternError
from lantern.risk import assess
from lantern.security import audit
from lantern.security.keys import Keys
from lantern.security.policy import AccessDenied, Actor, Permission, visible_cases
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session
from lantern.settings import Settings
from lantern.store import Workspace, queries
from lantern.web.auth import (
    FAILED_LOGIN,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Clock,
    WebLogin,
    WebSessions,
    csrf_ok,
    current_actor,
    password_login,
    token_login,
)

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    # Everything the pages use comes from this server: no CDN, no inline script.
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class WebConfig:
    idle_minutes: float = 30.0
    secure_cookies: bool = False  # set when served over TLS: the cookie then never goes over HTTP
    secret: bytes | None = None  # signs cookies; a fresh one per process unless given
    clock: Clock = time.time  # injectable, so tests can expire a session without sleeping


@dataclass
class WebUser:
    actor: Actor
    login: WebLogin | None  # None for a bearer-token API call (no cookie, no CSRF)


class LoginRequired(Exception):
    """No valid session or token: a page redirects to the login form, the API answers 401."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: refused with 403."""


# ---- API models (they document /openapi.json) ---------------------------------------------


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
    """Every child with a reason, pseudonymised (the web has no --reveal in this step)."""
    with session.case_action(Permission.READ, "risk", "CONSULT", case=name) as (conn, case, note):
        assessment = assess(conn, case.id)
        pseudonymiser = Pseudonymiser(conn, case.id, session.keys.pseudonym_key)
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


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a login link can never send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/cases"


def create_app(settings: Settings, config: WebConfig | None = None) -> FastAPI:
    """The workbench for the workspace at ``settings.db`` (which must exist: `lantern init`)."""
    config = config or WebConfig()
    workspace = Workspace(settings.db).require()
    keys = Keys.for_workspace(workspace, settings.key_dir)
    sessions = WebSessions(config.secret or secrets.token_bytes(32), config.idle_minutes * 60,
                           config.clock)
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    templates = Jinja2Templates(env=env)

    # Swagger UI and ReDoc load scripts from a CDN: left out. The spec itself needs a login.
    app = FastAPI(title="Lantern workbench API", version="0.1", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def session_for(actor: Actor) -> Session:
        # An already-authenticated actor: the Session dataclass takes it as is.
        return Session(workspace, replace(settings, user=actor.username), actor, keys)

    def audit_refusal(username: str, operation: str, reason: str) -> None:
        with workspace.writer() as conn:
            audit.record(conn, username[:64] or "(none)", "REFUSED", operation,
                         purpose=settings.purpose, auth="password" if operation == "web login"
                         else "token", detail={"reason": reason, "channel": "web"})

    def web_user(request: Request) -> WebUser:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise LoginRequired()
            try:
                with workspace.reader() as conn:
                    actor = token_login(conn, token.strip())
            except AccessDenied:
                audit_refusal("(token)", "web token", "invalid token")
                raise LoginRequired() from None
            return WebUser(actor, None)
        login = sessions.find(request.cookies.get(SESSION_COOKIE))
        if login is None:
            raise LoginRequired()
        with workspace.reader() as conn:
            found = current_actor(conn, login.username)
        if found is None:  # disabled since logging in: out at once
            sessions.end(request.cookies.get(SESSION_COOKIE))
            raise LoginRequired()
        return WebUser(found, login)

    User = Annotated[WebUser, Depends(web_user)]

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200
             ) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    # ---- errors: never a traceback, never a hint that a hidden case exists ------------------

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        response = RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.exception_handler(AccessDenied)
    def _denied(request: Request, exc: AccessDenied) -> Response:
        # A hidden case and a missing one read the same: 404 with the policy's own words.
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return page(request, "error.html", {"message": str(exc), "user": None}, 404)

    @app.exception_handler(LanternError)
    def _lantern_error(request: Request, exc: LanternError) -> Response:
        # Raised only after access was granted (e.g. "run `lantern network` first").
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return page(request, "error.html", {"message": str(exc), "user": None}, 409)

    @app.middleware("http")
    async def _headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # case data stays out of caches
        return response

    def set_cookie(response: Response, name: str, value: str) -> None:
        response.set_cookie(name, value, httponly=True, samesite="strict",
                            secure=config.secure_cookies, path="/")

    # ---- login and logout ---------------------------------------------------------------

    def login_form(request: Request, next_url: str, error: str | None, status_code: int = 200
                   ) -> HTMLResponse:
        token, cookie = sessions.login_csrf()
        response = page(request, "login.html",
                        {"csrf": token, "next": next_url, "error": error, "user": None},
                        status_code)
        set_cookie(response, LOGIN_CSRF_COOKIE, cookie)
        return response

    @app.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str | None = None) -> HTMLResponse:
        return login_form(request, _safe_next(next), None)

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "/cases",
    ) -> Response:
        if not sessions.login_csrf_ok(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
            return page(request, "error.html", {"message": "form expired: reload the page",
                                                "user": None}, 403)
        try:
            with workspace.reader() as conn:
                actor = password_login(conn, username, password)
        except AccessDenied:
            # Audited like the CLI's refusals; the user learns only that it failed.
            audit_refusal(username, "web login", FAILED_LOGIN)
            return login_form(request, _safe_next(next), FAILED_LOGIN, 401)
        with session_for(actor).action(None, "web login", "ACCESS") as (_, note):
            note.detail = {"channel": "web"}
        cookie, _ = sessions.start(actor.username)
        response = RedirectResponse(_safe_next(next), status_code=303)
        set_cookie(response, SESSION_COOKIE, cookie)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    def require_csrf(user: WebUser, token: str) -> None:
        if user.login is None or not csrf_ok(user.login, token):
            raise CsrfRefused()

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return page(request, "error.html", {"message": "form expired: reload the page",
                                            "user": None}, 403)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, user: User,
               csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
        require_csrf(user, csrf_token)
        with session_for(user.actor).action(None, "web logout", "ACCESS") as (_, note):
            note.detail = {"channel": "web"}
        sessions.end(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # ---- pages ----------------------------------------------------------------------------

    def my_cases(user: WebUser, channel: str) -> list[CaseOut]:
        with session_for(user.actor).action(None, "case list", "CONSULT") as (conn, note):
            cases = visible_cases(conn, user.actor)
            note.objects = [f"case:{c.id}" for c in cases]
            note.detail = {"channel": channel}
        return [CaseOut(name=c.name, status=c.status, legal_hold=c.legal_hold) for c in cases]

    def base(user: WebUser) -> dict[str, Any]:
        return {"user": user.actor.username, "csrf": user.login.csrf if user.login else ""}

    @app.get("/", include_in_schema=False)
    def home(user: User) -> RedirectResponse:
        return RedirectResponse("/cases", status_code=303)

    @app.get("/cases", include_in_schema=False)
    def cases_page(request: Request, user: User) -> HTMLResponse:
        return page(request, "cases.html", {**base(user), "cases": my_cases(user, "web")})

    @app.get("/cases/{case}", include_in_schema=False)
    def dashboard_page(request: Request, case: str, user: User) -> HTMLResponse:
        status = case_status(session_for(user.actor), case, "web")
        rows = status.quarantine.get("row rejected", 0)
        values = status.quarantine.get("value rejected", 0)
        return page(request, "dashboard.html", {**base(user), "status": status,
                                                "rows_rejected": rows, "values_rejected": values})

    @app.get("/cases/{case}/risk", include_in_schema=False)
    def risk_page(request: Request, case: str, user: User) -> HTMLResponse:
        found = children_at_risk(session_for(user.actor), case, "web")
        return page(request, "risk.html", {**base(user), "risk": found})

    # ---- the API (same data, same checks; cookie or bearer token) ------------------------

    @app.get("/api/cases", response_model=list[CaseOut], tags=["cases"])
    def api_cases(user: User) -> list[CaseOut]:
        """The cases you may read."""
        return my_cases(user, "api")

    @app.get("/api/cases/{case}/status", response_model=CaseStatusOut, tags=["cases"],
             responses={404: {"description": "no such case that you can access"}})
    def api_status(case: str, user: User) -> CaseStatusOut:
        """Sources, records by type, links by type and quarantine counts of a case."""
        return case_status(session_for(user.actor), case, "api")

    @app.get("/api/cases/{case}/children-at-risk", response_model=ChildrenAtRiskOut,
             tags=["risk"], responses={404: {"description": "no such case that you can access"},
                                       409: {"description": "run `lantern network` first"}})
    def api_risk(case: str, user: User) -> ChildrenAtRiskOut:
        """Children at risk, ranked, each reason with its weight and records (pseudonymised)."""
        return children_at_risk(session_for(user.actor), case, "api")

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: User) -> JSONResponse:
        return JSONResponse(app.openapi())

    return app

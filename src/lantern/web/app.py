"""The web workbench: server-rendered pages and a JSON API over the same security as the CLI.

Every page or API call that touches a case runs inside :meth:`Session.case_action` with the
READ permission, under the same operation name as the CLI command that shows the same data
(`status`, `risk`, ...), so it is checked and audited exactly as the CLI is. A case the user
may not see is answered exactly like a case that does not exist (404, the same words).

The routes live in :mod:`lantern.web.routes`, one module per area; this module assembles them
with the error handlers and the headers that every response gets.
"""

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.base import RequestResponseEndpoint

from lantern import analytics
from lantern.comms.callstore import CallStore
from lantern.errors import LanternError
from lantern.security.keys import Keys
from lantern.security.policy import AccessDenied
from lantern.settings import Settings
from lantern.store import Workspace, failures
from lantern.web.auth import Clock, WebSessions
from lantern.web.context import CsrfRefused, LoginRequired, ReauthFailed, User, Web
from lantern.web.jobs import JobRegistry
from lantern.web.routes import admin, cases, exports, login, network, resolution, review, upload
from lantern.web.routes import search as search_routes

HERE = Path(__file__).parent
# Each area of the workbench is one router; a new area adds its module here.
ROUTERS = (login.router, admin.router, cases.router, network.router, resolution.router, review.router,
           upload.router, exports.router, search_routes.router)
SECURITY_HEADERS = {
    # Everything the pages use comes from this server: no CDN, no inline script.
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
DOWNLOAD_CSP = "default-src 'none'; sandbox"
CONFIG_ENV = "LANTERN_SERVE_CONFIG"  # `lantern serve --workers` hands its settings to each worker
SERVER_THREADS = 40  # anyio's default pool, where FastAPI runs the (synchronous) routes
HSTS = "max-age=31536000; includeSubDomains"  # under TLS only: a year, as WS-3 asks
log = logging.getLogger("lantern.web")


@dataclass(frozen=True)
class WebConfig:
    idle_minutes: float = 30.0
    session_hours: float = 8.0  # however active, a login ends after this (absolute timeout)
    secure_cookies: bool = False  # set when served over TLS: the cookie then never goes over HTTP
    secret: bytes | None = None  # signs cookies; by default the workspace's web cookie key
    clock: Clock = time.time  # injectable, so tests can expire a session without sleeping


def app_from_environment() -> FastAPI:
    """The app of one worker process of `lantern serve --workers N`, from the settings the
    command left in the environment (never a password or token: each login is its own)."""
    given = json.loads(os.environ[CONFIG_ENV])
    return create_app(Settings(**given["settings"]),
                      WebConfig(idle_minutes=given["idle_minutes"], session_hours=given["session_hours"],
                                secure_cookies=given["secure_cookies"]))


def jobs_folder(workspace: Workspace, settings: Settings) -> Path | None:
    """Where upload jobs are shared between server processes: the workspace's data folder."""
    folder = CallStore.folder_of(workspace, settings.data_dir)
    return None if folder is None else folder / "web-jobs"  # None: each process knows its own jobs only


def create_app(settings: Settings, config: WebConfig | None = None) -> FastAPI:
    """The workbench for the workspace at ``settings.db`` (which must exist: `lantern init`)."""
    config = config or WebConfig()
    analytics.set_memory_limit(settings.memory)
    # Each of the server's worker threads (40) may hold a connection while it answers.
    workspace = Workspace(settings.db, connections=SERVER_THREADS // 2).require()
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    keys = Keys.for_workspace(workspace, settings.key_dir)
    web = Web(
        settings=settings,
        workspace=workspace,
        keys=keys,
        sessions=WebSessions(workspace, config.secret or keys.web_cookie_key, config.idle_minutes * 60,
                             config.clock, config.session_hours * 3600),
        templates=Jinja2Templates(env=env),
        secure_cookies=config.secure_cookies,
    )

    # Swagger UI and ReDoc load scripts from a CDN: left out. The spec itself needs a login.
    app = FastAPI(title="Lantern workbench API", version="0.1", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.web = web
    app.state.upload_jobs = JobRegistry(jobs_folder(workspace, settings))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)

    # ---- errors: never a traceback, never a hint that a hidden case exists ------------------

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "authentication required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        response = RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        response.delete_cookie(web.cookie_name)
        return response

    @app.exception_handler(AccessDenied)
    def _denied(request: Request, exc: AccessDenied) -> Response:
        # A hidden case and a missing one read the same: 404 with the policy's own words.
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return web.page(request, "error.html", {"message": str(exc), "user": None}, 404)

    @app.exception_handler(LanternError)
    def _lantern_error(request: Request, exc: LanternError) -> Response:
        # Raised only after access was granted (e.g. "run `lantern network` first").
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=409)
        return web.page(request, "error.html", {"message": str(exc), "user": None}, 409)

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": "missing or wrong CSRF token"}, status_code=403)
        return web.page(request, "error.html", {"message": "form expired: reload the page",
                                                "user": None}, 403)

    @app.exception_handler(ReauthFailed)
    def _reauth(request: Request, exc: ReauthFailed) -> Response:
        message = "the password did not match: nothing was exported"
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=403)
        return web.page(request, "error.html", {"message": message, "user": None}, 403)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> Response:
        # Fail closed with a generic answer; the traceback goes to the server's log only, under
        # an id the user can quote (WS-5).
        incident = uuid.uuid4().hex[:12]
        storage = failures.storage_failure(exc)
        if storage is not None:
            # The disk, not a bug: the operator must act, and the user may try again later.
            # What failed (a path, a server message) goes to the log only.
            log.error("storage failure %s on %s %s: %s", incident, request.method,
                      request.url.path, storage)
            message = (f"the server could not store this (its storage refused a write, incident "
                       f"{incident}); nothing was changed: tell the workspace's administrator")
            status = 503
        else:
            log.error("unexpected error %s on %s %s", incident, request.method, request.url.path,
                      exc_info=exc)
            message = f"something went wrong on the server (incident {incident}); nothing was changed"
            status = 500
        if wants_json(request):
            response: Response = JSONResponse({"detail": message, "incident": incident},
                                              status_code=status)
        else:
            response = web.page(request, "error.html", {"message": message, "user": None}, status)
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.middleware("http")
    async def _headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if "attachment" in response.headers.get("content-disposition", ""):
            # A download never runs as a page, whatever it holds (WS-5).
            response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
        if config.secure_cookies:
            response.headers["Strict-Transport-Security"] = HSTS
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # case data stays out of caches
        return response

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: User) -> JSONResponse:
        return JSONResponse(app.openapi())

    return app

"""What every route of the workbench shares: the workspace, the logged-in user, page rendering.

Routes live in :mod:`lantern.web.routes`, one module per area; each reaches this through the
``WebDep`` and ``User`` dependencies. Case data is read only inside ``Session.case_action`` (via
:meth:`Web.session_for`), so the web is checked and audited exactly as the CLI is.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency annotations as objects.

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lantern.security import audit
from lantern.security.keys import Keys
from lantern.security.policy import AccessDenied, Actor
from lantern.security.session import Session
from lantern.settings import Settings
from lantern.store import Workspace
from lantern.web.auth import (
    SECURE_SESSION_COOKIE,
    SESSION_COOKIE,
    WebLogin,
    WebSessions,
    csrf_ok,
    current_actor,
    password_login,
    token_login,
)


class LoginRequired(Exception):
    """No valid session or token: a page redirects to the login form, the API answers 401."""


class CsrfRefused(Exception):
    """A POST without the session's CSRF token: refused with 403."""


class ReauthFailed(Exception):
    """The password given to confirm a sensitive step (an export) was wrong: refused with 403."""


@dataclass
class WebUser:
    actor: Actor
    login: WebLogin | None  # None for a bearer-token API call (no cookie, no CSRF)


@dataclass
class Web:
    """One running workbench: built once by ``create_app`` and kept on ``app.state.web``."""

    settings: Settings
    workspace: Workspace
    keys: Keys
    sessions: WebSessions
    templates: Jinja2Templates
    secure_cookies: bool

    @property
    def cookie_name(self) -> str:
        return SECURE_SESSION_COOKIE if self.secure_cookies else SESSION_COOKIE

    def session_for(self, actor: Actor) -> Session:
        # An already-authenticated actor: the Session dataclass takes it as is.
        return Session(self.workspace, replace(self.settings, user=actor.username), actor,
                       self.keys)

    def page(self, request: Request, name: str, context: dict[str, Any],
             status_code: int = 200) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    @staticmethod
    def base(user: WebUser, case: str | None = None) -> dict[str, Any]:
        """What base.html needs: the user, the logout form's CSRF token, the case for the menu."""
        return {"user": user.actor.username, "csrf": user.login.csrf if user.login else "",
                "case": case}

    @staticmethod
    def require_csrf(user: WebUser, token: str) -> None:
        """A browser POST must carry its session's token (an API call with a bearer token has
        no cookie for another site to ride on, so it needs none)."""
        if user.login is not None and not csrf_ok(user.login, token):
            raise CsrfRefused()

    def reauthenticate(self, user: WebUser, password: str, operation: str) -> None:
        """Before data leaves the workbench (exports, the briefing pack) a browser user types
        their password again (WS-1): a session left open on a desk cannot export. A bearer
        token is itself the credential of a system, so the API needs no second one."""
        if user.login is None:
            return
        try:
            with self.workspace.reader() as conn:
                password_login(conn, user.actor.username, password)
        except AccessDenied:
            self.audit_refusal(user.actor.username, operation, "re-authentication failed")
            raise ReauthFailed() from None

    def audit_refusal(self, username: str, operation: str, reason: str) -> None:
        with self.workspace.writer() as conn:
            audit.record(conn, username[:64] or "(none)", "REFUSED", operation,
                         purpose=self.settings.purpose, auth="token" if operation == "web token"
                         else "password", detail={"reason": reason, "channel": "web"})


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebDep = Annotated[Web, Depends(get_web)]


def web_user(request: Request, web: WebDep) -> WebUser:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LoginRequired()
        try:
            with web.workspace.reader() as conn:
                actor = token_login(conn, token.strip())
        except AccessDenied:
            web.audit_refusal("(token)", "web token", "invalid token")
            raise LoginRequired() from None
        return WebUser(actor, None)
    cookie = request.cookies.get(web.cookie_name)
    login = web.sessions.find(cookie)
    if login is None:
        raise LoginRequired()
    with web.workspace.reader() as conn:
        found = current_actor(conn, login.username)
    if found is None:  # disabled since logging in: out at once
        web.sessions.end(cookie)
        raise LoginRequired()
    return WebUser(found, login)


User = Annotated[WebUser, Depends(web_user)]


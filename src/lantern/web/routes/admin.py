"""Administrators see the live browser sessions and end them (WS-1): a lost laptop or a
leaver's browser is logged out at once, without waiting for the idle timeout."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from lantern.errors import LanternError
from lantern.security.policy import Permission
from lantern.web.auth import WebLogin
from lantern.web.context import User, Web, WebDep, WebUser

router = APIRouter()


class LiveSessionOut(BaseModel):
    handle: str  # names the session; the secret cookie id never leaves the server
    user: str
    started: str
    last_seen: str


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def live_sessions(web: Web, user: WebUser, channel: str) -> list[LiveSessionOut]:
    session = web.session_for(user.actor)
    with session.action(Permission.ADMIN_USERS, "web sessions", "CONSULT") as (conn, note):
        live: list[WebLogin] = web.sessions.live(conn)
        note.objects = [f"user:{x.username}" for x in live]
        note.detail = {"sessions": len(live), "channel": channel}
    return [LiveSessionOut(handle=x.handle, user=x.username, started=_when(x.started),
                           last_seen=_when(x.last_seen)) for x in live]


def end_sessions(web: Web, user: WebUser, handle: str, username: str, channel: str) -> int:
    if not handle and not username:
        raise LanternError("name a session or a user whose sessions to end")
    session = web.session_for(user.actor)
    with session.action(Permission.ADMIN_USERS, "web session end", "ADMIN") as (conn, note):
        ended = web.sessions.terminate(conn, handle=handle or None, username=username or None)
        note.objects = [f"user:{username}"] if username else [f"web-session:{handle}"]
        note.detail = {"ended": ended, "channel": channel}
    return ended


@router.get("/admin/sessions", include_in_schema=False)
def sessions_page(request: Request, user: User, web: WebDep, ended: int | None = None
                  ) -> HTMLResponse:
    return web.page(request, "admin_sessions.html",
                    {**web.base(user), "sessions": live_sessions(web, user, "web"),
                     "ended": ended})


@router.post("/admin/sessions/end", include_in_schema=False)
def end_page(
    user: User,
    web: WebDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    handle: Annotated[str, Form(max_length=64)] = "",
    username: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse:
    web.require_csrf(user, csrf_token)
    ended = end_sessions(web, user, handle, username, "web")
    return RedirectResponse(f"/admin/sessions?ended={ended}", status_code=303)


@router.get("/api/admin/sessions", response_model=list[LiveSessionOut], tags=["admin"],
            responses={404: {"description": "you are not an administrator"}})
def api_sessions(user: User, web: WebDep) -> list[LiveSessionOut]:
    """The live browser sessions (administrators only)."""
    return live_sessions(web, user, "api")

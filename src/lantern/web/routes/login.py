"""Logging in and out (password form, CSRF double-submit cookie before a session exists)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lantern.security.policy import AccessDenied
from lantern.web.auth import FAILED_LOGIN, LOGIN_CSRF_COOKIE, password_login
from lantern.web.context import User, Web, WebDep

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: a login link can never send the user elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/cases"


def set_cookie(web: Web, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict",
                        secure=web.secure_cookies, path="/")


def login_form(web: Web, request: Request, next_url: str, error: str | None,
               status_code: int = 200) -> HTMLResponse:
    token, cookie = web.sessions.login_csrf()
    response = web.page(request, "login.html",
                        {"csrf": token, "next": next_url, "error": error, "user": None},
                        status_code)
    set_cookie(web, response, LOGIN_CSRF_COOKIE, cookie)
    return response


@router.get("/login")
def login_page(request: Request, web: WebDep, next: str | None = None) -> HTMLResponse:
    return login_form(web, request, safe_next(next), None)


@router.post("/login")
def login(
    request: Request,
    web: WebDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/cases",
) -> Response:
    if not web.sessions.login_csrf_ok(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return web.page(request, "error.html", {"message": "form expired: reload the page",
                                                "user": None}, 403)
    try:
        with web.workspace.reader() as conn:
            actor = password_login(conn, username, password)
    except AccessDenied:
        # Audited like the CLI's refusals; the user learns only that it failed.
        web.audit_refusal(username, "web login", FAILED_LOGIN)
        return login_form(web, request, safe_next(next), FAILED_LOGIN, 401)
    with web.session_for(actor).action(None, "web login", "ACCESS") as (_, note):
        note.detail = {"channel": "web"}
    cookie, _ = web.sessions.start(actor.username)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(web, response, web.cookie_name, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, user: User, web: WebDep,
           csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    if user.login is None:  # a bearer token has no session to end
        return RedirectResponse("/login", status_code=303)
    web.require_csrf(user, csrf_token)
    with web.session_for(user.actor).action(None, "web logout", "ACCESS") as (_, note):
        note.detail = {"channel": "web"}
    web.sessions.end(request.cookies.get(web.cookie_name))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.cookie_name)
    # The browser drops its cached pages and cookies of this site too (WS-3).
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response

"""Who is using the web workbench: logins, the session cookie, CSRF tokens, bearer tokens.

Passwords and tokens are checked by :func:`lantern.security.identity.authenticate`, the same
code the CLI uses. A login creates a server-side session (a random id sent as a cookie signed with itsdangerous;
the workspace keeps a digest of the id, so every server process shares the sessions): so logging
out really ends it, and an idle session expires on the server whatever the browser keeps (to
within a minute: its last use is written at most every 30 s). Every request re-reads the user from the store, so a
disabled user is refused on the very next request, as on the next CLI command.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, Row, delete, insert, select, update

from lantern.security.identity import _token_digest, authenticate
from lantern.security.policy import AccessDenied, Actor
from lantern.store import Workspace, tables

SESSION_COOKIE = "lantern_session"
# Under TLS the cookie takes the __Host- prefix: the browser then only accepts it Secure, from
# this host, for path / (no subdomain or plain-HTTP page can plant or overwrite it).
SECURE_SESSION_COOKIE = "__Host-lantern_session"
LOGIN_CSRF_COOKIE = "lantern_login_csrf"
FAILED_LOGIN = "wrong username or password"
Clock = Callable[[], float]
_t = tables.web_sessions


TOUCH_SECONDS = 30.0  # a session's last use is written at most this often (one write, not one a request)


@dataclass
class WebLogin:
    """One logged-in browser: whose it is, its CSRF token, and when it was last used."""

    username: str
    csrf: str
    last_seen: float
    started: float
    handle: str  # names the session to an administrator; not the secret id, which never leaves

    def expired(self, now: float, idle_seconds: float, absolute_seconds: float) -> bool:
        return now - self.last_seen > idle_seconds or now - self.started > absolute_seconds


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class WebSessions:
    """The live browser sessions, kept in the workspace so that every server process (``lantern
    serve --workers``) shares them and a restart logs nobody out. The store holds a digest of
    each session id, never the id: the cookie alone carries it."""

    def __init__(self, workspace: Workspace, secret: bytes, idle_seconds: float, clock: Clock,
                 absolute_seconds: float = 8 * 3600) -> None:
        self._workspace = workspace
        self._signer = URLSafeSerializer(secret, salt="lantern-web-session")
        self._csrf_signer = URLSafeSerializer(secret, salt="lantern-login-csrf")
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds  # however active, a login lasts a working day
        self.clock = clock

    def start(self, username: str) -> tuple[str, WebLogin]:
        """A new session (a fresh id at every login: no session fixation)."""
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        digest = _digest(sid)
        login = WebLogin(username, secrets.token_urlsafe(32), now, now, digest[:16])
        with self._workspace.writer() as conn:
            self._expire(conn)
            conn.execute(insert(_t).values(digest=digest, username=username, csrf=login.csrf,
                                           started=now, last_seen=now))
        return str(self._signer.dumps(sid)), login

    def find(self, cookie: str | None) -> WebLogin | None:
        """The live session this cookie names, touched; None if unknown, forged or idle too long."""
        digest = self._digest_of(cookie)
        if digest is None:
            return None
        with self._workspace.reader() as conn:
            row = conn.execute(select(_t).where(_t.c.digest == digest)).first()
        if row is None:
            return None
        login = _login(row)
        now = self.clock()
        if login.expired(now, self.idle_seconds, self.absolute_seconds):
            with self._workspace.writer() as conn:
                conn.execute(delete(_t).where(_t.c.digest == digest))
            return None
        if now - login.last_seen >= min(TOUCH_SECONDS, self.idle_seconds / 10):
            with self._workspace.writer() as conn:
                conn.execute(update(_t).where(_t.c.digest == digest).values(last_seen=now))
        login.last_seen = now
        return login

    def end(self, cookie: str | None) -> None:
        digest = self._digest_of(cookie)
        if digest is not None:
            with self._workspace.writer() as conn:
                conn.execute(delete(_t).where(_t.c.digest == digest))

    def live(self, conn: Connection) -> list[WebLogin]:
        """Every unexpired session, oldest first (for an administrator, in the transaction of
        the audited action that shows them)."""
        now = self.clock()
        rows = conn.execute(select(_t).order_by(_t.c.started)).all()
        return [login for login in map(_login, rows)
                if not login.expired(now, self.idle_seconds, self.absolute_seconds)]

    def terminate(self, conn: Connection, *, handle: str | None = None, username: str | None = None) -> int:
        """End one session (by its handle) or all of a user's, in the transaction of the audited
        action that ends them; how many were ended."""
        rows = conn.execute(select(_t.c.digest, _t.c.username)).all()
        doomed = [row.digest for row in rows
                  if (handle is not None and hmac.compare_digest(row.digest[:16], handle))
                  or (username is not None and row.username == username)]
        for digest in doomed:
            conn.execute(delete(_t).where(_t.c.digest == digest))
        return len(doomed)

    def _digest_of(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return _digest(str(self._signer.loads(cookie)))
        except BadSignature:
            return None

    def _expire(self, conn: Connection) -> None:
        now = self.clock()
        conn.execute(delete(_t).where((_t.c.last_seen < now - self.idle_seconds)
                                      | (_t.c.started < now - self.absolute_seconds)))

    # -- the login form's CSRF token (before there is a session): a signed double-submit cookie

    def login_csrf(self) -> tuple[str, str]:
        """(form token, cookie value) for the login form."""
        token = secrets.token_urlsafe(32)
        return token, str(self._csrf_signer.dumps(token))

    def login_csrf_ok(self, form_token: str | None, cookie: str | None) -> bool:
        if not form_token or not cookie:
            return False
        try:
            expected = str(self._csrf_signer.loads(cookie))
        except BadSignature:
            return False
        return hmac.compare_digest(expected, form_token)


def _login(row: Row[Any]) -> WebLogin:
    return WebLogin(str(row.username), str(row.csrf), float(row.last_seen), float(row.started),
                    str(row.digest)[:16])


def csrf_ok(login: WebLogin, form_token: str | None) -> bool:
    return bool(form_token) and hmac.compare_digest(login.csrf, form_token or "")


def password_login(conn: Connection, username: str, password: str) -> Actor:
    """The actor for a login form, checked by the CLI's own code; AccessDenied if it fails."""
    if not username or not password:
        raise AccessDenied(FAILED_LOGIN)
    # os_user="" never matches a mapped system account: the web accepts passwords only.
    return authenticate(conn, username, os_user="", password=password)


def token_login(conn: Connection, token: str) -> Actor:
    """The actor holding this bearer token (from `lantern user token`); AccessDenied if none."""
    if not token:
        raise AccessDenied("invalid token")
    u = tables.users
    username = conn.scalar(select(u.c.username).where(u.c.token_hash == _token_digest(token)))
    if username is None:
        raise AccessDenied("invalid token")
    # authenticate() compares the digest in constant time and refuses a disabled user.
    return authenticate(conn, str(username), os_user="", token=token)


def current_actor(conn: Connection, username: str) -> Actor | None:
    """The logged-in user, re-read now: None once the account is disabled or removed."""
    u = tables.users
    row = conn.execute(
        select(u.c.id, u.c.username, u.c.roles).where(
            u.c.username == username, u.c.disabled_at.is_(None)
        )
    ).first()
    if row is None:
        return None
    return Actor(int(row.id), str(row.username), frozenset(str(row.roles).split(",")), "password")

"""Who is using the web workbench: logins, the session cookie, CSRF tokens, bearer tokens.

Passwords and tokens are checked by :func:`lantern.security.identity.authenticate`, the same
code the CLI uses. A login creates a server-side session (a random id, kept in memory, sent as a
cookie signed with itsdangerous): so logging out really ends it, and an idle session expires
on the server whatever the browser keeps. Every request re-reads the user from the store, so a
disabled user is refused on the very next request, as on the next CLI command.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, select

from lantern.security.identity import _token_digest, authenticate
from lantern.security.policy import AccessDenied, Actor
from lantern.store import tables

SESSION_COOKIE = "lantern_session"
# Under TLS the cookie takes the __Host- prefix: the browser then only accepts it Secure, from
# this host, for path / (no subdomain or plain-HTTP page can plant or overwrite it).
SECURE_SESSION_COOKIE = "__Host-lantern_session"
LOGIN_CSRF_COOKIE = "lantern_login_csrf"
FAILED_LOGIN = "wrong username or password"
Clock = Callable[[], float]


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


class WebSessions:
    """The live browser sessions of one server process (a restart logs everyone out)."""

    def __init__(self, secret: bytes, idle_seconds: float, clock: Clock,
                 absolute_seconds: float = 8 * 3600) -> None:
        self._signer = URLSafeSerializer(secret, salt="lantern-web-session")
        self._csrf_signer = URLSafeSerializer(secret, salt="lantern-login-csrf")
        self._live: dict[str, WebLogin] = {}
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds  # however active, a login lasts a working day
        self.clock = clock

    def start(self, username: str) -> tuple[str, WebLogin]:
        """A new session (a fresh id at every login: no session fixation)."""
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        handle = hashlib.sha256(sid.encode()).hexdigest()[:16]
        login = WebLogin(username, secrets.token_urlsafe(32), now, now, handle)
        with self._lock:
            self._expire()
            self._live[sid] = login
        return str(self._signer.dumps(sid)), login

    def find(self, cookie: str | None) -> WebLogin | None:
        """The live session this cookie names, touched; None if unknown, forged or idle too long."""
        if not cookie:
            return None
        try:
            sid = self._signer.loads(cookie)
        except BadSignature:
            return None
        with self._lock:
            login = self._live.get(str(sid))
            if login is None:
                return None
            now = self.clock()
            if login.expired(now, self.idle_seconds, self.absolute_seconds):
                del self._live[str(sid)]
                return None
            login.last_seen = now
            return login

    def end(self, cookie: str | None) -> None:
        if not cookie:
            return
        try:
            sid = self._signer.loads(cookie)
        except BadSignature:
            return
        with self._lock:
            self._live.pop(str(sid), None)

    def live(self) -> list[WebLogin]:
        """Every unexpired session, oldest first (for an administrator)."""
        with self._lock:
            self._expire()
            return sorted(self._live.values(), key=lambda x: x.started)

    def terminate(self, *, handle: str | None = None, username: str | None = None) -> int:
        """End one session (by its handle) or all of a user's; how many were ended."""
        with self._lock:
            doomed = [sid for sid, login in self._live.items()
                      if (handle is not None and hmac.compare_digest(login.handle, handle))
                      or (username is not None and login.username == username)]
            for sid in doomed:
                del self._live[sid]
        return len(doomed)

    def _expire(self) -> None:
        now = self.clock()
        for sid in [s for s, v in self._live.items()
                    if v.expired(now, self.idle_seconds, self.absolute_seconds)]:
            del self._live[sid]

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

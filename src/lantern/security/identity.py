"""Users, passwords (Argon2id), tokens, and authenticating whoever runs a command.

The CLI acts as an identified workbench user: the operating-system account mapped to the
user (as PostgreSQL's peer authentication does), a token (LANTERN_TOKEN), or a password
(LANTERN_PASSWORD). There is no anonymous mode. A failure reads the same whether the user
does not exist, is disabled, or gave the wrong secret, so accounts cannot be enumerated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, insert, select, update

from lantern.errors import LanternError
from lantern.security.policy import ROLES, AccessDenied, Actor
from lantern.store import tables
from lantern.store.workspace import inserted_id, utcnow

_hasher = PasswordHasher()
u = tables.users


def hash_password(password: str) -> str:
    if len(password) < 12:
        raise LanternError("a password needs at least 12 characters")
    return str(_hasher.hash(password))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_roles(roles: str | list[str]) -> list[str]:
    names = [
        r.strip() for r in (roles.split(",") if isinstance(roles, str) else roles) if r.strip()
    ]
    unknown = [r for r in names if r not in ROLES]
    if unknown or not names:
        raise LanternError(
            f"unknown role {', '.join(unknown) or '(none)'}; roles are: {', '.join(ROLES)}"
        )
    return names


def add_user(
    conn: Connection,
    username: str,
    roles: list[str],
    created_by: str,
    *,
    password: str | None = None,
    os_user: str | None = None,
    display_name: str | None = None,
) -> int:
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise LanternError(f"user name {username!r}: use letters, digits, '.', '-' and '_'")
    if conn.scalar(select(u.c.id).where(u.c.username == username)) is not None:
        raise LanternError(f"user {username!r} already exists")
    result = conn.execute(
        insert(u).values(
            username=username,
            display_name=display_name,
            roles=",".join(parse_roles(roles)),
            password_hash=hash_password(password) if password else None,
            os_user=os_user,
            created_at=utcnow(),
            created_by=created_by,
        )
    )
    return inserted_id(result)


def issue_token(conn: Connection, username: str) -> str:
    """A new secret token for the user; only its digest is stored, so it is shown once."""
    token = "lt_" + secrets.token_urlsafe(32)
    changed = conn.execute(
        update(u)
        .where(u.c.username == username, u.c.disabled_at.is_(None))
        .values(token_hash=_token_digest(token))
    ).rowcount
    if not changed:
        raise LanternError(f"no enabled user {username!r}")
    return token


def disable_user(conn: Connection, username: str) -> None:
    changed = conn.execute(
        update(u)
        .where(u.c.username == username, u.c.disabled_at.is_(None))
        .values(disabled_at=utcnow(), token_hash=None)
    ).rowcount
    if not changed:
        raise LanternError(f"no enabled user {username!r}")
    # Their browsers are logged out in the same transaction (each request re-reads the user as
    # well, so a session could not outlive this anyway).
    conn.execute(delete(tables.web_sessions).where(tables.web_sessions.c.username == username))


def user_id(conn: Connection, username: str) -> int:
    found = conn.scalar(select(u.c.id).where(u.c.username == username, u.c.disabled_at.is_(None)))
    if found is None:
        raise LanternError(f"no enabled user {username!r}")
    return int(found)


def authenticate(
    conn: Connection,
    username: str,
    *,
    os_user: str,
    token: str | None = None,
    password: str | None = None,
) -> Actor:
    """The actor for this command, checked afresh: a disabled user is refused at once."""
    refusal = AccessDenied(
        f"cannot authenticate as {username!r}: give a valid token (LANTERN_TOKEN) "
        "or password (LANTERN_PASSWORD), or run as the mapped system account"
    )
    row = conn.execute(select(u).where(u.c.username == username)).first()
    if row is None or row.disabled_at is not None:
        if password:
            _hasher.hash(password)  # spend the same time as a real check: no user enumeration
        raise refusal
    method = None
    if token:
        if row.token_hash and hmac.compare_digest(row.token_hash, _token_digest(token)):
            method = "token"
    elif password:
        try:
            if row.password_hash and _hasher.verify(row.password_hash, password):
                method = "password"
        except (VerificationError, InvalidHashError):
            method = None
    elif row.os_user and hmac.compare_digest(row.os_user, os_user):
        method = "os"
    if method is None:
        raise refusal
    return Actor(int(row.id), str(row.username), frozenset(str(row.roles).split(",")), method)

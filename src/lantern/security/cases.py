"""Cases and grants: creating compartments, granting and revoking need-to-know access."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from lantern.errors import LanternError
from lantern.security.identity import add_user, user_id
from lantern.security.policy import ROLES
from lantern.security.retention import RetentionPolicy
from lantern.store import DEFAULT_CASE, tables
from lantern.store.workspace import inserted_id, utcnow

c, g = tables.cases, tables.case_grants


def create_case(
    conn: Connection,
    name: str,
    created_by: str,
    category: str | None = None,
    policy: RetentionPolicy | None = None,
) -> int:
    """A new case, visible to its creator only (PR-2), with its first review date."""
    if not name.strip():
        raise LanternError("a case needs a name")
    if conn.scalar(select(c.c.id).where(c.c.name == name)) is not None:
        raise LanternError(f"a case named {name!r} already exists")
    policy = policy or RetentionPolicy.load()
    created = utcnow()
    result = conn.execute(
        insert(c).values(
            name=name,
            status="open",
            created_at=created,
            created_by=created_by,
            category=category,
            review_date=policy.review_date(category, created.date()),
        )
    )
    case_id = inserted_id(result)
    grant(conn, case_id, user_id(conn, created_by), created_by, reason="creator")
    return case_id


def grant(
    conn: Connection,
    case_id: int,
    to_user_id: int,
    by: str,
    *,
    reason: str | None = None,
    hours: float | None = None,
    elevated: bool = False,
) -> int:
    """Need-to-know access; ``elevated`` (break-glass) lets it read whatever the user's roles."""
    expires = utcnow() + timedelta(hours=hours) if hours else None
    result = conn.execute(
        insert(g).values(
            case_id=case_id,
            user_id=to_user_id,
            granted_by=by,
            granted_at=utcnow(),
            expires_at=expires,
            reason=reason,
            elevated=elevated,
        )
    )
    return inserted_id(result)


def revoke(conn: Connection, case_id: int, from_user_id: int, by: str) -> int:
    return int(
        conn.execute(
            update(g)
            .where(g.c.case_id == case_id, g.c.user_id == from_user_id, g.c.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by=by)
        ).rowcount
    )


def case_id_by_name(conn: Connection, name: str) -> int:
    """For administrators, who manage cases without reading them."""
    found = conn.scalar(select(c.c.id).where(c.c.name == name))
    if found is None:
        raise LanternError(f"no case named {name!r}")
    return int(found)


def bootstrap(conn: Connection, username: str, os_user: str) -> bool:
    """On a new workspace: the first user (mapped to this system account) and the default
    case, granted to them. Returns False if the workspace already has users."""
    if conn.scalar(select(tables.users.c.id).limit(1)) is not None:
        return False
    add_user(
        conn,
        username,
        ["administrator", "supervisor", "analyst"],
        created_by="lantern init",
        os_user=os_user,
    )
    case_id = case_id_by_name(conn, DEFAULT_CASE)
    policy = RetentionPolicy.load()
    conn.execute(
        update(c)
        .where(c.c.id == case_id)
        .values(created_by=username, review_date=policy.review_date(None, utcnow().date()))
    )
    grant(conn, case_id, user_id(conn, username), "lantern init", reason="creator")
    return True


__all__ = ["ROLES", "bootstrap", "case_id_by_name", "create_case", "grant", "revoke"]

"""The one policy module: who may do what, in which case. Deny by default.

Every command (and later every web route) asks :func:`require_case` or
:func:`require_permission` before it touches case data. A refusal for a case the user cannot
see reads exactly like the refusal for a case that does not exist, so the error itself never
reveals that a compartment exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from lantern.errors import LanternError
from lantern.store import tables
from lantern.store.workspace import utcnow


class Permission(StrEnum):
    READ = "case.read"  # view, search, status, quarantine
    WRITE = "case.write"  # ingest, resolve, judge
    EXPORT = "case.export"  # exports and reports (pseudonymised)
    REVEAL_VICTIM = "victim.identity"  # see or export victims' real identifiers
    MANAGE_CASE = "case.manage"  # close, hold, retention decisions, grants on own cases
    CROSS_CASE = "cross_case.review"  # the national review: read across cases, logged
    AUDIT_READ = "audit.read"  # query and verify the audit log
    ADMIN_USERS = "admin.users"  # add, disable users; create cases; grant access


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "analyst": frozenset({Permission.READ, Permission.WRITE, Permission.EXPORT}),
    "investigator": frozenset({Permission.READ, Permission.EXPORT}),
    "supervisor": frozenset(
        {
            Permission.READ,
            Permission.WRITE,
            Permission.EXPORT,
            Permission.REVEAL_VICTIM,
            Permission.MANAGE_CASE,
        }
    ),
    "reviewer": frozenset({Permission.READ, Permission.EXPORT, Permission.CROSS_CASE}),
    "auditor": frozenset({Permission.AUDIT_READ}),
    # Administrators manage accounts and grants; they read no case without a grant (AC-6).
    "administrator": frozenset({Permission.ADMIN_USERS}),
}
ROLES = tuple(ROLE_PERMISSIONS)
CASE_PERMISSIONS = frozenset(
    {
        Permission.READ,
        Permission.WRITE,
        Permission.EXPORT,
        Permission.REVEAL_VICTIM,
        Permission.MANAGE_CASE,
    }
)


class AccessDenied(LanternError):
    """A refusal. For cases, worded the same whether or not the case exists."""


@dataclass(frozen=True)
class Actor:
    """An authenticated user, re-read from the store at the start of every command."""

    id: int
    username: str
    roles: frozenset[str]
    auth: str  # os | token | password

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = set()
        for role in self.roles:
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class CaseRef:
    id: int
    name: str
    status: str
    legal_hold: str | None


def not_found(case: str) -> AccessDenied:
    return AccessDenied(f"no case named {case!r} that you can access")


def require_permission(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise AccessDenied(f"{actor.username} lacks the permission {permission.value}")


def active_grant_clause(actor: Actor, now: datetime) -> ColumnElement[bool]:
    g = tables.case_grants
    return and_(
        g.c.user_id == actor.id,
        g.c.revoked_at.is_(None),
        or_(g.c.expires_at.is_(None), g.c.expires_at > now),
    )


def require_case(conn: Connection, actor: Actor, case: str, permission: Permission) -> CaseRef:
    """The case, if the actor may act on it with ``permission``; else "no such case"."""
    if permission not in CASE_PERMISSIONS:
        raise ValueError(f"{permission} is not a case permission")
    c, g = tables.cases, tables.case_grants
    row = conn.execute(
        select(c.c.id, c.c.name, c.c.status, c.c.legal_hold).where(c.c.name == case)
    ).first()
    if row is None:
        raise not_found(case)
    grant = conn.execute(
        select(g.c.id, g.c.elevated)
        .where(g.c.case_id == row.id, active_grant_clause(actor, utcnow()))
        .order_by(g.c.elevated)
    ).first()
    cross_case_read = permission in (Permission.READ, Permission.EXPORT) and actor.can(
        Permission.CROSS_CASE
    )
    if grant is None and not cross_case_read:
        raise not_found(case)
    break_glass_read = grant is not None and grant.elevated and permission == Permission.READ
    if not (actor.can(permission) or break_glass_read):
        raise AccessDenied(
            f"{actor.username} lacks the permission {permission.value} in case {case!r}"
        )
    if row.status == "closed" and permission in (Permission.WRITE,):
        raise AccessDenied(f"case {case!r} is closed and read-only")
    return CaseRef(int(row.id), str(row.name), str(row.status), row.legal_hold)


def visible_cases(conn: Connection, actor: Actor) -> list[CaseRef]:
    """The cases this actor can read: granted ones, or all for a cross-case reviewer."""
    c, g = tables.cases, tables.case_grants
    query = select(c.c.id, c.c.name, c.c.status, c.c.legal_hold).order_by(c.c.name)
    if not actor.can(Permission.CROSS_CASE):
        granted = select(g.c.case_id).where(active_grant_clause(actor, utcnow()))
        query = query.where(c.c.id.in_(granted))
    return [
        CaseRef(int(r.id), str(r.name), str(r.status), r.legal_hold) for r in conn.execute(query)
    ]

"""`lantern user ...` and `lantern case ...`: accounts, compartments, grants and retention.

Administrators manage accounts and grants but read no case without a grant of their own;
supervisors manage the cases they are granted (close, legal hold, retention decisions).
Every change is an audited action.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from sqlalchemy import select, update

from lantern.commands.calls import bulk_store
from lantern.commands.context import session_of, settings_of
from lantern.errors import LanternError
from lantern.output import console, err_console, table_of
from lantern.security import cases as case_admin
from lantern.security import identity, retention
from lantern.security.policy import ROLES, AccessDenied, Permission, require_case, visible_cases
from lantern.store import tables
from lantern.store.workspace import utcnow

user_app = typer.Typer(help="Workbench users: add, disable, issue tokens, list.", no_args_is_help=True)
case_app = typer.Typer(help="Cases (compartments): create, grant, close, hold, retention.",
                       no_args_is_help=True)


# ---- users ----------------------------------------------------------------------------------

@user_app.command("add")
def user_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The new user's name.")],
    roles: Annotated[str, typer.Option(help=f"Comma-separated roles: {', '.join(ROLES)}.")],
    os_user: Annotated[str | None, typer.Option(help="System account that may act as this user.")] = None,
    password_env: Annotated[str | None, typer.Option(
        help="Name of an environment variable holding the new user's password.")] = None,
) -> None:
    """Add a user (administrators only)."""
    import os

    password = os.environ.get(password_env) if password_env else None
    if password_env and not password:
        raise LanternError(f"environment variable {password_env} is empty")
    session = session_of(ctx)
    with session.action(Permission.ADMIN_USERS, "user add", "ADMIN") as (conn, note):
        identity.add_user(conn, username, identity.parse_roles(roles), session.actor.username,
                          password=password, os_user=os_user)
        note.objects = [f"user:{username}"]
        note.detail = {"roles": roles, "os_user": os_user}
    console.print(f"Added user {username} ({roles})")


@user_app.command("disable")
def user_disable(ctx: typer.Context, username: Annotated[str, typer.Argument()]) -> None:
    """Disable a user at once: their next command is refused."""
    session = session_of(ctx)
    with session.action(Permission.ADMIN_USERS, "user disable", "ADMIN") as (conn, note):
        identity.disable_user(conn, username)
        note.objects = [f"user:{username}"]
    console.print(f"Disabled user {username}")


@user_app.command("token")
def user_token(ctx: typer.Context, username: Annotated[str, typer.Argument()]) -> None:
    """Issue a new token for a user (shown once; replaces any earlier token)."""
    session = session_of(ctx)
    with session.action(Permission.ADMIN_USERS, "user token", "ADMIN") as (conn, note):
        token = identity.issue_token(conn, username)
        note.objects = [f"user:{username}"]
    console.print(f"Token for {username} (shown once; set LANTERN_TOKEN):")
    console.print(token, highlight=False, soft_wrap=True)


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List users and their roles."""
    session = session_of(ctx)
    u = tables.users
    with session.action(Permission.ADMIN_USERS, "user list", "CONSULT") as (conn, note):
        rows = conn.execute(select(u.c.username, u.c.roles, u.c.os_user, u.c.disabled_at)
                            .order_by(u.c.username)).all()
        note.objects = [f"user:{r.username}" for r in rows]
    console.print(table_of("Users", ("user", "roles", "system account", "disabled"),
                           ((r.username, r.roles, r.os_user, r.disabled_at) for r in rows)))


# ---- cases ----------------------------------------------------------------------------------

@case_app.command("create")
def case_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    category: Annotated[str | None, typer.Option(help="Retention category from the policy.")] = None,
) -> None:
    """Create a case, visible only to you until you grant others."""
    session = session_of(ctx)
    if not (session.actor.can(Permission.ADMIN_USERS) or session.actor.can(Permission.MANAGE_CASE)):
        raise LanternError(f"{session.actor.username} may not create cases")
    with session.action(None, "case create", "ADMIN") as (conn, note):
        case_id = case_admin.create_case(conn, name, session.actor.username, category)
        note.objects = [f"case:{case_id}"]
        note.detail = {"name": name, "category": category}
    console.print(f"Created case {name}")


@case_app.command("list")
def case_list(ctx: typer.Context) -> None:
    """List the cases you can see."""
    session = session_of(ctx)
    with session.action(None, "case list", "CONSULT") as (conn, note):
        cases = visible_cases(conn, session.actor)
        note.objects = [f"case:{c.id}" for c in cases]
    console.print(table_of("Your cases", ("case", "status", "legal hold"),
                           ((c.name, c.status, c.legal_hold or "") for c in cases)))


def _grant_change(ctx: typer.Context, case: str, username: str, *, revoke: bool,
                  hours: float | None = None, reason: str | None = None) -> None:
    session = session_of(ctx)
    operation = "case revoke" if revoke else ("case break-glass" if hours else "case grant")
    with session.action(None, operation, "ACCESS") as (conn, note):
        if session.actor.can(Permission.ADMIN_USERS):
            case_id = case_admin.case_id_by_name(conn, case)
        else:  # a supervisor manages access to the cases they hold
            case_id = require_case(conn, session.actor, case, Permission.MANAGE_CASE).id
        target = identity.user_id(conn, username)
        if revoke:
            if not case_admin.revoke(conn, case_id, target, session.actor.username):
                raise LanternError(f"{username} holds no grant on case {case!r}")
        else:
            case_admin.grant(conn, case_id, target, session.actor.username, reason=reason, hours=hours,
                             elevated=bool(hours))
        note.objects = [f"case:{case_id}", f"user:{username}"]
        note.detail = {"hours": hours, "reason": reason, "elevated": bool(hours)}
    verb = "Revoked" if revoke else "Granted"
    console.print(f"{verb} {username} on case {case}" + (f" for {hours:g} hours" if hours else ""))


@case_app.command("grant")
def case_grant(ctx: typer.Context, case: Annotated[str, typer.Argument()],
               username: Annotated[str, typer.Argument()]) -> None:
    """Give a user need-to-know access to a case."""
    _grant_change(ctx, case, username, revoke=False)


@case_app.command("revoke")
def case_revoke(ctx: typer.Context, case: Annotated[str, typer.Argument()],
                username: Annotated[str, typer.Argument()]) -> None:
    """Take a user's access away; it ends with their next command."""
    _grant_change(ctx, case, username, revoke=True)


@case_app.command("break-glass")
def case_break_glass(
    ctx: typer.Context, case: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option(help="Why emergency access is needed.")],
    hours: Annotated[float, typer.Option(help="How long the access lasts.")] = 4.0,
) -> None:
    """Emergency, time-limited access for an administrator: prominent in the audit."""
    settings = settings_of(ctx)
    session = session_of(ctx)
    if not session.actor.can(Permission.ADMIN_USERS):
        raise LanternError("break-glass is for administrators")
    _grant_change(ctx, case, session.actor.username, revoke=False, hours=hours, reason=reason)
    err_console.print(f"[bold red]ALERT[/]: {settings.acting_user} used break-glass access to case "
                      f"{case!r} for {hours:g} hours: {reason}")


def _case_change(ctx: typer.Context, case: str, operation: str, values: dict[str, object]) -> None:
    session = session_of(ctx)
    with session.case_action(Permission.MANAGE_CASE, operation, "ALTER", case) as (conn, ref, note):
        conn.execute(update(tables.cases).where(tables.cases.c.id == ref.id).values(**values))
        note.objects = [f"case:{ref.id}"]
        note.detail = {k: str(v) for k, v in values.items()}


@case_app.command("close")
def case_close(ctx: typer.Context, case: Annotated[str, typer.Argument()]) -> None:
    """Close a case: it becomes read-only."""
    _case_change(ctx, case, "case close", {"status": "closed"})
    console.print(f"Closed case {case}")


@case_app.command("hold")
def case_hold(ctx: typer.Context, case: Annotated[str, typer.Argument()],
              reason: Annotated[str, typer.Option(help="The inquiry or proceedings that need it kept.")]) -> None:
    """Put a legal hold on a case: disposal is refused while it stands."""
    _case_change(ctx, case, "case hold", {"legal_hold": reason})
    console.print(f"Legal hold on case {case}: {reason}")


@case_app.command("release")
def case_release(ctx: typer.Context, case: Annotated[str, typer.Argument()]) -> None:
    """Lift a legal hold."""
    _case_change(ctx, case, "case release", {"legal_hold": None})
    console.print(f"Legal hold lifted on case {case}")


@case_app.command("review")
def case_review(
    ctx: typer.Context, case: Annotated[str, typer.Argument()],
    decision: Annotated[str, typer.Option(help="retain or dispose.")],
    rationale: Annotated[str, typer.Option(help="Why: every retention decision is recorded.")],
    next_review: Annotated[str | None, typer.Option(help="Next review date (YYYY-MM-DD) when retaining.")] = None,
) -> None:
    """Record a retention review; `--decision dispose` erases the case's data."""
    session = session_of(ctx)
    when = date.fromisoformat(next_review) if next_review else None
    action = "ERASE" if decision == "dispose" else "ALTER"
    with session.case_action(Permission.MANAGE_CASE, "case review", action, case) as (conn, ref, note):
        if decision == "dispose" and ref.legal_hold:
            raise AccessDenied(f"case {case!r} is under legal hold ({ref.legal_hold}): disposal refused")
        retention.record_decision(conn, ref.id, decision, rationale, session.actor.username, when,
                                  utcnow())
        note.objects = [f"case:{ref.id}"]
        note.detail = {"decision": decision, "next_review": next_review}
        if decision == "dispose":
            note.detail["erased"] = retention.dispose_case(conn, ref.id)  # counts only, no content
            if (calls := bulk_store(session)) is not None:
                note.detail["erased"]["bulk_call_bytes"] = calls.erase(ref.id)
    console.print(f"Recorded {decision} for case {case}")


@case_app.command("due")
def case_due(ctx: typer.Context, on: Annotated[str | None, typer.Option(help="Date (YYYY-MM-DD).")] = None) -> None:
    """Cases whose retention review is due, among those you can see."""
    session = session_of(ctx)
    today = date.fromisoformat(on) if on else date.today()
    with session.action(None, "case due", "CONSULT") as (conn, note):
        visible = {c.name for c in visible_cases(conn, session.actor)}
        due = [(name, when) for name, when in retention.due_for_review(conn, today) if name in visible]
        note.objects = [f"case:{name}" for name, _ in due]
    console.print(table_of(f"Reviews due by {today}", ("case", "review date"), due))

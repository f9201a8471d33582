"""What every command reads from the root of the CLI: the settings, and a Session from them."""

from __future__ import annotations

import typer

from lantern.errors import LanternError
from lantern.security.policy import Permission, require_permission
from lantern.security.session import Session
from lantern.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def session_of(ctx: typer.Context) -> Session:
    return Session.open(settings_of(ctx))


def check_reveal(session: Session, reveal: bool, reason: str | None) -> None:
    """Revealing victims' identities needs a reason and the victim.identity permission."""
    if reveal:
        if not reason:
            raise LanternError("--reveal needs --reason")
        require_permission(session.actor, Permission.REVEAL_VICTIM)

"""Setting up a workspace: tables, keys, and (on a new one) its first user and default case."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from lantern.security import audit
from lantern.security.cases import bootstrap
from lantern.security.keys import Keys
from lantern.settings import Settings
from lantern.store import Workspace


@dataclass(frozen=True)
class Setup:
    workspace: Workspace
    keys: Keys
    created: bool  # the database was new
    first_user: bool  # this run made the first user (mapped to the current system account)


def set_up(settings: Settings) -> Setup:
    """Create or upgrade the workspace; a new one gets keys, a first user and an audit event."""
    workspace = Workspace(settings.db)
    created = workspace.init()
    keys = Keys.for_workspace(workspace, settings.key_dir)
    keys.create()
    with workspace.writer() as conn:
        first = bootstrap(conn, settings.acting_user, getpass.getuser())
        if first:
            audit.record(conn, settings.acting_user, "ADMIN", "init", purpose=settings.purpose,
                         auth="os", objects=[f"user:{settings.acting_user}"],
                         detail={"created": created, "keys": str(keys.folder)})
    return Setup(workspace, keys, created, first)

"""A command's security context: who is acting, on which case, and the audit of what they did.

Every command opens a Session (which authenticates afresh, so a disabled user or a revoked
grant is refused on the very next command), then does its work inside
:meth:`Session.case_action` or :meth:`Session.action`: the permission check, the work and its
audit event share one transaction, and the event is committed before any result is shown.
A refusal is itself recorded, as a REFUSED event.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from lantern.comms.callstore import CallStore
from lantern.security import audit
from lantern.security.identity import authenticate
from lantern.security.keys import Keys
from lantern.security.policy import (
    AccessDenied,
    Actor,
    CaseRef,
    Permission,
    require_case,
    require_permission,
)
from lantern.settings import Settings
from lantern.store import Workspace

# Actions that add many rows at once (ingest, resolve, network, extraction): the planner's
# statistics are refreshed after each, or it may plan the next reads as for an empty workspace.
BULK_WRITES = frozenset({"COLLECT", "COMBINE"})


@dataclass
class Note:
    """What the command tells the audit about the action it just did."""

    objects: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    recipient: str | None = None
    action: str | None = None  # overrides the action, e.g. a duplicate import
    checkpoint: Any = None  # the signed checkpoint written after a disclosure


@dataclass
class Session:
    workspace: Workspace
    settings: Settings
    actor: Actor
    keys: Keys

    @classmethod
    def open(cls, settings: Settings) -> Session:
        workspace = Workspace(settings.db).require()
        with workspace.reader() as conn:
            actor = authenticate(
                conn,
                settings.acting_user,
                os_user=getpass.getuser(),
                token=settings.token,
                password=settings.password,
            )
        return cls(workspace, settings, actor, Keys.for_workspace(workspace, settings.key_dir))

    @property
    def call_store(self) -> CallStore:
        """Where the workspace keeps bulk call data (asked only by the commands that use it)."""
        return CallStore.for_workspace(self.workspace, self.settings.data_dir)

    def record(
        self, conn: Connection, action: str, operation: str, note: Note, case_id: int | None = None
    ) -> int:
        return audit.record(
            conn,
            self.actor.username,
            note.action or action,
            operation,
            purpose=self.settings.purpose,
            case_id=case_id,
            objects=note.objects,
            recipient=note.recipient,
            auth=self.actor.auth,
            detail=note.detail,
        )

    def _refused(self, operation: str, reason: str, case: str | None) -> None:
        with self.workspace.writer() as conn:
            audit.record(
                conn,
                self.actor.username,
                "REFUSED",
                operation,
                purpose=self.settings.purpose,
                auth=self.actor.auth,
                detail={"case": case, "reason": reason},
            )

    @contextmanager
    def case_action(
        self, permission: Permission, operation: str, action: str, case: str | None = None
    ) -> Iterator[tuple[Connection, CaseRef, Note]]:
        """Check ``permission`` on the case, run the body, audit it: one transaction.

        A plain read (READ permission, CONSULT) runs on a read-only snapshot instead, and its
        event is appended in a short write transaction once the body is done, still before any
        result is shown: a long read must not hold the workspace's write lock, or one analyst's
        query would queue everyone else's (and every writer) behind it."""
        name = case or self.settings.case
        note = Note()
        try:
            if permission is Permission.READ and action == "CONSULT":
                with self.workspace.read_only() as conn:
                    ref = require_case(conn, self.actor, name, permission)
                    yield conn, ref, note
                with self.workspace.writer() as conn:
                    require_case(conn, self.actor, name, permission)  # not revoked meanwhile
                    self.record(conn, action, operation, note, ref.id)
                return
            with self.workspace.writer() as conn:
                ref = require_case(conn, self.actor, name, permission)
                yield conn, ref, note
                self.record(conn, action, operation, note, ref.id)
                if (note.action or action) == "DISCLOSE":
                    # Whatever leaves the tool, by any channel, is fixed in a signed checkpoint
                    # at once: a later rewrite of the log cannot hide that it was disclosed.
                    # It covers this transaction's event, so the witness file gets it only
                    # after the commit (a crash in between must not leave the file ahead).
                    note.checkpoint = audit.make_checkpoint(conn, self.keys.signing_key, None)
            if note.checkpoint is not None:
                audit.append_witness(self.keys.witness, note.checkpoint)
            if action in BULK_WRITES:
                self.workspace.refresh_statistics()
        except AccessDenied as exc:
            self._refused(operation, str(exc), name)
            raise

    @contextmanager
    def action(
        self, permission: Permission | None, operation: str, action: str
    ) -> Iterator[tuple[Connection, Note]]:
        """An action outside any one case (user administration, the audit log itself)."""
        note = Note()
        try:
            if permission is not None:
                require_permission(self.actor, permission)
            with self.workspace.writer() as conn:
                yield conn, note
                self.record(conn, action, operation, note)
        except AccessDenied as exc:
            self._refused(operation, str(exc), None)
            raise

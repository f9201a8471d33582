"""`lantern audit ...`: verify the log, ask who saw what, checkpoint it, export a bundle.

Only auditors (audit.read) use these, and each use is itself an AUDIT_READ event.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lantern.commands.context import session_of
from lantern.errors import LanternError
from lantern.output import console, table_of
from lantern.security import audit
from lantern.security import checkpoint as cp
from lantern.security.policy import Permission
from lantern.store import tables

audit_app = typer.Typer(help="The audit log: verify, query, checkpoint, export.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    witness: Annotated[Path | None, typer.Option(
        help="A witness file of checkpoints kept outside the database (default: the workspace's).")] = None,
) -> None:
    """Check every event's hash, the chain, and the signed checkpoints inside and outside the DB."""
    session = session_of(ctx)
    with session.action(Permission.AUDIT_READ, "audit verify", "AUDIT_READ") as (conn, note):
        report = audit.verify(conn, session.keys.public_key, witness or session.keys.witness)
        note.detail = {"ok": report.ok, "events": report.events, "first_bad": report.first_bad}
    if not report.ok:
        for problem in report.problems:
            console.print(f"[bold red]FAIL[/] {problem}", highlight=False)
        where = f" (first bad event: {report.first_bad})" if report.first_bad else ""
        raise LanternError(f"the audit log does not verify{where}")
    console.print(f"[green]OK[/]: {report.events:,} events, {report.checkpoints} checkpoints verified")


@audit_app.command("query")
def audit_query(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Events by this user.")] = None,
    object_id: Annotated[str | None, typer.Option("--object", help="Events about this object, e.g. source:3.")] = None,
    case_id: Annotated[int | None, typer.Option("--case-id", help="Events in this case (by id).")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action (CONSULT, DISCLOSE...).")] = None,
    limit: Annotated[int, typer.Option()] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON lines.")] = False,
) -> None:
    """Who did what: e.g. who looked at this record, and what were they shown."""
    session = session_of(ctx)
    with session.action(Permission.AUDIT_READ, "audit query", "AUDIT_READ") as (conn, note):
        found = audit.events(conn, user=user, case_id=case_id, object_id=object_id, action=action, limit=limit)
        note.detail = {"user": user, "object": object_id, "case_id": case_id, "action": action,
                       "results": len(found)}
    if as_json:
        for event in found:
            console.print_json(json.dumps(event))
        return
    console.print(table_of("Audit events", ("seq", "at", "user", "action", "operation", "case", "objects", "purpose"),
                           ((e["seq"], e["at"], e["user"], e["action"], e["operation"], e.get("case_id"),
                             " ".join(e.get("objects", [])[:5]), e.get("purpose")) for e in found)))


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Sign the log's size and root now; keep it in the database and the witness file."""
    session = session_of(ctx)
    with session.action(Permission.AUDIT_READ, "audit checkpoint", "AUDIT_READ") as (conn, note):
        made = audit.make_checkpoint(conn, session.keys.signing_key, session.keys.witness)
        note.detail = {"size": made.size, "root": made.root}
    console.print(f"Checkpoint: {made.size:,} events, root {made.root} (witness {session.keys.witness})")


@audit_app.command("export")
def audit_export(ctx: typer.Context, folder: Annotated[Path, typer.Argument(help="Folder for the bundle.")]) -> None:
    """Write a bundle that verifies offline: events, a signed checkpoint, the public key."""
    session = session_of(ctx)
    folder.mkdir(parents=True, exist_ok=True)
    with session.action(Permission.AUDIT_READ, "audit export", "AUDIT_READ") as (conn, note):
        made = audit.make_checkpoint(conn, session.keys.signing_key, session.keys.witness)
        rows = conn.execute(tables.audit_events.select().order_by(tables.audit_events.c.seq)
                            .limit(made.size)).all()
        with (folder / "events.jsonl").open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(row.event_json + "\n")
        # The chain values only help the verifier say which event is bad.
        (folder / "chain.txt").write_text("".join(row.chain_hash + "\n" for row in rows), encoding="utf-8")
        (folder / "checkpoint.txt").write_text(cp.checkpoint_to_text(made), encoding="utf-8")
        (folder / "public_key.hex").write_text(session.keys.public_key.hex() + "\n", encoding="utf-8")
        note.recipient = str(folder)
        note.detail = {"events": made.size, "root": made.root}
    console.print(f"Wrote an audit bundle of {made.size:,} events to {folder}; "
                  "check it with tools/lantern_verify_audit.py")

"""`lantern backup FILE` and `lantern restore FILE`: the whole workspace in one checked archive.

A backup is a bulk export of every case, the keys that pseudonymise victims and sign the audit
log, and the bulk call data, so it is an administrator's task (admin.users), like the other
whole-workspace duties; a supervisor's authority stops at the cases they are granted. It is
recorded as a DISCLOSE event naming the archive's SHA-256, so a backup found later can be
matched to the event that made it. Restoring writes into an empty workspace only (``--force``
sets an existing one aside, never deletes it), and is recorded in the restored workspace's log
by an administrator of that workspace, after its audit log has verified.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import inspect

from lantern import __version__
from lantern.commands.calls import bulk_store
from lantern.commands.context import session_of, settings_of
from lantern.comms.callstore import CallStore
from lantern.errors import LanternError
from lantern.output import console
from lantern.processes import alive
from lantern.security import audit
from lantern.security.checkpoint import checkpoint_to_text
from lantern.security.keys import Keys
from lantern.security.policy import Permission
from lantern.security.session import Session
from lantern.store import Workspace
from lantern.store import backup as archive_io

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # a stale WAL beside a restored file corrupts it


# ---- backup -----------------------------------------------------------------------------------


STAGING = ".lantern-backup-"  # the archive is written in such a folder, then moved into place
RESTORE_STAGING = ".lantern-restore-"  # a restore checks the archive into such a folder first
OWNER = "owner.pid"  # the writing process, so a later backup or restore knows a killed one's leftovers
RESTORING = ".restoring"  # beside the workspace while a restore places its files: names the archive


def _snapshot_database(workspace: Workspace, folder: Path) -> dict[str, Path]:
    if workspace.path is not None:
        target = folder / "workspace.sqlite"
        archive_io.snapshot_sqlite(workspace.path, target)
        return {archive_io.SQLITE_MEMBER: target}
    target = folder / "workspace.pgdump"
    archive_io.dump_postgres(workspace.url, target)
    return {archive_io.POSTGRES_MEMBER: target}


def backup(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="The archive to write (a .tar; never overwritten).")],
    recipient: Annotated[str | None, typer.Option(
        help="Where the backup goes, for the audit (default: the archive's path).")] = None,
) -> None:
    """Back up the whole workspace while it is in use (administrators): database, keys, call data.

    The archive holds victims' data and the workspace's keys: store it encrypted.
    """
    session = session_of(ctx)
    folder = archive.parent if str(archive.parent) else Path(".")
    if archive.exists():
        raise LanternError(f"{archive} exists: a backup never replaces a file")
    if not folder.is_dir():
        raise LanternError(f"cannot write {archive}: no folder {folder}")
    with tempfile.TemporaryDirectory(dir=folder, prefix=STAGING) as tmp:
        (Path(tmp) / OWNER).write_text(str(os.getpid()))
        partial = Path(tmp) / "backup.tar"
        with session.action(Permission.ADMIN_USERS, "backup", "DISCLOSE") as (conn, note):
            stale = _remove_stale_staging(folder, Path(tmp), STAGING)
            # The write lock is held from here to the commit: no import, judgement or call load
            # can land between the database snapshot and the copy of the folders beside it.
            checkpoint = audit.make_checkpoint(conn, session.keys.signing_key, session.keys.witness)
            files = _snapshot_database(session.workspace, Path(tmp))
            calls = bulk_store(session)
            files |= archive_io.folder_files("keys", session.keys.folder)
            files |= archive_io.folder_files("data", calls.folder if calls else None)
            manifest = archive_io.write_archive(partial, files, archive_io.Manifest(
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                created_by=session.actor.username, lantern_version=__version__,
                schema_revision=session.workspace.revision(), backend=session.workspace.dialect,
                source=session.workspace.display_url, audit_events=checkpoint.size,
                audit_checkpoint=checkpoint_to_text(checkpoint), members=()))
            digest = archive_io.file_sha256(partial)
            note.recipient = recipient or str(archive.resolve())
            note.objects = [f"file:{archive.name}"]
            note.detail = {"sha256": digest, "bytes": partial.stat().st_size,
                           "members": len(manifest.members), "audit_events": checkpoint.size,
                           "schema_revision": manifest.schema_revision,
                           "stale_copies_removed": stale}
        os.replace(partial, archive)  # appears only once its DISCLOSE event is committed
    console.print(f"Backed up {session.workspace.display_url} to {archive} "
                  f"({len(manifest.members)} files, {checkpoint.size:,} audit events); "
                  f"SHA-256 {digest}. It holds keys and victims' data: store it encrypted.")


# ---- restore ----------------------------------------------------------------------------------


def _remove_stale_staging(folder: Path, mine: Path, prefix: str) -> list[str]:
    """Remove what a killed backup or restore left in ``folder``: its staging folder may hold a
    whole copy of the workspace and its keys that no audit event names (it was killed before
    its commit). A folder whose owner process still runs is another one at work, and is left
    alone."""
    removed = []
    for staged in sorted(folder.glob(f"{prefix}*")):
        if staged == mine or not staged.is_dir():
            continue
        try:
            owner = int((staged / OWNER).read_text())
        except (OSError, ValueError):
            continue  # not ours to judge: no owner file that we wrote
        if alive(owner):
            continue
        shutil.rmtree(staged, ignore_errors=True)
        removed.append(staged.name)
    return removed


def _database_files(workspace: Workspace) -> list[Path]:
    assert workspace.path is not None
    return [workspace.path] + [workspace.path.with_name(workspace.path.name + s)
                               for s in SQLITE_COMPANIONS]


def _occupied(workspace: Workspace, folders: list[Path]) -> list[str]:
    """What already lives where the restore would write: a restore never mixes two workspaces."""
    found = [str(p) for p in folders if p.exists() and any(p.iterdir())]
    if workspace.path is not None:
        found += [str(p) for p in _database_files(workspace) if p.exists()]
    elif inspect(workspace.engine).get_table_names():
        found.append(workspace.display_url)
    return found


def _set_aside(paths: list[Path]) -> None:
    """Move an existing workspace's files out of the way (DI-7: never delete recovery data)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in paths:
        if path.exists():
            aside = path.with_name(f"{path.name}.before-restore-{stamp}")
            path.rename(aside)
            console.print(f"Set aside {path} as {aside}")


def _place_folder(staged: Path, target: Path | None) -> None:
    if target is None or not staged.is_dir():
        return
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staged), str(target))


def _place_database(workspace: Workspace, manifest: archive_io.Manifest, staged: Path) -> None:
    dump = staged / manifest.database_member
    if workspace.path is not None:
        archive_io.check_sqlite(dump)
        workspace.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(dump), str(workspace.path))
    else:
        archive_io.restore_postgres(workspace.url, dump)


def restoring_marker(workspace: Workspace, keys: Keys) -> Path:
    """The file that says a restore is placing its files here, and from which archive."""
    beside = workspace.path if workspace.path is not None else keys.folder
    return beside.with_name(beside.name + RESTORING)


def _interrupted_restore_of(marker: Path, digest: str) -> bool:
    """Whether the target holds what an earlier restore of this same archive placed before it
    was stopped (killed, or its storage failed) short of its audit event."""
    try:
        return bool(json.loads(marker.read_text()).get("sha256") == digest)
    except (OSError, ValueError, AttributeError):
        return False


def _check_target(archive: Path, workspace: Workspace, occupied: list[str], force: bool,
                  interrupted: bool) -> None:
    if not occupied or (force and workspace.path is not None):
        return
    if interrupted and workspace.path is not None:
        console.print(f"An earlier restore of {archive} here did not finish: setting its files aside")
        return
    if interrupted:
        raise LanternError(f"an earlier restore of {archive} into {workspace.display_url} did not "
                           "finish: drop and re-create the database (dropdb, createdb), then run it again")
    # A PostgreSQL database cannot be set aside by a rename: it must be a fresh one.
    how = ("pass --force to set the existing one aside" if workspace.path
           else "create an empty database for it (createdb)")
    raise LanternError(f"the target is not empty ({', '.join(occupied)}): restore into an "
                       f"empty workspace, or {how}")


def _restore_files(archive: Path, digest: str, workspace: Workspace, keys: Keys, data: Path | None,
                   force: bool) -> archive_io.Manifest:
    """Check the archive into a private staging folder, then put everything in its place."""
    staging_parent = workspace.path.parent if workspace.path else keys.folder.parent
    staging_parent.mkdir(parents=True, exist_ok=True)
    marker = restoring_marker(workspace, keys)
    with tempfile.TemporaryDirectory(dir=staging_parent, prefix=RESTORE_STAGING) as tmp:
        staged = Path(tmp)
        (staged / OWNER).write_text(str(os.getpid()))
        _remove_stale_staging(staging_parent, staged, RESTORE_STAGING)
        manifest = archive_io.extract_verified(archive, staged)
        if manifest.backend != workspace.dialect:
            raise LanternError(f"{archive} is a {manifest.backend} backup; restore it into a "
                               f"{manifest.backend} workspace, not {workspace.dialect}")
        folders = [keys.folder] + ([data] if data else [])
        _check_target(archive, workspace, _occupied(workspace, folders), force,
                      _interrupted_restore_of(marker, digest))
        marker.write_text(json.dumps({"sha256": digest, "archive": str(archive.resolve()),
                                      "pid": os.getpid()}))
        _set_aside(folders + (_database_files(workspace) if workspace.path else []))
        workspace.dispose()  # no pooled connection may outlive the database it points at
        _place_database(workspace, manifest, staged)
        _place_folder(staged / "keys", keys.folder)
        _place_folder(staged / "data", data)
    return manifest


def restore(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="A backup written by `lantern backup`.")],
    force: Annotated[bool, typer.Option(
        help="Set aside an existing SQLite workspace at the target (renamed, never deleted).")] = False,
) -> None:
    """Restore a backup into an empty workspace at --db, then verify its audit log.

    Every member is checked against the manifest's SHA-256 before anything is written in
    place; the acting user must be an administrator in the restored workspace.
    """
    settings = settings_of(ctx)
    workspace = Workspace(settings.db)
    keys = Keys.for_workspace(workspace, settings.key_dir)
    if not archive.is_file():
        raise LanternError(f"{archive}: no such file")
    digest = archive_io.file_sha256(archive)
    manifest = _restore_files(archive, digest, workspace, keys,
                              CallStore.folder_of(workspace, settings.data_dir), force)
    upgraded_from = None
    if workspace.revision() != workspace.head_revision():
        upgraded_from = workspace.revision()
        workspace.init()  # an older backup: Alembic brings it to this version's schema
    session = Session.open(settings)
    with session.action(Permission.ADMIN_USERS, "restore", "ADMIN") as (conn, note):
        report = audit.verify(conn, session.keys.public_key, session.keys.witness)
        if not report.ok:
            raise LanternError(f"the restored audit log does not verify: {report.problems[0]}")
        note.objects = [f"file:{archive.name}"]
        note.detail = {"sha256": digest, "source": manifest.source,
                       "backed_up_at": manifest.created_at, "backed_up_by": manifest.created_by,
                       "audit_events": manifest.audit_events, "upgraded_from": upgraded_from}
    restoring_marker(workspace, keys).unlink(missing_ok=True)  # finished: its event is committed
    console.print(f"Restored {archive} (backed up {manifest.created_at} by {manifest.created_by}) "
                  f"into {session.workspace.display_url}; audit log verified: {report.events:,} "
                  f"events, {report.checkpoints} checkpoints")

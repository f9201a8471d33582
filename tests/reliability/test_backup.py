"""`lantern backup` / `lantern restore` on both backends (DI-6): round trip, tampering, hostile
archives, and who may do it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

from lantern.security import audit
from lantern.store import Workspace, queries
from lantern.store import backup as archive_io

from .conftest import Place


def _snapshot(db: str) -> tuple[str, list[dict]]:
    """The default case's summary digest and the audit log's events, oldest first."""
    ws = Workspace(db)
    try:
        with ws.reader() as conn:
            summary = queries.case_summary(conn, ws.case_id(conn)).digest()
            events = list(reversed(audit.events(conn, limit=10_000)))
    finally:
        ws.dispose()
    return summary, events


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip_restores_the_same_data_and_a_log_that_verifies(busy: Place, empty_target: Place,
                                                                   tmp_path: Path):
    archive = tmp_path / "backup.tar"
    summary_before, events_before = _snapshot(busy.db)
    busy.run("lead", "backup", str(archive))
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds keys and victims' data

    empty_target.run("lead", "restore", str(archive))

    summary_after, events_after = _snapshot(empty_target.db)
    assert summary_after == summary_before
    assert events_after[: len(events_before)] == events_before
    restore_event = events_after[-1]
    assert (restore_event["action"], restore_event["operation"]) == ("ADMIN", "restore")
    assert restore_event["detail"]["sha256"] == _sha256(archive)
    _, source_events = _snapshot(busy.db)
    assert source_events[-1]["action"] == "DISCLOSE"
    assert source_events[-1]["detail"]["sha256"] == _sha256(archive)  # the backup is traceable
    verified = empty_target.run("aud", "audit", "verify")
    assert "OK" in verified.output
    assert (empty_target.key_dir / "pseudonym.key").read_bytes() == (busy.key_dir / "pseudonym.key").read_bytes()
    assert "default" in empty_target.run("ana", "case", "list").output  # grants came too


def test_restore_refuses_a_non_empty_workspace(busy: Place, tmp_path: Path):
    archive = tmp_path / "backup.tar"
    busy.run("lead", "backup", str(archive))
    refused = busy.run("lead", "restore", str(archive), ok=False)
    assert refused.exit_code == 1
    assert "not empty" in refused.output


def test_force_sets_an_existing_sqlite_workspace_aside(tmp_path: Path):
    place = Place(f"sqlite:///{tmp_path / 'ws.db'}", tmp_path / "keys")
    place.run("lead", "init")
    archive = tmp_path / "backup.tar"
    place.run("lead", "backup", str(archive))
    place.run("lead", "restore", str(archive), "--force")
    assert list(tmp_path.glob("ws.db.before-restore-*")), "the old database was not kept"
    place.run("lead", "status")  # the restored workspace opens and answers


def _flip_byte_in(archive: Path, member: str) -> None:
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    with archive.open("r+b") as fh:
        fh.seek(offset + 10)
        byte = fh.read(1)
        fh.seek(offset + 10)
        fh.write(bytes([byte[0] ^ 0xFF]))


def test_a_tampered_backup_is_refused_naming_the_member(busy: Place, empty_target: Place, tmp_path: Path):
    archive = tmp_path / "backup.tar"
    busy.run("lead", "backup", str(archive))
    _flip_byte_in(archive, "keys/pseudonym.key")
    refused = empty_target.run("lead", "restore", str(archive), ok=False)
    assert refused.exit_code == 1
    assert "keys/pseudonym.key" in refused.output and "SHA-256" in refused.output
    assert not empty_target.key_dir.exists()
    if empty_target.db.startswith("sqlite"):
        assert not Path(empty_target.db.removeprefix("sqlite:///")).exists()


def _hostile_archive(path: Path, name: str, data: bytes = b"x", link: bool = False) -> None:
    """A tar whose manifest honestly lists one hostile member."""
    manifest = archive_io.Manifest(
        created_at="2025-01-01T00:00:00+00:00", created_by="mallory", lantern_version="0",
        schema_revision=None, backend="sqlite", source="sqlite:///x.db", audit_events=0,
        audit_checkpoint="", members=(archive_io.Member(name, len(data), hashlib.sha256(data).hexdigest()),
                                      archive_io.Member(archive_io.SQLITE_MEMBER, 1,
                                                        hashlib.sha256(b"x").hexdigest())))
    with tarfile.open(path, "w") as tar:
        for member_name, content in ((name, data), (archive_io.SQLITE_MEMBER, b"x"),
                                     (archive_io.MANIFEST, manifest.to_json())):
            info = tarfile.TarInfo(member_name)
            if link and member_name == name:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
                continue
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def test_hostile_members_are_refused_and_nothing_is_written(tmp_path: Path):
    target = Place(f"sqlite:///{tmp_path / 'target' / 'ws.db'}", tmp_path / "target-keys")
    cases = {"../escape.txt": "climbs out", "/etc/cron.d/x": "absolute path",
             "keys/../../escape.txt": "climbs out", "elsewhere/x": "outside the folders"}
    for number, (name, why) in enumerate(cases.items()):
        archive = tmp_path / f"hostile-{number}.tar"
        _hostile_archive(archive, name)
        refused = target.run("lead", "restore", str(archive), ok=False)
        assert refused.exit_code == 1, name
        assert why in refused.output and repr(name) in refused.output, refused.output
    link = tmp_path / "link.tar"
    _hostile_archive(link, "keys/pseudonym.key", link=True)
    assert "is a link" in target.run("lead", "restore", str(link), ok=False).output
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "target" / "ws.db").exists() and not target.key_dir.exists()


def test_an_unlisted_or_resized_member_is_refused(tmp_path: Path):
    archive = tmp_path / "extra.tar"
    _hostile_archive(archive, "keys/pseudonym.key")
    with tarfile.open(archive, "a") as tar:
        info = tarfile.TarInfo("data/smuggled.duckdb")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    target = Place(f"sqlite:///{tmp_path / 'ws.db'}", tmp_path / "keys")
    assert "'data/smuggled.duckdb' is not in the manifest" in target.run(
        "lead", "restore", str(archive), ok=False).output


def test_an_analyst_may_not_back_up_and_the_refusal_is_audited(busy: Place, tmp_path: Path):
    archive = tmp_path / "backup.tar"
    refused = busy.run("ana", "backup", str(archive), ok=False)
    assert refused.exit_code == 1
    assert "lacks the permission admin.users" in refused.output
    assert not archive.exists() and not list(tmp_path.glob(".lantern-backup-*"))
    _, events = _snapshot(busy.db)
    assert (events[-1]["action"], events[-1]["operation"], events[-1]["user"]) == ("REFUSED", "backup", "ana")


def test_the_manifest_lists_every_member_with_its_hash(busy: Place, tmp_path: Path):
    archive = tmp_path / "backup.tar"
    busy.run("lead", "backup", str(archive))
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(archive_io.MANIFEST).read())
        for member in manifest["members"]:
            assert hashlib.sha256(tar.extractfile(member["name"]).read()).hexdigest() == member["sha256"]
        names = {m["name"] for m in manifest["members"]}
    assert {"keys/pseudonym.key", "keys/audit-signing.key", "keys/audit-witness.txt"} <= names
    assert manifest["schema_revision"] and manifest["created_by"] == "lead"
    assert manifest["audit_checkpoint"].strip()


def test_bulk_call_data_travels_with_the_backup(tmp_path: Path):
    source = Place(f"sqlite:///{tmp_path / 'ws.db'}", tmp_path / "keys")
    source.run("lead", "init")
    calls = tmp_path / "ws.db.data" / "case-1-calls.duckdb"
    calls.parent.mkdir()
    calls.write_bytes(b"stand-in for a DuckDB file of calls")
    archive = tmp_path / "backup.tar"
    source.run("lead", "backup", str(archive))
    target = Place(f"sqlite:///{tmp_path / 'elsewhere' / 'ws.db'}", tmp_path / "elsewhere-keys")
    target.run("lead", "restore", str(archive))
    assert (tmp_path / "elsewhere" / "ws.db.data" / "case-1-calls.duckdb").read_bytes() == calls.read_bytes()


def test_a_killed_backups_unaudited_copy_is_removed_by_the_next_backup(busy: Place, tmp_path: Path):
    """A backup killed before its DISCLOSE event committed leaves a whole copy (keys included)
    in its staging folder with no event naming it: the next backup removes it, and says so in
    its own event. Another backup still at work, and folders Lantern did not make, are left."""
    dead_pid = subprocess.Popen(["true"])  # a process that has ended
    dead_pid.wait()
    stale = tmp_path / ".lantern-backup-killed"
    stale.mkdir()
    (stale / "owner.pid").write_text(str(dead_pid.pid))
    (stale / "backup.tar").write_bytes(b"a whole copy of the workspace")
    running = tmp_path / ".lantern-backup-running"
    running.mkdir()
    (running / "owner.pid").write_text(str(os.getpid()))  # this test process: alive
    foreign = tmp_path / ".lantern-backup-not-ours"
    foreign.mkdir()

    busy.run("lead", "backup", str(tmp_path / "backup.tar"))

    assert not stale.exists()
    assert running.exists() and foreign.exists()
    _, events = _snapshot(busy.db)
    backup_event = next(e for e in reversed(events) if e["operation"] == "backup")
    assert backup_event["action"] == "DISCLOSE"
    assert backup_event["detail"]["stale_copies_removed"] == [".lantern-backup-killed"]

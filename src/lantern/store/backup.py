"""Backups of a workspace: one tar archive with a manifest, checked member by member on restore.

What goes in: a consistent snapshot of the database (SQLite's online backup API, which copies
the committed pages still in the write-ahead log too; ``pg_dump -Fc`` for PostgreSQL, which
reads one repeatable-read snapshot) and the folders that belong to the workspace (its keys and
audit witness, its bulk call data). ``manifest.json`` is the last member: it lists every other
member with its size and the SHA-256 of the bytes actually written, so a file that changed
while it was being read cannot slip in under an old hash.

A restore trusts nothing in the archive until it has been checked: only plain files with plain
relative names under the known folders, each listed in the manifest with the size its header
declares, are read at all, and each is streamed into a private staging folder while its hash
is computed; one mismatch refuses the whole archive, naming the member. Only then is anything
put in place.

The archive holds the workspace's keys and victims' data: it is written with mode 0600 and
must be stored encrypted (docs/reliability.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from sqlalchemy.engine import make_url

from lantern.errors import LanternError
from lantern.security.archives import _name_problem as unsafe_name  # the ZIP guard's name rules
from lantern.security.limits import GiB, MiB

FORMAT = "lantern-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/workspace.sqlite"
POSTGRES_MEMBER = "database/workspace.pgdump"
FOLDERS = ("database", "keys", "data")  # the only top-level folders an archive may hold
MAX_MANIFEST_BYTES = 4 * MiB
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 512 * GiB
CHUNK = 1 * MiB


# ---- the manifest -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a backup holds and where it came from; the last member of the archive."""

    created_at: str
    created_by: str
    lantern_version: str
    schema_revision: str | None
    backend: str  # sqlite | postgresql
    source: str  # the workspace's URL, password hidden
    audit_events: int  # events in the log at the snapshot
    audit_checkpoint: str  # signed checkpoint of exactly those events (also in the witness)
    members: tuple[Member, ...]
    format: str = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, archive: Path) -> Manifest:
        try:
            raw = json.loads(data)
            members = tuple(Member(str(m["name"]), int(m["size"]), str(m["sha256"]))
                            for m in raw.pop("members"))
            manifest = cls(members=members, **raw)
        except (ValueError, KeyError, TypeError) as exc:
            raise LanternError(f"{archive}: refused: its manifest is damaged ({exc})") from None
        if manifest.format != FORMAT:
            raise LanternError(f"{archive}: refused: backup format {manifest.format!r}, "
                               f"this Lantern reads {FORMAT!r}")
        return manifest

    @property
    def database_member(self) -> str:
        return SQLITE_MEMBER if self.backend == "sqlite" else POSTGRES_MEMBER


def folder_files(prefix: str, folder: Path | None) -> dict[str, Path]:
    """Every regular file under ``folder`` as ``{prefix/relative name: path}``; links are skipped
    (a workspace's own folders hold none, and a link could point anywhere)."""
    if folder is None or not folder.is_dir():
        return {}
    return {f"{prefix}/{path.relative_to(folder).as_posix()}": path
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink()}


# ---- database snapshots -----------------------------------------------------------------------


def snapshot_sqlite(db: Path, dest: Path) -> None:
    """Copy a live SQLite database through the online backup API, then check the copy.

    One backup step (``pages=-1``) reads one consistent snapshot, WAL included; copying the
    ``.db`` file alone would miss every commit not yet checkpointed out of the WAL.
    """
    source = sqlite3.connect(db)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
        _check_sqlite(target, dest, "quick_check")
    finally:
        target.close()
        source.close()


def _check_sqlite(conn: sqlite3.Connection, path: Path, pragma: str) -> None:
    result = [row[0] for row in conn.execute(f"PRAGMA {pragma}")]  # pragma: fixed names only
    if result != ["ok"]:
        raise LanternError(f"{path}: SQLite {pragma} failed: {'; '.join(map(str, result[:5]))}")


def check_sqlite(path: Path) -> None:
    """Full ``PRAGMA integrity_check`` of a database file (restore runs it before placing it)."""
    conn = sqlite3.connect(path)
    try:
        _check_sqlite(conn, path, "integrity_check")
    finally:
        conn.close()


def _pg_env(url: str) -> dict[str, str]:
    """libpq's variables for ``url``: the password travels in the environment, never in argv."""
    parsed = make_url(url)
    env = dict(os.environ)
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port),
                        ("PGUSER", parsed.username), ("PGPASSWORD", parsed.password)):
        if value is not None:
            env[name] = str(value)
    return env


def _run_pg_tool(args: list[str], url: str) -> None:
    if shutil.which(args[0]) is None:
        raise LanternError(f"{args[0]} not found: install the PostgreSQL client tools "
                           "(e.g. apt-get install postgresql-client)")
    done = subprocess.run(args, env=_pg_env(url), capture_output=True, text=True, check=False)
    if done.returncode < 0:  # killed: by SIGXFSZ, its file grew past the size limit
        signum = -done.returncode
        raise LanternError(f"{args[0]} was killed by {signal.Signals(signum).name} "
                           f"({signal.strsignal(signum)}); nothing was backed up or restored")
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        raise LanternError(f"{args[0]} failed (exit {done.returncode}): {tail}")


def dump_postgres(url: str, dest: Path) -> None:
    """``pg_dump -Fc``: one consistent snapshot, compressed, restorable table by table."""
    database = make_url(url).database or ""
    _run_pg_tool(["pg_dump", "--format=custom", f"--file={dest}", f"--dbname={database}"], url)


def restore_postgres(url: str, dump: Path) -> None:
    """Load a dump into an empty database in one transaction: a failed restore leaves it empty."""
    database = make_url(url).database or ""
    _run_pg_tool(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                  f"--dbname={database}", str(dump)], url)


# ---- writing the archive ----------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile and hashes exactly the bytes it hands over."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def write_archive(target: Path, files: dict[str, Path], manifest: Manifest) -> Manifest:
    """Write ``files`` (archive name -> path) and then the manifest as a tar at ``target``.

    The file is created with mode 0600 and never replaces one; it is flushed to disk before
    this returns. Returns the manifest as written, with each member's size and hash.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            members = tuple(_add_file(tar, name, path) for name, path in sorted(files.items()))
            written = Manifest(**{**asdict(manifest), "members": members})
            _add_bytes(tar, MANIFEST, written.to_json())
        raw.flush()
        os.fsync(raw.fileno())
    return written


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    return info


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> Member:
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size  # what tar copies, even if the file grows meanwhile
        reader = _HashingReader(fh)
        tar.addfile(_tar_info(name, size), reader)
    return Member(name, size, reader.digest.hexdigest())


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_tar_info(name, len(data)), io.BytesIO(data))


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


# ---- reading it back --------------------------------------------------------------------------


def _member_problem(info: tarfile.TarInfo) -> str | None:
    """Why a tar entry may not be restored, or None: plain files under known folders only."""
    if not info.isreg():
        kind = "a link" if info.issym() or info.islnk() else "not a plain file"
        return f"is {kind}"
    problem = unsafe_name(info.name)
    if problem:
        return problem
    if info.name != MANIFEST and PurePosixPath(info.name).parts[0] not in FOLDERS:
        return "is outside the folders a backup holds"
    if info.size > MAX_MEMBER_BYTES:
        return f"declares {info.size:,} bytes, over the limit"
    return None


def _headers(tar: tarfile.TarFile, archive: Path) -> dict[str, tarfile.TarInfo]:
    """Every entry's header, checked, before a byte of content is read."""
    seen: dict[str, tarfile.TarInfo] = {}
    for count, info in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise LanternError(f"{archive}: refused: more than {MAX_MEMBERS:,} entries")
        problem = _member_problem(info)
        if problem is None and info.name in seen:
            problem = "appears more than once"
        if problem:
            raise LanternError(f"{archive}: refused: member {info.name!r} {problem}")
        seen[info.name] = info
    return seen


def _read_manifest(tar: tarfile.TarFile, infos: dict[str, tarfile.TarInfo],
                   archive: Path) -> Manifest:
    info = infos.get(MANIFEST)
    if info is None:
        raise LanternError(f"{archive}: refused: no {MANIFEST}; not a Lantern backup")
    if info.size > MAX_MANIFEST_BYTES:
        raise LanternError(f"{archive}: refused: {MANIFEST} is {info.size:,} bytes, over the limit")
    fh = tar.extractfile(info)
    assert fh is not None  # a regular file, checked above
    return Manifest.from_json(fh.read(), archive)


def _check_listing(manifest: Manifest, infos: dict[str, tarfile.TarInfo], archive: Path) -> None:
    """The manifest and the archive must name the same members with the same sizes."""
    listed = {m.name: m for m in manifest.members}
    for member in manifest.members:
        problem = unsafe_name(member.name)
        if problem:
            raise LanternError(f"{archive}: refused: manifest entry {member.name!r} {problem}")
        info = infos.get(member.name)
        if info is None:
            raise LanternError(f"{archive}: refused: member {member.name!r} is missing")
        if info.size != member.size:
            raise LanternError(f"{archive}: refused: member {member.name!r} holds {info.size:,} "
                               f"bytes, the manifest says {member.size:,}")
    extra = sorted(set(infos) - set(listed) - {MANIFEST})
    if extra:
        raise LanternError(f"{archive}: refused: member {extra[0]!r} is not in the manifest")
    if manifest.database_member not in listed:
        raise LanternError(f"{archive}: refused: it holds no {manifest.database_member}")


def _check_space(manifest: Manifest, staging: Path, archive: Path) -> None:
    needed = sum(m.size for m in manifest.members)
    free = shutil.disk_usage(staging).free
    if needed > free:
        raise LanternError(f"{archive}: refused: restoring needs {needed:,} bytes, "
                           f"{staging} has {free:,} free")


def _extract_member(tar: tarfile.TarFile, info: tarfile.TarInfo, member: Member,
                    staging: Path, archive: Path) -> None:
    target = staging.joinpath(*PurePosixPath(member.name).parts)
    if not target.resolve().is_relative_to(staging.resolve()):  # belt and braces over the name checks
        raise LanternError(f"{archive}: refused: member {member.name!r} escapes the staging folder")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    source = tar.extractfile(info)
    assert source is not None
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != member.sha256:
        raise LanternError(f"{archive}: refused: member {member.name!r} does not match its "
                           "SHA-256 in the manifest (damaged or tampered with)")


def extract_verified(archive: Path, staging: Path) -> Manifest:
    """Check ``archive`` and stream its members into ``staging``, each against its hash.

    ``staging`` must be an empty private folder; on refusal the caller discards it. Returns
    the manifest; the members lie under ``staging`` by their archive names.
    """
    if not archive.is_file():
        raise LanternError(f"{archive}: no such file")
    try:
        with tarfile.open(archive, mode="r:") as tar:  # plain tar only: nothing to decompress
            infos = _headers(tar, archive)
            manifest = _read_manifest(tar, infos, archive)
            _check_listing(manifest, infos, archive)
            _check_space(manifest, staging, archive)
            for member in manifest.members:
                _extract_member(tar, infos[member.name], member, staging, archive)
    except tarfile.TarError as exc:
        raise LanternError(f"{archive}: refused: not a readable tar archive ({exc})") from None
    return manifest

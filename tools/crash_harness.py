"""Kill Lantern at random moments and check that nothing committed is lost (DI-2, DI-3, DI-6, AU-4).

Each run clones a prepared workspace (SQLite: a copy through SQLite's backup API; PostgreSQL:
``CREATE DATABASE run TEMPLATE base``), starts one Lantern command on it as a subprocess, SIGKILLs
it after a seeded random delay, and then checks the workspace. The stages, in turn:

* ingest: an ingest of two files (the first 20,000 rows);
* resolve, judge, network: a resolution, a judgement, a network build;
* backup: ``lantern backup``;
* audit: a burst of audited commands in one process (status, search, ``audit checkpoint``,
  an export, which is a DISCLOSE and signs a checkpoint into the witness file), so that kills
  land inside audit appends and checkpoint writes;
* restore: ``lantern restore`` of a backup of the loaded samples into an empty workspace
  (killed part-way, the target is half placed: running it again must finish it).

After each kill:

* the workspace opens at the current schema (SQLite: and ``PRAGMA integrity_check`` is ok;
  PostgreSQL: no invalid index and no prepared transaction is left behind);
* the audit log verifies (the same check as ``lantern audit verify``, witness file included),
  so no event is half-written or missing from the chain;
* every source the log says was collected is there and complete, every source in the store
  is complete and has its COLLECT event, and every resolution run, judgement and network run
  has its event;
* backup (checked after the re-run): a partial archive the killed backup left in its hidden
  staging folder is refused by ``lantern restore`` (unless the kill came after it was whole:
  then it restores and verifies), and a refused restore leaves nothing in the target;
* re-running the killed command completes the job (an ingest reports "already loaded" or loads
  the file; a backup is written, restores into an empty workspace and verifies, and the same
  archive cut short at a random byte is refused with a clear error), and the checks hold again.

    python tools/crash_harness.py --runs 40 --seed 7                  # or: make crash
    python tools/crash_harness.py --store postgres --runs 30 --seed 1  # LANTERN_TEST_PG or --pg-url

Prints one line per run (stage, kill time, outcome) and exits 1 on any violation. Timings
vary with the machine; nothing here asserts on them. PostgreSQL databases are named
``lantern_crash_<random>_*`` and dropped at the end, violating ones included (their names and
key folders are printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.engine import make_url

from lantern.demo import sample_path
from lantern.security import audit
from lantern.security.keys import Keys
from lantern.store import Workspace, tables

USER = "lead"
AUDITOR = "aud"  # the audit stage's `audit checkpoint` needs audit.read, which the lead lacks
DB = "lantern.db"
COMMAND_TIMEOUT_S = 600  # a re-run that takes longer than this counts as not completing
DEFAULT_PG = os.environ.get("LANTERN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BURST_ROUNDS = 6  # rounds of the audit stage's four commands


# ---- where workspaces live --------------------------------------------------------------------


@dataclass
class Place:
    """One workspace: its folder (keys, backups, exports), database URL and key folder."""

    name: str
    folder: Path
    db: str
    key_dir: Path | None  # None: SQLite's default, <db>.keys

    def args(self) -> list[str]:
        return ["--db", self.db, *(["--key-dir", str(self.key_dir)] if self.key_dir else [])]

    @property
    def keys_folder(self) -> Path:
        return self.key_dir or self.folder / f"{DB}.keys"

    def workspace(self) -> Workspace:
        return Workspace(self.db)

    def keys(self, ws: Workspace) -> Keys:
        return Keys.for_workspace(ws, str(self.key_dir) if self.key_dir else None)


class Store:
    """SQLite files in ``work`` (the default)."""

    kind = "sqlite"

    def __init__(self, work: Path) -> None:
        self.work = work

    def empty(self, name: str) -> Place:
        folder = self.work / name
        folder.mkdir(parents=True)
        return Place(name, folder, f"sqlite:///{folder / DB}", None)

    def clone(self, source: Place, name: str) -> Place:
        """A consistent copy through SQLite's backup API (WAL included) and the key folder."""
        place = self.empty(name)
        src, dst = sqlite3.connect(source.folder / DB), sqlite3.connect(place.folder / DB)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        shutil.copytree(source.keys_folder, place.keys_folder)
        return place

    def engine_problems(self, place: Place) -> list[str]:
        conn = sqlite3.connect(place.folder / DB)
        try:
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
        return [] if integrity == ["ok"] else [f"integrity_check: {integrity[:3]}"]

    def is_empty(self, place: Place) -> bool:
        return not (place.folder / DB).exists() and not place.keys_folder.exists()

    def drop(self, place: Place) -> None:
        shutil.rmtree(place.folder, ignore_errors=True)

    def keep(self, place: Place) -> str:
        return str(place.folder)

    def close(self) -> None:
        pass


class PostgresStore(Store):
    """One PostgreSQL database per place on the server at ``admin_url``; clones come from a
    prepared database by ``CREATE DATABASE ... TEMPLATE`` (a file copy on the server)."""

    kind = "postgresql"

    def __init__(self, work: Path, admin_url: str) -> None:
        super().__init__(work)
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.prefix = f"lantern_crash_{uuid.uuid4().hex[:8]}"
        self.databases: set[str] = set()
        with self.admin.connect() as conn:
            conn.execute(text("SELECT 1"))

    def _database(self, name: str) -> str:
        return f"{self.prefix}_{name.replace('-', '_')}"

    def _place(self, name: str) -> Place:
        folder = self.work / name
        folder.mkdir(parents=True)
        url = make_url(self.admin_url).set(database=self._database(name)).render_as_string(hide_password=False)
        return Place(name, folder, url, folder / "keys")

    def _create(self, database: str, template: str | None = None) -> None:
        clause = f' TEMPLATE "{template}"' if template else ""
        for attempt in range(20):
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{database}"{clause}'))
                break
            except Exception:  # noqa: BLE001 - the template is briefly busy after a killed client
                if attempt == 19:
                    raise
                time.sleep(0.5)
        self.databases.add(database)

    def empty(self, name: str) -> Place:
        place = self._place(name)
        self._create(self._database(name))
        return place

    def clone(self, source: Place, name: str) -> Place:
        place = self._place(name)
        self._create(self._database(name), template=self._database(source.name))
        shutil.copytree(source.keys_folder, place.keys_folder)
        return place

    def engine_problems(self, place: Place) -> list[str]:
        ws = place.workspace()
        try:
            with ws.reader() as conn:
                invalid = conn.exec_driver_sql(
                    "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid").scalars().all()
                prepared = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()").scalar()
        finally:
            ws.dispose()
        problems = [f"invalid index {name}" for name in invalid]
        return problems + ([f"{prepared} prepared transactions left"] if prepared else [])

    def is_empty(self, place: Place) -> bool:
        ws = place.workspace()
        try:
            with ws.reader() as conn:
                tables_left = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").scalar()
        finally:
            ws.dispose()
        return not tables_left and not (place.key_dir and place.key_dir.exists())

    def drop(self, place: Place) -> None:
        database = self._database(place.name)
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        self.databases.discard(database)
        shutil.rmtree(place.folder, ignore_errors=True)

    def keep(self, place: Place) -> str:
        return f"{place.folder} (its database {self._database(place.name)} is dropped at the end)"

    def close(self) -> None:
        with self.admin.connect() as conn:
            for database in sorted(self.databases):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        self.databases.clear()
        self.admin.dispose()


# ---- running Lantern --------------------------------------------------------------------------


def lantern_args(place: Place, *args: str) -> list[str]:
    return [sys.executable, "-m", "lantern.cli", *place.args(), "--user", USER, *args]


def burst_args(place: Place, rounds: int) -> list[str]:
    """The audit stage's command: this file, running rounds of audited commands in one process."""
    return [sys.executable, str(Path(__file__).resolve()), "--burst", str(rounds),
            "--burst-folder", str(place.folder), "--", *place.args()]


EXTRA_ENV: dict[str, str] = {}  # CRASH_AUDITOR_TOKEN, once the audit stage's base has its auditor


def run_argv(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", **EXTRA_ENV}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=COMMAND_TIMEOUT_S, check=False)


def run_lantern(place: Place, *args: str) -> subprocess.CompletedProcess[str]:
    return run_argv(lantern_args(place, *args))


def must(place: Place, *args: str) -> str:
    done = run_lantern(place, *args)
    if done.returncode != 0:
        raise SystemExit(f"setup failed: lantern {' '.join(args)}\n{done.stdout}{done.stderr}")
    return done.stdout


def kill_after(argv: list[str], delay: float) -> float | None:
    """Start the command, SIGKILL it after ``delay`` seconds; its duration if it finished first."""
    env = {**os.environ, "COLUMNS": "200", **EXTRA_ENV}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        proc.wait(timeout=delay)
        return time.perf_counter() - started
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def burst(rounds: int, folder: Path, options: list[str]) -> None:
    """Audited commands back to back in this process (no start-up between them): each appends an
    event; ``audit checkpoint`` (by the auditor, token in CRASH_AUDITOR_TOKEN) and the export (a
    DISCLOSE) also sign a checkpoint into the database and the witness file."""
    from lantern.cli import app

    auditor = os.environ.get("CRASH_AUDITOR_TOKEN", "")
    for n in range(rounds):
        for user, args in ((USER, ["status"]), (USER, ["search", "Smith"]),
                           (AUDITOR, ["audit", "checkpoint"]),
                           (USER, ["export", "-f", "jsonl", "-o", str(folder / f"export-{n}.jsonl"),
                                   "--recipient", "crash harness"])):
            if user == AUDITOR:
                os.environ["LANTERN_TOKEN"] = auditor
            else:
                os.environ.pop("LANTERN_TOKEN", None)
            status = app([*options, "--user", user, *args], prog_name="lantern", standalone_mode=False)
            if status not in (None, 0):
                raise SystemExit(f"burst: lantern {' '.join(args)} failed (exit {status})")


PINNED = """import importlib, os, signal, sys
module, name = sys.argv[1].split(":")
owner = importlib.import_module(module)
original = getattr(owner, name)
def killed(*args, **kwargs):
    original(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
setattr(owner, name, killed)
from lantern.cli import app
app(sys.argv[2:], prog_name="lantern")
"""


def kill_right_after(place: Place, point: str, *args: str) -> int:
    """Run ``lantern *args`` in a process that SIGKILLs itself the moment ``module:function``
    returns: a pinned crash point instead of a random one. Returns the exit status (-9 when the
    point was reached)."""
    argv = [sys.executable, "-c", PINNED, point, *place.args(), "--user", USER, *args]
    return run_argv(argv).returncode


# ---- the stages -------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: Place  # the workspace the command starts from
    argv: Callable[[Place], list[str]]  # the command, for a clone of base
    operation: str | None  # its audit operation ("killed before/after a commit"); None: any
    seconds: float = 0.0  # how long it takes unkilled (calibration)
    fresh: bool = False  # the command runs on an empty place (a restore), not on a clone of base

    def place(self, store: Store, name: str) -> Place:
        return store.empty(name) if self.fresh else store.clone(self.base, name)


def bulk_nominals(path: Path, rows: int) -> Path:
    """The sample nominals, repeated with fresh references: an import long enough to kill inside."""
    header, *lines = sample_path("nominals.csv").read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for n in range(rows):
            line = lines[n % len(lines)]
            out.write(f"BK-{n:07d}{line[line.index(','):]}\n")
    return path


def person_records(place: Place, refs: tuple[str, str]) -> list[str]:
    ws = place.workspace()
    r = tables.records
    try:
        with ws.reader() as conn:
            ids = [conn.scalar(select(r.c.id).where(r.c.source_record_id == ref, r.c.schema == "Person"))
                   for ref in refs]
    finally:
        ws.dispose()
    return [str(i) for i in ids]


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = run_argv(argv)
    if done.returncode != 0:
        raise SystemExit(f"setup failed: {' '.join(argv)}\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


ALL_STAGES = ("ingest", "resolve", "judge", "network", "backup", "audit", "restore")


def prepare(store: Store, work: Path, bulk_rows: int, only: list[str] | None = None) -> list[Stage]:
    """Build the starting workspaces once (only those the chosen stages need), timing each stage."""
    wanted = [name for name in ALL_STAGES if only is None or name in only]
    empty = store.empty("base-empty")
    must(empty, "init")
    bulk = bulk_nominals(work / "bulk-nominals.csv", bulk_rows)
    ingest = ["ingest", str(bulk), str(sample_path("nominals.csv")), "-p", "sample-nominals"]
    loaded = store.clone(empty, "base-loaded")
    for name, profile in (("nominals.csv", "sample-nominals"), ("crimes.csv", "sample-crimes"),
                          ("intelligence.jsonl", "sample-intelligence")):
        must(loaded, "ingest", str(sample_path(name)), "-p", profile)
    if "audit" in wanted:
        must(loaded, "user", "add", AUDITOR, "--roles", "auditor")
        EXTRA_ENV["CRASH_AUDITOR_TOKEN"] = must(loaded, "user", "token", AUDITOR).strip().splitlines()[-1]
    stages = [
        Stage("ingest", empty, lambda p: lantern_args(p, *ingest), "ingest"),
        Stage("resolve", loaded, lambda p: lantern_args(p, "resolve"), "resolve"),
        # A backup and the audited commands start from the resolved workspace when there is
        # one (a full run), else from the loaded samples (no resolution to build first).
        Stage("backup", loaded, lambda p: lantern_args(p, "backup", str(p.folder / "backup.tar")), "backup"),
        Stage("audit", loaded, lambda p: burst_args(p, BURST_ROUNDS), None),
    ]
    if "restore" in wanted:
        archive = work / "restore-source.tar"
        must(store.clone(loaded, "base-backup"), "backup", str(archive))
        stages.append(Stage("restore", loaded, lambda p: lantern_args(p, "restore", str(archive)),
                            "restore", fresh=True))
    if "judge" in wanted or "network" in wanted:
        resolved = store.clone(loaded, "base-resolved")
        stages[1].seconds = timed(lantern_args(resolved, "resolve"))
        a, b = person_records(resolved, ("NA-1003", "NA-1007"))
        judge = ["judge", a, b, "same", "--reason", "crash harness: same DOB year and phone"]
        stages[2].base = stages[3].base = resolved
        stages += [Stage("judge", resolved, lambda p: lantern_args(p, *judge), "judge"),
                   Stage("network", resolved, lambda p: lantern_args(p, "network"), "network")]
    stages = sorted((s for s in stages if s.name in wanted), key=lambda s: ALL_STAGES.index(s.name))
    for stage in stages:
        if not stage.seconds:
            probe = stage.place(store, f"probe-{stage.name}")
            stage.seconds = timed(stage.argv(probe))
            store.drop(probe)
    return stages


# ---- the checks -------------------------------------------------------------------------------


def _events(conn: Connection) -> list[dict[str, Any]]:
    return list(reversed(audit.events(conn, limit=10_000_000)))


def _objects(events: list[dict[str, Any]], kind: str) -> set[int]:
    return {int(str(o).split(":", 1)[1]) for e in events for o in e.get("objects", [])
            if str(o).startswith(f"{kind}:")}


def _source_problems(conn: Connection, events: list[dict[str, Any]]) -> list[str]:
    s, r = tables.sources, tables.records
    problems = []
    rows = {row.id: row for row in conn.execute(select(s))}
    loaded = {row.source_id: row.n for row in conn.execute(
        select(r.c.source_id, func.count(func.distinct(r.c.row_number)).label("n")).group_by(r.c.source_id))}
    collected = {int(str(e["objects"][0]).split(":")[1]): e for e in events
                 if e["operation"] == "ingest" and e["action"] == "COLLECT"}
    for source_id, event in collected.items():
        expected = event["detail"]["rows_loaded"]
        if source_id not in rows:
            problems.append(f"source {source_id} is in the audit log but not in the store")
        elif not event["detail"]["duplicate"] and rows[source_id].rows_loaded != expected:
            problems.append(f"source {source_id}: {rows[source_id].rows_loaded} rows, log says {expected}")
    for source_id, row in rows.items():
        if loaded.get(source_id, 0) != row.rows_loaded:
            problems.append(f"source {source_id} is half-written: {loaded.get(source_id, 0)} of "
                            f"{row.rows_loaded} rows present")
        if source_id not in collected:
            problems.append(f"source {source_id} was committed without its COLLECT event")
    return problems


def _run_problems(conn: Connection, events: list[dict[str, Any]]) -> list[str]:
    """Every resolution run, network run and judgement must have been audited (AU-4)."""
    problems = []
    # Resolve's event names every run it made: people, and each object and place type.
    for kind, query in (("resolution", select(tables.resolution_runs.c.id)),
                        ("network", select(tables.network_runs.c.id))):
        ids = {int(i) for i in conn.execute(query).scalars()}
        missing = ids - _objects(events, kind)
        if missing:
            problems.append(f"{kind} runs {sorted(missing)} committed without an audit event")
    judged = int(conn.scalar(select(func.count()).select_from(tables.judgements)) or 0)
    judge_events = sum(1 for e in events if e["operation"] == "judge")
    if judged != judge_events:
        problems.append(f"{judged} judgements but {judge_events} judge events")
    return problems


def check_workspace(store: Store, place: Place) -> list[str]:
    """Every invariant a crash must not break; returns the violations found."""
    try:
        engine = store.engine_problems(place)
    except Exception as exc:  # noqa: BLE001 - any failure to open is itself the finding
        return [f"workspace does not open: {exc}"]
    if engine:
        return engine
    ws = place.workspace()
    try:
        ws.require()
        keys = place.keys(ws)
        with ws.reader() as conn:
            report = audit.verify(conn, keys.public_key, keys.witness)
            events = _events(conn)
            problems = [f"audit verify: {p}" for p in report.problems]
            return problems + _source_problems(conn, events) + _run_problems(conn, events)
    except Exception as exc:  # noqa: BLE001 - any failure to open is itself the finding
        return [f"workspace does not open: {exc}"]
    finally:
        ws.dispose()


def count_operation(place: Place, operation: str | None) -> int:
    ws = place.workspace()
    try:
        with ws.reader() as conn:
            return sum(1 for e in _events(conn) if operation is None or e["operation"] == operation)
    finally:
        ws.dispose()


# ---- backups: a file is either a good backup or refused ----------------------------------------


def _manifest_end(archive: Path) -> int:
    """The byte after the manifest's content: an archive cut anywhere before it is partial."""
    with tarfile.open(archive) as tar:
        info = tar.getmember("manifest.json")
        return info.offset_data + info.size


def restore_into(store: Store, archive: Path, name: str) -> tuple[Place, subprocess.CompletedProcess[str]]:
    target = store.empty(name)  # an empty folder (SQLite) or a fresh database, no keys yet
    return target, run_lantern(target, "restore", str(archive))


def _refusal_problems(store: Store, archive: Path, name: str, why: str) -> list[str]:
    target, done = restore_into(store, archive, name)
    try:
        said = (done.stdout + done.stderr).strip()
        if done.returncode == 0:
            return [f"{why}: restore accepted it"]
        if done.returncode != 1 or "Traceback" in said or "refused" not in said:
            return [f"{why}: restore failed without a clear refusal (exit {done.returncode}): {said[-300:]}"]
        if not store.is_empty(target):
            return [f"{why}: the refused restore left something in the target"]
        return []
    finally:
        store.drop(target)


def _good_backup_problems(store: Store, archive: Path, name: str, why: str) -> list[str]:
    target, done = restore_into(store, archive, name)
    try:
        if done.returncode != 0:
            return [f"{why}: restore failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-300:]}"]
        return [f"{why}, restored: {p}" for p in check_workspace(store, target)]
    finally:
        store.drop(target)


def backup_problems(store: Store, place: Place, rng: random.Random) -> list[str]:
    """After the kill and the re-run: no staging folder of the killed backup is left (the re-run
    removes it: it may hold a whole copy no audit event names); an archive left in one (if any)
    is refused, unless it is in fact whole; ``backup.tar`` restores and verifies; and the same
    archive cut short at a random byte before the end of its manifest is refused."""
    problems = [f"a killed backup's staging folder was left: {p.name}"
                for p in place.folder.glob(".lantern-backup-*")]
    archive = place.folder / "backup.tar"
    for number, partial in enumerate(sorted(place.folder.glob(".lantern-backup-*/backup.tar"))):
        # Killed mid-write (or before its DISCLOSE committed): refused unless it is whole.
        try:
            whole = _manifest_end(partial) <= partial.stat().st_size
        except (tarfile.TarError, KeyError, OSError):
            whole = False
        check = _good_backup_problems if whole else _refusal_problems
        problems += check(store, partial, f"{place.name}-partial{number}", f"staged archive {partial.name}")
    if archive.exists():
        problems += _good_backup_problems(store, archive, f"{place.name}-restore", "backup.tar")
    else:
        problems.append("the re-run left no backup.tar")
    if archive.exists() and not problems:
        cut = place.folder / "cut.tar"
        end = _manifest_end(archive)
        with archive.open("rb") as src:
            cut.write_bytes(src.read(rng.randrange(0, end)))
        problems += _refusal_problems(store, cut, f"{place.name}-cut", f"backup cut at {cut.stat().st_size} bytes")
    return problems


def restored(store: Store, place: Place) -> int:
    """1 if a restore's event is in the target's log (it committed), else 0."""
    if store.kind == "sqlite" and not (place.folder / DB).exists():
        return 0  # not there yet (and opening it would create an empty file in the target)
    try:
        return 1 if count_operation(place, "restore") else 0
    except Exception:  # noqa: BLE001 - killed before the database (or its schema) was in place
        return 0


def recreate(store: Store, place: Place) -> None:
    """What the restore asks of a PostgreSQL target it left half placed: a fresh database."""
    if isinstance(store, PostgresStore):
        database = store._database(place.name)
        with store.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))


def restore_rerun_problems(store: Store, place: Place, stage: Stage) -> list[str]:
    """A killed restore, run again, finishes (on PostgreSQL after the database is re-created,
    when it asks for that), leaves no staging copy or marker, and the workspace holds."""
    done = None if restored(store, place) else run_argv(stage.argv(place))
    if done is not None and done.returncode != 0 and "drop and re-create the database" in done.stderr:
        recreate(store, place)
        done = run_argv(stage.argv(place))
    if done is not None and done.returncode != 0:
        return [f"re-run failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-300:]}"]
    problems = [f"a killed restore's staging folder was left: {p.name}"
                for p in place.folder.glob(".lantern-restore-*")]
    problems += [f"a restore marker was left: {p.name}" for p in place.folder.glob("*.restoring")]
    return problems + check_workspace(store, place)


def rerun_problems(store: Store, place: Place, stage: Stage, rng: random.Random) -> list[str]:
    """Re-running the killed command must finish the job."""
    if stage.fresh:
        return restore_rerun_problems(store, place, stage)
    if stage.name == "backup" and (place.folder / "backup.tar").exists():
        done = None  # the backup was made before the kill: a second one would be refused ("exists")
    else:
        done = run_argv(stage.argv(place))
        if done.returncode != 0:
            return [f"re-run failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-300:]}"]
    if stage.name == "ingest" and done is not None:
        files = [Path(a).name for a in stage.argv(place) if a.endswith(".csv")]
        for name in files:
            said = [line for line in done.stdout.splitlines() if line.startswith(name)]
            if not said or not any(w in said[0] for w in ("already loaded", "rows loaded")):
                return [f"re-run did not load or recognise {name}: {done.stdout.strip()[-300:]}"]
    problems = check_workspace(store, place)
    if stage.name == "backup" and not problems:
        problems = backup_problems(store, place, rng)
    return problems


# ---- one run, many runs -----------------------------------------------------------------------


@dataclass
class Run:
    number: int
    stage: str
    kill_at: float
    outcome: str = ""
    problems: list[str] = field(default_factory=list)


def one_run(store: Store, number: int, stage: Stage, delay: float, rng: random.Random) -> Run:
    place = stage.place(store, f"run-{number:04d}")
    before = 0 if stage.fresh else count_operation(place, stage.operation)
    finished_in = kill_after(stage.argv(place), delay)
    if finished_in is not None:
        # The machine got faster than at calibration: aim the next kills at the real duration.
        stage.seconds = finished_in
    after = restored(store, place) if stage.fresh else count_operation(place, stage.operation)
    outcome = "finished first" if finished_in is not None else (
        "killed after a commit" if after > before else "killed before commit")
    # A killed restore's target may be half placed: what must hold is that re-running finishes it.
    run = Run(number, stage.name, delay, outcome, [] if stage.fresh else check_workspace(store, place))
    if not run.problems:
        run.problems = rerun_problems(store, place, stage, rng)
    if run.problems:
        print(f"violating workspace kept: {store.keep(place)}", flush=True)
    else:
        store.drop(place)
    return run


def kill_delay(rng: random.Random, stage: Stage, startup: float) -> float:
    """Mostly after Python has started (where the work is), sometimes anywhere."""
    low = 0.0 if rng.random() < 0.2 else min(startup, stage.seconds) * 0.9
    return round(rng.uniform(low, stage.seconds * 1.05), 3)


def measure_startup() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lantern.cli", "--version"], capture_output=True,
                   check=False, timeout=COMMAND_TIMEOUT_S)
    return time.perf_counter() - started


def make_store(kind: str, work: Path, pg_url: str = DEFAULT_PG) -> Store:
    return PostgresStore(work, pg_url) if kind in ("postgres", "postgresql") else Store(work)


def crash_runs(runs: int, seed: int, work: Path, bulk_rows: int = 20_000,
               stages: list[str] | None = None, max_seconds: float = 3600.0,
               echo: bool = True, store: str = "sqlite", pg_url: str = DEFAULT_PG) -> list[Run]:
    """``runs`` seeded kill-and-check cycles in ``work``; stops early after ``max_seconds``.
    ``store``: sqlite, or postgres (databases on the server at ``pg_url``, dropped at the end)."""
    rng = random.Random(seed)
    started = time.monotonic()
    startup = measure_startup()
    backend = make_store(store, work, pg_url)
    try:
        prepared = prepare(backend, work, bulk_rows, stages)
        if echo:
            print(f"{backend.kind}; seed {seed}; startup {startup:.1f}s; " + ", ".join(
                f"{s.name} {s.seconds:.1f}s" for s in prepared), flush=True)
        results = []
        for number in range(1, runs + 1):
            if time.monotonic() - started > max_seconds:
                print(f"stopping after {number - 1} runs: --max-seconds reached", flush=True)
                break
            stage = prepared[(number - 1) % len(prepared)]
            run = one_run(backend, number, stage, kill_delay(rng, stage, startup), rng)
            results.append(run)
            if echo:
                mark = "VIOLATION " + "; ".join(run.problems) if run.problems else "ok"
                print(f"{run.number:4d}  {run.stage:8s}  kill at {run.kill_at:6.2f}s  "
                      f"{run.outcome:22s}  {mark}", flush=True)
        return results
    finally:
        backend.close()


def summarise(results: list[Run]) -> dict[str, object]:
    return {"runs": len(results),
            "killed": sum(1 for r in results if r.outcome != "finished first"),
            "violations": sum(1 for r in results if r.problems),
            "outcomes": dict(Counter(f"{r.stage}: {r.outcome}" for r in sorted(results, key=lambda r: r.stage)))}


def finish(summary: dict[str, Any], work: Path, json_path: Path | None, keep: bool) -> int:
    """Print the summary (and write it to ``json_path``); exit status 1 on any violation, whose
    workspaces stay in ``work``; otherwise ``work`` is removed unless ``keep``."""
    print(json.dumps(summary, indent=2))
    if json_path:
        json_path.write_text(json.dumps(summary, indent=2) + "\n")
    if summary["violations"]:
        print(f"violating workspaces kept in {work}")
        return 1
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server's admin URL (--store postgres)")
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the bulk import")
    parser.add_argument("--stage", action="append", choices=ALL_STAGES, help="only these stages (repeatable)")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--workdir", type=Path, help="keep scratch workspaces here")
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--burst", type=int, help=argparse.SUPPRESS)  # the audit stage's command
    parser.add_argument("--burst-folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("options", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.burst is not None:
        burst(args.burst, args.burst_folder, args.options)
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="lantern-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    results = crash_runs(args.runs, args.seed, work, args.rows, args.stage, args.max_seconds,
                         store=args.store, pg_url=args.pg_url)
    return finish({"store": args.store, "seed": args.seed, **summarise(results)}, work, args.json,
                  keep=args.workdir is not None)


if __name__ == "__main__":
    sys.exit(main())

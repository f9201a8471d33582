"""Storage that refuses a write (DI-2): Lantern stops with one clear line, acknowledges nothing
that did not land, and a re-run finishes the job. Faults are real: SQLite filling its page
limit, the kernel's ENOSPC from /dev/full, EFBIG past a file-size limit, and a failing
os.fsync (tools/fault_harness.py)."""

from __future__ import annotations

import errno
import importlib.util
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from lantern.store.failures import STORAGE_ERRNOS, storage_failure, storage_message

from ..conftest import PG_ADMIN_URL
from .test_crash import _harness as _crash_harness

FAULTS = Path(__file__).resolve().parents[2] / "tools" / "fault_harness.py"


def _faults() -> ModuleType:
    _crash_harness()  # the fault harness builds on it, by its module name
    spec = importlib.util.spec_from_file_location("fault_harness", FAULTS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fault_harness"] = module
    spec.loader.exec_module(module)
    return module


# ---- what counts as a storage failure -----------------------------------------------------------


def test_a_full_device_is_named_with_its_file():
    with pytest.raises(OSError) as raised, open("/dev/full", "wb", buffering=0) as full:
        full.write(b"x")
    assert raised.value.errno == errno.ENOSPC
    assert storage_failure(raised.value) == "no space left on the device"
    raised.value.filename = "/cases/lantern.db"
    assert storage_failure(raised.value) == "no space left on the device (/cases/lantern.db)"


def test_sqlite_that_is_full_is_a_storage_failure_and_its_other_errors_are_not(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'small.db'}")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
        conn.commit()
        conn.execute(text("PRAGMA max_page_count = 3"))  # SQLite's own SQLITE_FULL, as on a full disk
        with pytest.raises(OperationalError) as full:
            for _ in range(100):
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "y" * 4000})
        with pytest.raises(OperationalError) as missing:
            conn.execute(text("SELECT * FROM no_such_table"))
    engine.dispose()
    assert storage_failure(full.value) == "SQLite could not write: database or disk is full"
    assert storage_failure(missing.value) is None  # a bug stays a bug, with its traceback
    assert storage_failure(sqlite3.OperationalError("disk I/O error")) is not None


def test_postgres_disk_full_and_io_errors_are_storage_failures_others_are_not():
    assert storage_failure(psycopg.errors.DiskFull("could not extend file")) == (
        "the PostgreSQL server could not write: could not extend file")
    assert storage_failure(psycopg.errors.IoError("could not read block")) is not None
    assert storage_failure(psycopg.errors.UniqueViolation("duplicate key")) is None
    assert storage_failure(FileNotFoundError(errno.ENOENT, "No such file")) is None  # the user's to fix


def test_the_message_says_what_stopped_and_what_to_do():
    said = storage_message("ingest", "no space left on the device (/cases/lantern.db)")
    assert said.startswith("`lantern ingest` stopped: no space left on the device (/cases/lantern.db).")
    assert "What it reported as done is committed" in said and "run it again to finish the rest" in said


# ---- Lantern under the fault ---------------------------------------------------------------------


@pytest.fixture
def faults() -> ModuleType:
    return _faults()


def test_an_ingest_whose_writes_fail_stops_clearly_and_a_rerun_loads_every_row(faults, tmp_path: Path):
    crash = faults.crash
    store = crash.make_store("sqlite", tmp_path)
    place = store.empty("ws")
    crash.must(place, "init")
    bulk = crash.bulk_nominals(tmp_path / "bulk.csv", 2_000)
    argv = crash.lantern_args(place, "ingest", str(bulk), "-p", "sample-nominals")

    done = crash.run_argv(faults.faulted_argv(argv, "write-limit", 128 * 1024))

    assert faults.FIRED in done.stderr, "the limit was not reached: the test proves nothing"
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "error: `lantern ingest` stopped: SQLite could not write: disk I/O error" in done.stderr
    assert "rows loaded" not in done.stdout
    assert crash.check_workspace(store, place) == []
    rerun = crash.run_argv(argv)
    assert rerun.returncode == 0 and "2,000 rows loaded" in rerun.stdout
    ws = place.workspace()
    try:
        with ws.reader() as conn:
            loaded = conn.execute(text("SELECT count(*) FROM records WHERE source_record_id LIKE 'BK-%'")).scalar()
    finally:
        ws.dispose()
    assert loaded == 2_000  # every row of the file, none twice


@pytest.mark.parametrize(("fault", "amount", "why"), [
    ("fsync-eio", 1, STORAGE_ERRNOS[errno.EIO]),
    ("fsync-enospc", 1, STORAGE_ERRNOS[errno.ENOSPC]),
    ("write-limit", 100_000, "SQLite could not write: disk I/O error"),  # in SQLite's backup API
])
def test_a_backup_whose_writes_fail_leaves_no_archive_and_no_event(faults, tmp_path: Path, fault: str,
                                                                   amount: int, why: str):
    """fsync failing once and then succeeding is Linux after a failed writeback: a backup that
    carried on would hand over an archive that may not be on disk. The write limit fails the
    database snapshot, written by SQLite's backup API (its error is sqlite3's, unwrapped)."""
    crash = faults.crash
    store = crash.make_store("sqlite", tmp_path)
    place = store.empty("ws")
    crash.must(place, "init")
    crash.must(place, "ingest", str(crash.sample_path("nominals.csv")), "-p", "sample-nominals")
    archive = place.folder / "backup.tar"
    argv = crash.lantern_args(place, "backup", str(archive))

    done = crash.run_argv(faults.faulted_argv(argv, fault, amount))

    assert faults.FIRED in done.stderr
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"error: `lantern backup` stopped: {why}." in done.stderr
    assert "Backed up" not in done.stdout
    assert not archive.exists()
    assert not list(place.folder.glob(".lantern-backup-*"))
    assert crash.count_operation(place, "backup") == 0
    assert crash.check_workspace(store, place) == []
    crash.must(place, "backup", str(archive))
    assert crash.backup_problems(store, place, crash.random.Random(1)) == []


@pytest.mark.slow
def test_seeded_faults_break_no_invariant_on_sqlite(faults, tmp_path: Path):
    results = faults.fault_runs(7, 4, tmp_path, bulk_rows=2_000, store="sqlite")
    assert [r.stage for r in results] == list(faults.ALL_STAGES)
    violations = {f"{r.number} {r.stage} {r.fault} {r.amount}": r.problems for r in results if r.problems}
    assert not violations
    assert sum(r.outcome == "stopped with an error" for r in results) >= 4, [r.outcome for r in results]


@pytest.mark.slow
def test_seeded_faults_break_no_invariant_on_postgres(faults, tmp_path: Path, pg_admin):
    results = faults.fault_runs(3, 5, tmp_path, bulk_rows=2_000, store="postgres", pg_url=PG_ADMIN_URL)
    assert [r.stage for r in results] == ["backup", "restore", "init"]
    violations = {f"{r.number} {r.stage} {r.fault} {r.amount}": r.problems for r in results if r.problems}
    assert not violations


def test_a_pg_dump_killed_by_the_file_size_limit_is_named(faults, tmp_path: Path, pg_admin):
    """pg_dump is a child process: past the limit the kernel kills it with SIGXFSZ (exec resets
    the caught signal), and the backup says so instead of 'failed (exit -25)'."""
    crash = faults.crash
    store = crash.make_store("postgres", tmp_path, PG_ADMIN_URL)
    try:
        place = store.empty("ws")
        crash.must(place, "init")
        crash.must(place, "ingest", str(crash.sample_path("nominals.csv")), "-p", "sample-nominals")
        archive = place.folder / "backup.tar"
        done = crash.run_argv(faults.faulted_argv(crash.lantern_args(place, "backup", str(archive)),
                                                  "write-limit", 8 * 1024))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "pg_dump was killed by SIGXFSZ (File size limit exceeded)" in done.stderr
        assert not archive.exists() and crash.count_operation(place, "backup") == 0
        assert crash.check_workspace(store, place) == []
    finally:
        store.close()

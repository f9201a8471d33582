"""A short run of the crash harness (tools/crash_harness.py) on SQLite and on PostgreSQL: seeded
SIGKILLs during ingest and a burst of audited commands, each followed by every
invariant check (DI-2, DI-3, DI-6, AU-4); and kills pinned to the moments that matter most."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from ..conftest import PG_ADMIN_URL

HARNESS = Path(__file__).resolve().parents[2] / "tools" / "crash_harness.py"


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_harness", HARNESS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_harness"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        request.getfixturevalue("pg_admin")  # skipped without a server, failed if CI requires one
    return str(request.param)


@pytest.fixture
def store(store_kind: str, tmp_path: Path) -> Iterator[object]:
    harness = _harness()
    made = harness.make_store(store_kind, tmp_path, PG_ADMIN_URL)
    yield made
    made.close()  # drops every database it made


@pytest.mark.slow
def test_seeded_kills_break_no_invariant(store_kind: str, tmp_path: Path):
    harness = _harness()
    seed = 11
    print(f"crash harness seed {seed}, {store_kind}")
    harness.BURST_ROUNDS = 2  # a short audit burst: the suite stays quick (backups: the test below)
    results = harness.crash_runs(3, seed, tmp_path, bulk_rows=3_000, stages=["ingest", "audit"],
                                 store=store_kind, pg_url=PG_ADMIN_URL)
    assert [r.stage for r in results] == ["ingest", "audit", "ingest"]
    violations = {r.number: r.problems for r in results if r.problems}
    assert not violations, f"seed {seed}, {store_kind}: {violations}"


@pytest.mark.slow
@pytest.mark.parametrize("point", ["lantern.security.audit:make_checkpoint", "lantern.security.audit:record"])
def test_a_kill_inside_a_disclosure_leaves_a_log_that_verifies(store, point: str):
    """An export is a DISCLOSE: its event and a signed checkpoint covering it are written in one
    transaction. Killed between the checkpoint and the commit, the witness file must not hold a
    checkpoint of an event that never committed (it did: `audit verify` then failed for good)."""
    harness = _harness()
    place = store.empty("ws")
    harness.must(place, "init")
    harness.must(place, "ingest", str(harness.sample_path("nominals.csv")), "-p", "sample-nominals")
    exported = place.folder / "export.jsonl"
    status = harness.kill_right_after(place, point, "export", "-f", "jsonl", "-o", str(exported),
                                      "--recipient", "crash test")
    assert status == -9, "the pinned point was not reached"
    assert not exported.exists()  # the product appears only with its committed event
    assert harness.check_workspace(store, place) == []  # audit.verify with the witness, and the rest
    assert harness.run_lantern(place, "export", "-f", "jsonl", "-o", str(exported),
                               "--recipient", "crash test").returncode == 0
    assert harness.check_workspace(store, place) == []


@pytest.mark.slow
def test_a_backup_killed_before_its_commit_leaves_no_backup_and_its_partial_is_refused(store, tmp_path: Path):
    """Killed just after the archive is written but before the DISCLOSE commits: no backup.tar
    appears; the staged archive is whole, so it restores and verifies; cut short, it is refused."""
    harness = _harness()
    place = store.empty("ws")
    harness.must(place, "init")
    harness.must(place, "ingest", str(harness.sample_path("nominals.csv")), "-p", "sample-nominals")
    status = harness.kill_right_after(place, "lantern.store.backup:write_archive", "backup",
                                      str(place.folder / "backup.tar"))
    assert status == -9
    assert not (place.folder / "backup.tar").exists()
    assert harness.check_workspace(store, place) == []
    staged = list(place.folder.glob(".lantern-backup-*/backup.tar"))
    assert len(staged) == 1
    cut = tmp_path / "cut.tar"
    cut.write_bytes(staged[0].read_bytes()[: harness._manifest_end(staged[0]) - 1])
    assert harness._refusal_problems(store, cut, "cut", "cut by one byte") == []
    # Before a re-run: the killed backup's copy is still there and no backup.tar has appeared
    # (the staged archive itself restores and verifies: no problem reported for it).
    assert harness.backup_problems(store, place, harness.random.Random(3)) == [
        f"a killed backup's staging folder was left: {staged[0].parent.name}",
        "the re-run left no backup.tar"]
    harness.must(place, "backup", str(place.folder / "backup.tar"))
    assert not staged[0].parent.exists()  # the re-run removed the unaudited copy
    assert harness.backup_problems(store, place, harness.random.Random(3)) == []


@pytest.mark.slow
def test_a_restore_killed_while_placing_its_files_is_finished_by_running_it_again(store, store_kind: str):
    """Killed after the database is in place but before the keys and the audit event: the
    target is neither empty nor whole. Re-running the same restore finishes it (SQLite: the
    partial files set aside, never deleted; PostgreSQL: after the database is re-created, as
    the message says), and the killed run's staging copy of keys and data is removed."""
    harness = _harness()
    source = store.empty("source")
    harness.must(source, "init")
    harness.must(source, "ingest", str(harness.sample_path("nominals.csv")), "-p", "sample-nominals")
    archive, other = source.folder / "backup.tar", source.folder / "other.tar"
    harness.must(source, "backup", str(archive))
    harness.must(source, "backup", str(other))
    target = store.empty("target")

    status = harness.kill_right_after(target, "lantern.commands.backup:_place_database", "restore", str(archive))

    assert status == -9
    assert list(target.folder.glob(".lantern-restore-*")), "the kill left no staging copy: wrong point"
    assert harness.run_lantern(target, "restore", str(other)).returncode == 1  # another archive: refused
    again = harness.run_lantern(target, "restore", str(archive))
    if store_kind == "postgres":
        assert again.returncode == 1 and "did not finish: drop and re-create the database" in again.stderr
        database = store._database("target")
        with store.admin.connect() as conn:
            conn.execute(harness.text(f'DROP DATABASE "{database}" WITH (FORCE)'))
            conn.execute(harness.text(f'CREATE DATABASE "{database}"'))
        again = harness.run_lantern(target, "restore", str(archive))
    else:
        assert "did not finish: setting its files aside" in again.stdout
        assert list(target.folder.glob(f"{harness.DB}.before-restore-*")), "the partial was not kept"
    assert again.returncode == 0, again.stdout + again.stderr
    assert not list(target.folder.glob(".lantern-restore-*"))  # no unaudited copy left behind
    assert not list(target.folder.glob("*.restoring"))
    assert harness.check_workspace(store, target) == []


def test_the_checks_catch_a_half_written_source(tmp_path: Path):
    """The harness is only as good as its checks: a source with rows missing must be flagged."""
    harness = _harness()
    store = harness.make_store("sqlite", tmp_path)
    place = store.empty("ws")
    harness.must(place, "init")
    harness.must(place, "ingest", str(harness.sample_path("nominals.csv")), "-p", "sample-nominals")
    assert harness.check_workspace(store, place) == []
    conn = sqlite3.connect(place.folder / harness.DB)
    with conn:
        conn.execute("DELETE FROM statements WHERE record_id = (SELECT max(id) FROM records)")
        conn.execute("DELETE FROM records WHERE id = (SELECT max(id) FROM records)")
    conn.close()
    problems = harness.check_workspace(store, place)
    assert any("half-written" in p for p in problems), problems


def test_the_checks_catch_a_witness_ahead_of_the_log(store):
    """A witness checkpoint the log cannot satisfy (what the disclosure crash left) is flagged:
    the database as it was before an export, with the witness file from after it."""
    harness = _harness()
    place = store.empty("ws")
    harness.must(place, "init")
    before = store.clone(place, "before")
    harness.must(place, "export", "-f", "jsonl", "-o", str(place.folder / "out.jsonl"),
                 "--recipient", "crash test")  # a DISCLOSE: signs its own event, into the witness too
    assert harness.check_workspace(store, place) == []
    witness = "audit-witness.txt"
    (before.keys_folder / witness).write_bytes((place.keys_folder / witness).read_bytes())
    assert any("truncated" in p for p in harness.check_workspace(store, before))

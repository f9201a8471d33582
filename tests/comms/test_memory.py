"""`--memory` / LANTERN_MEMORY: DuckDB's memory limit for bulk calls, the comms frame and
resolution; work beyond it spills to a private folder, and gives the same answer."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from lantern import analytics
from lantern.cli import app
from lantern.comms.bulk import QNET
from lantern.comms.callstore import CallStore, load_bulk
from lantern.store import Workspace

from ..conftest import copy_workspace

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import comms as cdr_generator  # noqa: E402 - bench/comms.py writes the synthetic provider CDR

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_limit_after() -> Iterator[None]:
    yield
    analytics.set_memory_limit(None)  # the limit is the process's: leave none for other tests


@pytest.fixture(scope="module")
def big_cdr(tmp_path_factory) -> Path:
    """300,000 rows of a provider CDR in Qnet's layout (bench/comms.py's generator)."""
    path = tmp_path_factory.mktemp("memory") / "cdr.csv"
    cdr_generator.generate(path, 300_000, 6_000, 30, 1)
    return path


def _setting(db: duckdb.DuckDBPyConnection, name: str) -> str:
    return db.execute("SELECT current_setting(?)", [name]).fetchone()[0]


def test_a_limit_reaches_every_connection_and_in_memory_work_spills_to_a_private_folder(tmp_path: Path):
    with analytics.connect() as db:
        unlimited = _setting(db, "memory_limit")
    analytics.set_memory_limit("100MB")
    with analytics.connect() as db:
        assert _setting(db, "memory_limit") == "95.3 MiB" != unlimited
        spill = Path(_setting(db, "temp_directory"))
    # Not DuckDB's default (.tmp in whatever folder Lantern was started from): what spills is call data.
    assert spill.is_absolute() and spill.parent == Path(tempfile.gettempdir())
    assert spill.is_dir() and spill.stat().st_mode & 0o777 == 0o700
    with analytics.connect(tmp_path / "case-1.duckdb") as db:
        assert _setting(db, "memory_limit") == "95.3 MiB"
        assert Path(_setting(db, "temp_directory")) == tmp_path / "case-1.duckdb.tmp"  # the case's folder
    analytics.set_memory_limit(None)
    with analytics.connect() as db:
        assert _setting(db, "memory_limit") == unlimited


def test_a_cdr_loaded_under_a_small_limit_gives_the_calls_loaded_without_one(big_cdr: Path, tmp_path: Path):
    loaded = {}
    for limit in (None, "128MB"):
        analytics.set_memory_limit(limit)
        folder = tmp_path / str(limit)
        folder.mkdir()
        ws = Workspace(f"sqlite:///{folder / 'lantern.db'}")
        ws.init()
        with ws.writer() as conn:
            done = load_bulk(conn, CallStore(folder / "data"), 1, big_cdr, QNET, "test")
        ws.dispose()
        assert done.result is not None and done.result.rows == 300_000
        loaded[limit] = CallStore(folder / "data").path(1)
    analytics.set_memory_limit(None)
    with duckdb.connect() as db:
        db.execute(f"ATTACH '{loaded[None]}' AS free (READ_ONLY)")
        db.execute(f"ATTACH '{loaded['128MB']}' AS capped (READ_ONLY)")
        calls = db.execute("SELECT count(*) FROM free.calls").fetchone()[0]
        assert calls > 290_000
        assert db.execute("SELECT count(*) FROM capped.calls").fetchone()[0] == calls
        for a, b in (("free", "capped"), ("capped", "free")):
            assert db.execute(f"SELECT count(*) FROM (SELECT * FROM {a}.calls EXCEPT ALL "  # noqa: S608
                              f"SELECT * FROM {b}.calls)").fetchone()[0] == 0


def test_a_load_the_limit_cannot_hold_is_a_clear_error_and_loses_nothing(comms_demo: Path, big_cdr: Path,
                                                                       tmp_path: Path):
    copy_workspace(comms_demo, tmp_path)

    def lantern(*args: str):
        return runner.invoke(app, ["--db", str(tmp_path / "lantern.db"), "--user", "lead", *args])

    refused = lantern("--memory", "8MB", "calls", "load", str(big_cdr), "--layout", "qnet")
    assert refused.exit_code == 1, refused.output
    assert "needed more memory than the 8MB that --memory / LANTERN_MEMORY allows" in refused.output
    assert "Traceback" not in refused.output
    # Nothing of the failed load was kept: loaded again with room, the file is new, not "already loaded".
    again = lantern("--memory", "256MB", "calls", "load", str(big_cdr), "--layout", "qnet")
    assert again.exit_code == 0, again.output
    assert "already loaded" not in again.output and "source #" in again.output


def test_a_limit_duckdb_cannot_read_is_refused_before_any_work(comms_demo: Path, tmp_path: Path):
    copy_workspace(comms_demo, tmp_path)
    result = runner.invoke(app, ["--db", str(tmp_path / "lantern.db"), "--user", "lead", "--memory", "lots",
                                 "status"], env={**os.environ, "LANTERN_MEMORY": ""})
    assert result.exit_code == 2
    assert "--memory" in result.output and "'lots' is not a memory size DuckDB reads" in result.output
    assert analytics.memory_limit() is None

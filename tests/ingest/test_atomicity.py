"""An import is one transaction: SIGKILL mid-import leaves none of the file, and a re-run loads it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from lantern.store import Workspace, tables

from .conftest import HEADER, PEOPLE_PROFILE

ROWS = 150_000


def _big_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(ROWS):
            fh.write(f"{i},Person {i % 977} Surname{i % 89},{1 + i % 28:02d}/{1 + i % 12:02d}/19{50 + i % 50},"
                     f"07700 900{i % 1000:03d},note {i}\n")
    return path


def _counts(url: str) -> tuple[int, int, int]:
    ws = Workspace(url)
    try:
        with ws.reader() as conn:
            return tuple(int(conn.scalar(select(func.count()).select_from(t)))
                         for t in (tables.sources, tables.records, tables.statements))
    finally:
        ws.dispose()


def _wait_until_mid_import(url: str, proc: subprocess.Popen, deadline: float) -> None:
    """Return once the import's transaction has written a good part of the file."""
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        while time.monotonic() < deadline and proc.poll() is None:
            if wal.exists() and wal.stat().st_size > 4 * 1024 * 1024:
                return
            time.sleep(0.02)
    else:
        engine = create_engine(url)
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                with engine.connect() as conn:
                    held = conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                            "AND objid = 7418003 AND granted"))
                if held:
                    time.sleep(1.5)  # well into the rows, far from the end
                    return
                time.sleep(0.02)
        finally:
            engine.dispose()
    raise AssertionError("the import finished (or never started) before it could be killed")


def test_sigkill_mid_import_leaves_nothing_and_a_rerun_completes(workspace, tmp_path):
    url = workspace.url
    workspace.dispose()
    data = _big_csv(tmp_path / "big.csv")
    profile = tmp_path / "people.yaml"
    profile.write_text(PEOPLE_PROFILE)
    base = [sys.executable, "-m", "lantern.cli", "--db", url, "--user", "crash-test",
            "--key-dir", str(tmp_path / "keys")]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    subprocess.run([*base, "init"], check=True, capture_output=True, env=env, timeout=60)
    cmd = [*base, "ingest", str(data), "--profile", str(profile)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_until_mid_import(url, proc, time.monotonic() + 60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert _counts(url) == (0, 0, 0)

    rerun = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    sources, records, statements = _counts(url)
    assert (sources, records) == (1, ROWS)
    assert statements == ROWS * 4  # name, dob, phone, notes

"""A short run of the crash harness (tools/crash_harness.py): seeded SIGKILLs during ingest,
resolve, a judgement and a network build, each followed by every invariant check (DI-2, DI-3)."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "tools" / "crash_harness.py"


def _harness():
    spec = importlib.util.spec_from_file_location("crash_harness", HARNESS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_harness"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_seeded_kills_break_no_invariant(tmp_path: Path):
    harness = _harness()
    seed = 11
    print(f"crash harness seed {seed}")
    results = harness.crash_runs(5, seed, tmp_path, bulk_rows=5_000, stages=["ingest", "resolve"])
    assert len(results) == 5
    violations = {r.number: r.problems for r in results if r.problems}
    assert not violations, f"seed {seed}: {violations}"


def test_the_checks_catch_a_half_written_source(tmp_path: Path):
    """The harness is only as good as its checks: a source with rows missing must be flagged."""
    harness = _harness()
    folder = tmp_path / "ws"
    folder.mkdir()
    harness.must(folder, "init")
    harness.must(folder, "ingest", str(harness.sample_path("nominals.csv")), "-p", "sample-nominals")
    assert harness.check_workspace(folder) == []
    conn = sqlite3.connect(folder / harness.DB)
    with conn:
        conn.execute("DELETE FROM statements WHERE record_id = (SELECT max(id) FROM records)")
        conn.execute("DELETE FROM records WHERE id = (SELECT max(id) FROM records)")
    conn.close()
    problems = harness.check_workspace(folder)
    assert any("half-written" in p for p in problems), problems

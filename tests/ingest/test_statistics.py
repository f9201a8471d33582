"""After a bulk load the query planner knows the tables' sizes (else SQLite may scan every
statement of the workspace to read one person's)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import sample_path


def test_an_ingest_refreshes_the_planners_statistics(tmp_path: Path):
    db = tmp_path / "w.db"
    base = ["--db", f"sqlite:///{db}", "--user", "lead", "--key-dir", str(tmp_path / "keys")]
    runner = CliRunner()
    assert runner.invoke(app, [*base, "init"]).exit_code == 0
    result = runner.invoke(app, [*base, "ingest", str(sample_path("nominals.csv")), "-p",
                                 "sample-nominals"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db) as conn:
        stats = dict(conn.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'statements'"))
    conn.close()
    assert {"ix_statements_record_id", "ix_statements_prop_value"} <= set(stats)
    rows = int(stats["ix_statements_record_id"].split()[0])
    assert rows > 0  # the statements the ingest wrote, counted

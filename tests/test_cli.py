"""The command line, through Typer's CliRunner: the contract the README and users rely on."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import sample_path
from lantern.settings import SETTINGS

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


KEY_DIRS: dict[str, str] = {}


def invoke(db_url: str, *args: str):
    """Run the CLI as analyst1, the workspace's first user (mapped to this system account)."""
    key_dir = KEY_DIRS.setdefault(db_url, tempfile.mkdtemp(prefix="lantern-keys-"))
    return runner.invoke(app, ["--db", db_url, "--user", "analyst1", "--key-dir", key_dir, *args])


@pytest.fixture
def loaded(db_url: str) -> str:
    result = invoke(db_url, "init")
    assert result.exit_code == 0, result.output
    result = invoke(db_url, "ingest", str(sample_path("nominals.csv")), "--profile", "sample-nominals")
    assert result.exit_code == 0, result.output
    result = invoke(db_url, "ingest", str(sample_path("crimes.csv")), "-p", "sample-crimes")
    assert result.exit_code == 0, result.output
    return db_url


def test_ingest_status_quarantine_export(loaded, tmp_path):
    status = invoke(loaded, "status")
    assert status.exit_code == 0
    assert "nominals.csv" in status.output and "crimes.csv" in status.output
    assert re.search(r"Person\s+│\s+12", status.output)
    assert "Quarantine: 0 rows rejected, 1 values rejected" in status.output

    quarantine = invoke(loaded, "quarantine")
    assert "31/02/1985" in quarantine.output and "not a real date" in quarantine.output

    out = tmp_path / "q.csv"
    assert invoke(loaded, "quarantine", "--csv", str(out)).exit_code == 0
    assert "31/02/1985" in out.read_text()

    export = tmp_path / "all.jsonl"
    result = invoke(loaded, "export", "--format", "jsonl", "-o", str(export), "--recipient", "SIO")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    khan = next(x for x in lines if x["kind"] == "statement" and x["original"] == "KHAN, Mohammed")
    assert khan["value"] == "Mohammed Khan" and khan["file_name"] == "nominals.csv"
    assert khan["row_number"] == 2 and khan["source_record_id"] == "NA-1001" and len(khan["sha256"]) == 64
    links = [x for x in lines if x["kind"] == "link"]
    assert {x["type"] for x in links} == {"suspect-in", "victim-in", "occurred-at"}


def test_reingest_says_already_loaded(loaded):
    again = invoke(loaded, "ingest", str(sample_path("nominals.csv")), "-p", "sample-nominals")
    assert again.exit_code == 0 and "already loaded as source #1" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status"], "no Lantern workspace at"),
        (["ingest", "missing.csv", "-p", "sample-nominals"], "no Lantern workspace"),
        (["export", "--format", "pdf", "-o", "x", "--recipient", "r"], "unknown export format 'pdf'"),
    ],
)
def test_user_mistakes_are_one_line_errors(tmp_path, args, message):
    result = invoke(f"sqlite:///{tmp_path / 'none.db'}", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_files_and_profiles_in_an_existing_workspace(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    assert invoke(url, "init").exit_code == 0
    missing = invoke(url, "ingest", str(tmp_path / "nope.csv"), "-p", "sample-nominals")
    assert missing.exit_code == 1 and "no such file" in missing.output and "Traceback" not in missing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nentities:\n  p:\n    schema: Persn\n")
    bad_profile = invoke(url, "ingest", str(sample_path("nominals.csv")), "-p", str(broken))
    assert bad_profile.exit_code == 1
    assert "line 4: unknown schema 'Persn' (did you mean 'Person'?)" in bad_profile.output


def test_every_command_has_help():
    commands = app.registered_commands
    assert {c.name or c.callback.__name__ for c in commands} >= {
        "init", "status", "ingest", "quarantine", "export", "demo"}
    groups = {g.name for g in app.registered_groups}
    assert groups == {"user", "case", "audit", "calls"}
    paths = [([command.name or command.callback.__name__.replace("_", "-")], command) for command in commands]
    paths += [([g.name, c.name or c.callback.__name__.replace("_", "-")], c)
              for g in app.registered_groups for c in g.typer_instance.registered_commands]
    for path, command in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert (command.callback.__doc__ or "").split("\n")[0][:30] in " ".join(result.output.split()), path


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for setting in SETTINGS:
        assert f"--{setting.name.replace('_', '-')}" in readme and setting.env in readme, setting.name


def test_demo_runs_end_to_end(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "lantern.db").exists()
    assert (tmp_path / "demo" / "scenario" / "truth" / "record_to_person.csv").exists()
    assert "Records by type" in result.output
    planted = re.search(r"planted (\d+) corrupted rows; Lantern quarantined (\d+) rows", result.output)
    assert planted and planted.group(1) == planted.group(2) != "0"

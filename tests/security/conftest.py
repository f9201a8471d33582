"""A workspace with people in it: the lead (first user), colleagues with tokens, two cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import sample_path

runner = CliRunner()


@dataclass
class Team:
    db: str
    key_dir: Path
    tmp: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def run(self, user: str, *args: str, ok: bool = True):
        """Run the CLI as ``user`` (the lead through their mapped system account, others by token)."""
        env = {"LANTERN_TOKEN": self.tokens[user]} if user in self.tokens else {}
        result = runner.invoke(app, ["--db", self.db, "--user", user, "--key-dir", str(self.key_dir), *args],
                               env=env)
        if ok:
            assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    def add(self, username: str, roles: str) -> None:
        self.run("lead", "user", "add", username, "--roles", roles)
        token = self.run("lead", "user", "token", username).output.strip().splitlines()[-1]
        self.tokens[username] = token


@pytest.fixture
def team(db_url: str, tmp_path: Path) -> Team:
    """Case 'default' holds the sample data; case 'secret' holds a victim nobody else may see."""
    t = Team(db_url, tmp_path / "keys", tmp_path)
    t.run("lead", "init")
    for username, roles in (("ana", "analyst"), ("outsider", "analyst"), ("boss", "supervisor"),
                            ("aud", "auditor"), ("rev", "reviewer"), ("admin2", "administrator")):
        t.add(username, roles)
    t.run("lead", "case", "grant", "default", "ana")
    t.run("lead", "case", "grant", "default", "boss")
    for file_name, profile in (("nominals.csv", "sample-nominals"), ("crimes.csv", "sample-crimes"),
                               ("intelligence.jsonl", "sample-intelligence")):
        t.run("lead", "ingest", str(sample_path(file_name)), "-p", profile)
    t.run("lead", "case", "create", "secret")
    secret = tmp_path / "secret.csv"
    secret.write_text(
        "CRIME_REF;OFFENCE;DATE_COMMITTED;OUTCOME;SUSPECT_REF;SUSPECT_NAME;VICTIM_REF;VICTIM_NAME;"
        "VICTIM_DOB;LOCATION;POSTCODE;PREMISES\n"
        "CR/25/0001;Sexual communication with a child;01/02/2025 20:00;Ongoing;SX-9;Zebedee QUILLFEATHER;"
        "SV-1;Marigold WINTERBOURNE;14/08/2010;;;\n"
    )
    t.run("lead", "--case", "secret", "ingest", str(secret), "-p", "sample-crimes")
    return t

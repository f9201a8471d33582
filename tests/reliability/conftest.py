"""A busy workspace on each backend, and an empty place of the same backend to restore it into."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import sample_path

runner = CliRunner()
SAMPLES = (("nominals.csv", "sample-nominals"), ("crimes.csv", "sample-crimes"),
           ("intelligence.jsonl", "sample-intelligence"))


@dataclass
class Place:
    """Where a workspace lives: its database URL and its key folder."""

    db: str
    key_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def run(self, user: str, *args: str, ok: bool = True):
        """Run the CLI as ``user`` (the lead by system account, others by token)."""
        env = {"LANTERN_TOKEN": self.tokens[user]} if user in self.tokens else {}
        result = runner.invoke(app, ["--db", self.db, "--user", user, "--key-dir", str(self.key_dir),
                                     *args], env=env)
        if ok:
            assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    def add(self, username: str, roles: str) -> None:
        self.run("lead", "user", "add", username, "--roles", roles)
        self.tokens[username] = self.run("lead", "user", "token", username).output.strip().splitlines()[-1]


@pytest.fixture
def busy(db_url: str, tmp_path: Path) -> Place:
    """The samples loaded into case 'default'; an analyst and an auditor beside the lead."""
    place = Place(db_url, tmp_path / "keys")
    place.run("lead", "init")
    place.add("ana", "analyst")
    place.add("aud", "auditor")
    place.run("lead", "case", "grant", "default", "ana")
    for file_name, profile in SAMPLES:
        place.run("lead", "ingest", str(sample_path(file_name)), "-p", profile)
    place.run("lead", "status")
    return place


@pytest.fixture
def empty_target(busy: Place, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    """An empty workspace place of the same backend as ``busy``, with the same users' tokens."""
    keys = tmp_path / "restored-keys"
    if busy.db.startswith("sqlite"):
        yield Place(f"sqlite:///{tmp_path / 'restored' / 'workspace.db'}", keys, dict(busy.tokens))
        return
    admin = request.getfixturevalue("pg_admin")
    name = f"lantern_restore_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(busy.db).set(database=name).render_as_string(hide_password=False)
    try:
        yield Place(url, keys, dict(busy.tokens))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

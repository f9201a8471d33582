"""A real workspace for the web tests, on SQLite and on PostgreSQL, built through the CLI like
tests/security's team:
case 'default' holds the sample data (and a network, for the children at risk), case 'secret'
one crime that only the lead may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import sample_path
from lantern.settings import Settings

from ..conftest import BACKENDS, PG_ADMIN_URL

runner = CliRunner()
PASSWORD = "correct horse battery"


@dataclass
class Site:
    db: str
    key_dir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        result = runner.invoke(app, ["--db", self.db, "--user", "lead", "--key-dir",
                                     str(self.key_dir), *args], env=env or {})
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.output

    @property
    def settings(self) -> Settings:
        return Settings(db=self.db, key_dir=str(self.key_dir))


def _database(request: pytest.FixtureRequest, tmp: Path) -> str:
    """A fresh database on the backend the test is parametrised with, dropped afterwards."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp / 'workspace.db'}"
    admin = request.getfixturevalue("pg_admin")
    name = f"lantern_web_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    request.addfinalizer(drop)
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    tmp = tmp_path_factory.mktemp("web")
    s = Site(_database(request, tmp), tmp / "keys")
    s.run("init")
    for username, roles in (("ana", "analyst"), ("outsider", "analyst")):
        s.run("user", "add", username, "--roles", roles, "--password-env", "WEB_PW",
              env={"WEB_PW": PASSWORD})
        s.tokens[username] = s.run("user", "token", username).strip().splitlines()[-1]
    s.run("case", "grant", "default", "ana")
    for file_name, profile in (("nominals.csv", "sample-nominals"), ("crimes.csv", "sample-crimes"),
                               ("intelligence.jsonl", "sample-intelligence")):
        s.run("ingest", str(sample_path(file_name)), "-p", profile)
    s.run("resolve")
    s.run("network")
    s.run("case", "create", "secret")
    secret = tmp / "secret.csv"
    secret.write_text(
        "CRIME_REF;OFFENCE;DATE_COMMITTED;OUTCOME;SUSPECT_REF;SUSPECT_NAME;VICTIM_REF;VICTIM_NAME;"
        "VICTIM_DOB;LOCATION;POSTCODE;PREMISES\n"
        "CR/25/0001;Sexual communication with a child;01/02/2025 20:00;Ongoing;SX-9;"
        "Zebedee QUILLFEATHER;SV-1;Marigold WINTERBOURNE;14/08/2010;;;\n"
    )
    s.run("--case", "secret", "ingest", str(secret), "-p", "sample-crimes")
    return s

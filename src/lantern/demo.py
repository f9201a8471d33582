"""`lantern demo`: the main job on bundled data, from a fresh clone, with nothing to start."""

from __future__ import annotations

import getpass
from dataclasses import replace
from importlib import resources
from pathlib import Path

from lantern.output import console, render_status
from lantern.security import audit
from lantern.security.cases import bootstrap
from lantern.security.keys import Keys
from lantern.security.policy import Permission
from lantern.security.session import Session
from lantern.settings import Settings
from lantern.store import Workspace, queries

# Each bundled sample file with the shipped profile that maps it.
SAMPLES = (
    ("nominals.csv", "sample-nominals"),
    ("crimes.csv", "sample-crimes"),
    ("intelligence.jsonl", "sample-intelligence"),
)


def sample_path(name: str) -> Path:
    return Path(str(resources.files("lantern").joinpath("samples", name)))


def open_demo_workspace(out: Path, settings: Settings) -> Session:
    """A workspace in ``out`` whose first user is whoever runs the demo."""
    out.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, db=f"sqlite:///{out / 'lantern.db'}", key_dir=None, token=None,
                       password=None, user=settings.user or getpass.getuser())
    workspace = Workspace(settings.db)
    workspace.init()
    Keys.for_workspace(workspace, None).create()
    with workspace.writer() as conn:
        if bootstrap(conn, settings.acting_user, getpass.getuser()):
            audit.record(conn, settings.acting_user, "ADMIN", "init", purpose=settings.purpose,
                         auth="os", objects=[f"user:{settings.acting_user}"], detail={"demo": True})
    return Session.open(settings)


def run_demo(out: Path, settings: Settings) -> None:
    from lantern.cli import ingest_paths

    session = open_demo_workspace(out, settings)
    console.print(f"[bold]Lantern demo[/]: workspace {out / 'lantern.db'} as {session.actor.username}")
    for file_name, profile in SAMPLES:
        ingest_paths(session, [sample_path(file_name)], profile)
    with session.case_action(Permission.READ, "status", "CONSULT") as (conn, case, note):
        summary = queries.case_summary(conn, case.id)
        note.detail = {"rendered_sha256": summary.digest()}
    render_status(summary, session.workspace.display_url, case.name)

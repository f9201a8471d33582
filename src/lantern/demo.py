"""`lantern demo`: the main job on bundled data, from a fresh clone, with nothing to start."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

from rich.console import Console

from lantern.settings import Settings
from lantern.store import Workspace

# Each bundled sample file with the shipped profile that maps it.
SAMPLES = (
    ("nominals.csv", "sample-nominals"),
    ("crimes.csv", "sample-crimes"),
    ("intelligence.jsonl", "sample-intelligence"),
)


def sample_path(name: str) -> Path:
    return Path(str(resources.files("lantern").joinpath("samples", name)))


def run_demo(out: Path, settings: Settings, console: Console) -> None:
    from lantern.cli import ingest_paths, render_status

    out.mkdir(parents=True, exist_ok=True)
    db = out / "lantern.db"
    settings = replace(settings, db=f"sqlite:///{db}")
    workspace = Workspace(settings.db)
    workspace.init()
    console.print(f"[bold]Lantern demo[/]: workspace {db}")
    for file_name, profile in SAMPLES:
        ingest_paths(workspace, [sample_path(file_name)], profile, settings)
    with workspace.reader() as conn:
        render_status(conn, workspace.case_id(conn, settings.case), workspace, settings.case)

"""The demo workspace several benchmarks read (risk, review): built once into a folder, reused."""

from __future__ import annotations

import tempfile
from pathlib import Path


def demo_at(folder: Path | None, prefix: str = "lantern-bench-demo-") -> Path:
    """``folder`` if it already holds a `lantern demo` workspace; else the demo built into it (or
    into a new temporary folder when none is given). A half-built folder (a killed run) is not
    detected: remove it."""
    if folder is not None and (folder / "lantern.db").exists():
        return folder
    from lantern.demo import run_demo
    from lantern.settings import Settings

    out = folder or Path(tempfile.mkdtemp(prefix=prefix))
    out.mkdir(parents=True, exist_ok=True)
    run_demo(out, Settings(user="bench"))
    return out

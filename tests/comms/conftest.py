from __future__ import annotations

from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings


@pytest.fixture(scope="session")
def comms_demo(tmp_path_factory) -> Path:
    """The demo workspace, read (never changed) by the communications tests."""
    out = tmp_path_factory.mktemp("comms-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings


@pytest.fixture(scope="session")
def text_demo(tmp_path_factory) -> Path:
    """The demo workspace, read (never changed) by the text tests: copy it to change it."""
    out = tmp_path_factory.mktemp("text-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out

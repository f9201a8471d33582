from __future__ import annotations

from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace, shared by the network tests: a test that builds another network
    run leaves the full network as the latest again."""
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, Settings(user="lead"))
    return out

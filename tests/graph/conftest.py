from __future__ import annotations

from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings

from ..conftest import planted_person_of_entity


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace, shared by the network tests: a test that builds another network
    run leaves the full network as the latest again."""
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out


@pytest.fixture(scope="session")
def person_of_entity(demo: Path) -> dict[str, str]:
    """Each resolved person entity of the demo -> the planted person most of its records are."""
    return planted_person_of_entity(demo)

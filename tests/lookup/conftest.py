from __future__ import annotations

from pathlib import Path

import pytest

from lantern.demo import run_demo
from lantern.settings import Settings

from ..conftest import planted_person_of_entity


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (built once): the lookup tests only read it."""
    out = tmp_path_factory.mktemp("lookup-demo")
    run_demo(out, Settings(user="lead"), briefing=False)
    return out


@pytest.fixture(scope="session")
def entity_of_planted(demo: Path) -> dict[str, list[str]]:
    """planted person -> the resolved entities that are mostly them."""
    out: dict[str, list[str]] = {}
    for entity, person in planted_person_of_entity(demo).items():
        out.setdefault(person, []).append(entity)
    return out

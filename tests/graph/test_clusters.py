"""The latest resolution as a server shares it: read once per run, never copied per request,
each person's records found without walking the case."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantern.graph.build import clusters, entities_of
from lantern.store import Workspace


@pytest.fixture
def conn(demo: Path):
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        yield conn
    ws.dispose()


def test_the_records_of_a_few_people_are_those_the_whole_mapping_gives(conn):
    people = clusters(conn, 1, "Person")
    everyone = entities_of(conn, 1, "Person")
    assert dict(people.entity_of) == everyone and len(everyone) > 1000
    some = sorted(set(everyone.values()))[::97]
    assert len(some) > 5
    assert people.of(some) == {r: e for r, e in everyone.items() if e in some}
    for entity in some:
        assert list(people.records[entity]) == sorted(r for r, e in everyone.items() if e == entity)
    assert people.of(["P999999"]) == {} and people.of([]) == {}


def test_the_shared_clusters_cannot_be_changed_and_a_copy_changes_alone(conn):
    people = clusters(conn, 1, "Person")
    record, entity = next(iter(people.entity_of.items()))
    with pytest.raises(TypeError):
        people.entity_of[record] = "P0"  # type: ignore[index]
    with pytest.raises(TypeError):
        people.records[entity] = ()  # type: ignore[index]
    mine = entities_of(conn, 1, "Person")
    mine[record] = "P0"
    assert clusters(conn, 1, "Person") is people  # read once for this run, and kept
    assert people.entity_of[record] == entity and entities_of(conn, 1, "Person")[record] == entity


def test_a_schema_never_resolved_has_no_clusters(conn):
    nobody = clusters(conn, 1, "Aircraft")
    assert dict(nobody.entity_of) == {} and nobody.of(["P1"]) == {}

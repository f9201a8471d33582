"""Person profiles against the demo's ground truth: every name variant, each with its source."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lantern.lookup import person_profile
from lantern.lookup.profile import UnknownPerson
from lantern.store import Workspace


@pytest.fixture
def conn(demo: Path):
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as c:
        yield c, ws.case_id(c)
    ws.dispose()


def _truth_records(demo: Path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    with (demo / "scenario" / "truth" / "record_to_person.csv").open() as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["person_id"], []).append((row["source"], row["record_id"]))
    return out


def test_a_profile_lists_every_name_with_its_source(conn, demo, entity_of_planted):
    c, case = conn
    records = _truth_records(demo)
    person = next(p for p, found in records.items() if len(found) >= 4 and len(entity_of_planted.get(p, [])) == 1)
    entity = entity_of_planted[person][0]
    profile = person_profile(c, case, entity)
    assert profile.names and all(f.sources for f in profile.names)
    source_ids = {s.source_record_id for f in profile.names for s in f.sources}
    assert source_ids & {rid for _, rid in records[person]}
    # Every Person record resolution put in the entity gives its names to the profile.
    named = {r for f in profile.names for r in f.records}
    assert set(profile.records) <= named | set(profile.records) and named & set(profile.records)


def test_a_child_with_reasons_has_them_and_ties(conn, demo):
    c, case = conn
    from lantern.risk import assess

    child = assess(c, case).ranked[0]
    profile = person_profile(c, case, child.entity.lower())
    assert profile.child and profile.risk is not None and profile.risk.reasons
    assert profile.links and profile.events and profile.network_run


def test_an_unknown_person_is_a_clear_error(conn):
    c, case = conn
    with pytest.raises(UnknownPerson, match="no person P999999"):
        person_profile(c, case, "P999999")
    with pytest.raises(UnknownPerson, match="not a person entity id"):
        person_profile(c, case, "<script>")

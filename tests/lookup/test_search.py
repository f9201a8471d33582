"""Search against the demo's ground truth: misspelt names, other phone formats, plates, phrases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lantern.errors import LanternError
from lantern.lookup import search
from lantern.lookup.search import word_match
from lantern.lookup.values import props_of_type
from lantern.risk.read import protected_properties
from lantern.store import Workspace


def _people(demo: Path) -> list[dict[str, str]]:
    with (demo / "scenario" / "truth" / "people.csv").open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def conn(demo: Path):
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as c:
        yield c, ws.case_id(c)
    ws.dispose()


def _transpose(word: str) -> str:
    return word[:2] + word[3] + word[2] + word[4:]


def test_a_misspelt_transposed_name_finds_the_man_first(conn, demo, entity_of_planted):
    c, case = conn
    names = {}
    for p in _people(demo):
        names.setdefault((p["forename"], p["surname"]), []).append(p)
    unique = [p for (f, s), ps in names.items() if len(ps) == 1 for p in ps
              if p["sex"] == "male" and len(s) >= 6 and p["person_id"] in entity_of_planted
              and len(entity_of_planted[p["person_id"]]) == 1]
    assert len(unique) > 20
    for person in unique[:10]:
        query = f"{_transpose(person['surname'])} {person['forename']}"  # misspelt, and the wrong way round
        hits = [h for h in search(c, case, query, kinds=["person"]) if h.kind == "person"]
        assert hits and hits[0].id in entity_of_planted[person["person_id"]], (query, hits[:3])


def test_a_phone_in_another_format_finds_its_user(conn, demo, entity_of_planted):
    c, case = conn
    person = next(p for p in _people(demo) if p["phone"] and p["person_id"] in entity_of_planted)
    national = "0" + person["phone"][3:7] + " " + person["phone"][7:]  # +447700900215 -> 07700 900215
    for written in (national, person["phone"]):
        hits = search(c, case, written, kinds=["phone"])
        assert hits[0].id == person["phone"] and hits[0].why == "phone exact"
        assert set(entity_of_planted[person["person_id"]]) & set(hits[0].people)


def test_a_vrm_with_spaces_and_lower_case_finds_the_vehicle(conn, demo):
    c, case = conn
    with (demo / "scenario" / "truth" / "missing_vehicles.csv").open() as fh:
        vrm = next(csv.DictReader(fh))["vrm"]
    hits = search(c, case, f"{vrm[:4].lower()} {vrm[4:]}", kinds=["vehicle"])
    assert hits[0].id == vrm and hits[0].why == "VRM exact" and hits[0].count > 0


def test_a_postcode_and_a_street_find_places(conn, demo):
    c, case = conn
    person = _people(demo)[0]
    hits = search(c, case, person["postcode"].replace(" ", "").lower(), kinds=["location"])
    assert hits[0].id == person["postcode"] and hits[0].why == "postcode exact"
    street = person["address"].split(",")[0].split(" ", 1)[1]
    assert any(street in h.label for h in search(c, case, street, kinds=["location"]))


def test_a_report_phrase_finds_the_report_with_a_snippet(conn):
    c, case = conn
    hits = search(c, case, "getting into a car", kinds=["text"], limit=5)
    assert hits and hits[0].why == "phrase" and "getting into a car" in hits[0].snippet


def test_bad_searches_are_refused_clearly(conn):
    c, case = conn
    for query, words in (("   ", "empty"), ("x" * 201, "too long")):
        with pytest.raises(LanternError, match=words):
            search(c, case, query)
    with pytest.raises(LanternError, match="unknown kind"):
        search(c, case, "Khan", kinds=["ethnicity"])


def test_name_words_match_by_nickname_sound_and_spelling():
    assert word_match("danny", "daniel") == (0.9, "name is a nickname of")
    assert word_match("mohamed", "muhammad") is not None
    assert word_match("car", "ciara") is None  # too short to be a misspelling


def test_search_never_reads_protected_characteristics():
    read = set(props_of_type("phone", "vrm", "postcode", "address")) | {"name", "forename", "surname", "alias"}
    assert not read & protected_properties()

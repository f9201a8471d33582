"""Mapping profiles (ingest/profile.py): a valid profile survives YAML and back; anything else
is refused with a LanternError naming the profile file and line, never another exception."""

from __future__ import annotations

import re
import string

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from lantern.errors import LanternError
from lantern.ingest.profile import parse_profile
from lantern.model.schema import load_schema

from .conftest import fuzz

SCHEMA = load_schema()
CONCRETE = {e.name: sorted(e.properties) for e in SCHEMA.concrete()}
REFUSAL = re.compile(r"^profile p\.yaml, (line \d+|somewhere): \S")
AT_LINE = re.compile(r"^profile p\.yaml, line (\d+): \S")
COLUMN = st.text(alphabet=string.ascii_letters + string.digits + " _-#£é", min_size=1,
                 max_size=12).filter(lambda c: c.strip() != "")


@st.composite
def profile_documents(draw) -> dict:
    entities = {}
    for n in range(draw(st.integers(1, 3))):
        schema = draw(st.sampled_from(sorted(CONCRETE)))
        props = draw(st.lists(st.sampled_from(CONCRETE[schema]), min_size=1, max_size=4,
                              unique=True))
        entities[f"e{n}"] = {
            "schema": schema,
            "id": draw(COLUMN),
            "properties": {p: draw(st.one_of(COLUMN, st.lists(COLUMN, min_size=1, max_size=2)))
                           for p in props},
        }
    return {"name": draw(COLUMN), "namespace": "test.fuzz", "format": draw(
        st.sampled_from(["csv", "jsonl", "xlsx"])), "dates": ["%d/%m/%Y"], "entities": entities}


@fuzz(100)
@given(doc=profile_documents())
def test_a_valid_profile_round_trips_through_yaml(doc):
    profile = parse_profile(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "p.yaml")
    assert profile.name == doc["name"] and profile.format == doc["format"]
    assert [(e.alias, e.schema) for e in profile.entities] == [
        (alias, spec["schema"]) for alias, spec in doc["entities"].items()]
    expected_columns = set()
    for entity, spec in zip(profile.entities, doc["entities"].values(), strict=True):
        assert entity.id_column == spec["id"]
        assert [m.prop.name for m in entity.properties] == list(spec["properties"])
        for mapping, source in zip(entity.properties, spec["properties"].values(), strict=True):
            assert list(mapping.columns) == ([source] if isinstance(source, str) else source)
            assert mapping.options.formats == ("%d/%m/%Y",)
        expected_columns |= {spec["id"]} | {c for m in entity.properties for c in m.columns}
    assert set(profile.columns) == expected_columns


YAMLISH = st.text(alphabet=string.ascii_letters + string.digits + ":-[]{},'\"#&*!|> \n\t%@",
                  max_size=120)


@fuzz(200)
@given(text=st.one_of(st.text(max_size=80), YAMLISH))
@example(text="true: x")
def test_any_text_is_a_profile_or_refused_with_file_and_line(text):
    try:
        parse_profile(text, "p.yaml")
    except LanternError as exc:
        assert REFUSAL.match(str(exc)), str(exc)


@fuzz(100)
@given(key=st.from_regex(r"\A[a-z_][a-z0-9_]{0,11}\Z"),
       where=st.sampled_from([(), ("entities", "person"), ("entities", "person", "properties",
                                                           "dob")]))
def test_an_unknown_key_is_refused_by_name_with_its_line(key, where):
    doc = _replace(BASE, (*where, key), "x") if where else {**BASE, key: "x"}
    known = {(): "the profile", ("entities", "person"): "entity 'person'",
             ("entities", "person", "properties", "dob"): "property 'dob'"}[where]
    text = yaml.safe_dump(doc, sort_keys=False)
    if key in _node(BASE, where):
        return  # not unknown
    with pytest.raises(LanternError) as excinfo:
        parse_profile(text, "p.yaml")
    message = str(excinfo.value)
    assert REFUSAL.match(message) and f"unknown key {key!r} in {known}" in message, message
    line = int(message.split("line ")[1].split(":")[0])
    written = text.splitlines()[line - 1].strip().replace("'", "")  # yaml quotes 'null', 'on'
    assert written.startswith(f"{key}:"), (line, text)


def _node(doc: dict, path: tuple[str, ...]) -> dict:
    for key in path:
        doc = doc[key]
    return doc


# One key of a valid profile replaced by a value of the wrong shape, as a hand edit might.
WRONG = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**6), st.text(max_size=8),
                  st.lists(st.integers(0, 3), max_size=2),
                  st.dictionaries(st.integers(0, 3), st.text(max_size=3), max_size=2))
BASE = {"name": "people", "namespace": "test.nominal", "dates": ["%d/%m/%Y"],
        "max_field_bytes": 1000,
        "entities": {"person": {"schema": "Person", "id": "ID", "required": ["name"],
                                "properties": {"name": "NAME", "dob": {"column": "DOB",
                                                                       "formats": ["%Y"]}}}},
        "links": []}
PATHS = [("name",), ("namespace",), ("dates",), ("max_field_bytes",), ("entities",),
         ("links",), ("entities", "person"), ("entities", "person", "schema"),
         ("entities", "person", "id"), ("entities", "person", "required"),
         ("entities", "person", "properties"), ("entities", "person", "properties", "name"),
         ("entities", "person", "properties", "dob", "formats")]


def _replace(doc: dict, path: tuple[str, ...], value: object) -> dict:
    import copy

    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@fuzz(100)
@given(path=st.sampled_from(PATHS), value=WRONG)
@example(path=("max_field_bytes",), value="abc")
@example(path=("dates",), value=5)
@example(path=("entities", "person", "required"), value=5)
@example(path=("entities", "person", "properties", "dob", "formats"), value=5)
@example(path=("entities", "person", "schema"), value=[1])
@example(path=("entities",), value={0: "a"})
@example(path=("entities", "person", "properties", "name"), value=None)
def test_a_wrongly_shaped_value_is_refused_with_file_and_line(path, value):
    text = yaml.safe_dump(_replace(BASE, path, value), sort_keys=False)
    try:
        parse_profile(text, "p.yaml")
    except LanternError as exc:
        found = AT_LINE.match(str(exc))  # a line, never the catch-all's 'somewhere'
        assert found, str(exc)
        assert 1 <= int(found.group(1)) <= len(text.splitlines()), (str(exc), text)

"""Mapping profiles: mistakes are reported with the profile's file and line, before loading."""

from __future__ import annotations

import pytest

from lantern.errors import LanternError
from lantern.ingest.profile import load_profile, parse_profile, shipped_profiles

GOOD = """\
name: test
namespace: ns
dates: ["%d/%m/%Y"]
entities:
  person:
    schema: Person
    id: ID
    properties:
      name: {column: NAME}
      dob: DOB
      phone: [MOBILE, HOME]
  crime:
    schema: Crime
    id: REF
    namespace: crimes
    properties:
      outcome: {column: OUTCOME, map: {NFA: no_further_action}}
links:
  - {type: suspect-in, from: person, to: crime}
"""


def test_a_good_profile_compiles():
    profile = parse_profile(GOOD, "good.yaml")
    person, crime = profile.entities
    assert (person.alias, person.schema, person.id_column, person.namespace) == ("person", "Person", "ID", "ns")
    assert crime.namespace == "crimes"
    assert profile.columns == ["NAME", "DOB", "MOBILE", "HOME", "ID", "OUTCOME", "REF"]
    dob = next(p for p in person.properties if p.prop.name == "dob")
    assert dob.options.formats == ("%d/%m/%Y",)
    assert profile.links[0].type == "suspect-in"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("dob: DOB", "dobb: DOB"), "line 10: Person has no property 'dobb' (did you mean 'dob'?)"),
        (GOOD.replace("schema: Crime", "schema: Crim"), "line 13: unknown schema 'Crim' (did you mean 'Crime'?)"),
        (GOOD.replace("name: {column: NAME}", "name: {column: NAME"), "line 10: YAML syntax error"),
        (GOOD.replace("type: suspect-in", "type: suspect_in"), "unknown link type 'suspect_in' (did you mean 'suspect-in'?)"),
        (GOOD.replace("to: crime}", "to: person}"), "suspect-in needs a Event at 'to'"),
        (GOOD.replace("namespace: ns\n", "namespace: ns\ncolour: red\n"), "line 3: unknown key 'colour' in the profile"),
        (GOOD.replace("id: ID\n", "id: ID\n    required: [address]\n"), "required property 'address' is not mapped"),
        ("name: x\nentities:\n  a:\n    schema: Event\n    id: X\n", "Event is abstract"),
    ],
)
def test_profile_mistakes_name_the_line(broken, message):
    with pytest.raises(LanternError) as excinfo:
        parse_profile(broken, "p.yaml")
    assert str(excinfo.value).startswith("profile p.yaml")
    assert message in str(excinfo.value)


def test_every_shipped_profile_compiles():
    profiles = shipped_profiles()
    assert {"sample-nominals", "sample-crimes", "sample-intelligence"} <= set(profiles)
    for name in profiles:
        assert load_profile(name).name == name


def test_unknown_profile_name_is_a_clear_error():
    with pytest.raises(LanternError, match="no profile file 'sample-nominal'.*did you mean 'sample-nominals'"):
        load_profile("sample-nominal")


BASE_HEAD = "name: x\nnamespace: n\n"
ONE_PERSON = "entities:\n  p:\n    schema: Person\n    id: ID\n"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        # Each was a bare Python exception, then a LanternError 'somewhere': now at its line.
        (BASE_HEAD + "max_field_bytes: abc\n" + ONE_PERSON,
         "line 3: max_field_bytes must be a whole number of bytes above 0, not 'abc'"),
        (BASE_HEAD + "dates: 5\n" + ONE_PERSON, "line 3: '5' is not a date format"),
        (BASE_HEAD + "dates: {a: 1}\n" + ONE_PERSON, "line 3: dates (date formats) must be a list"),
        (BASE_HEAD + ONE_PERSON + "    required: 5\n", "line 7: required property '5' is not mapped"),
        (BASE_HEAD + ONE_PERSON + "    required: {a: 1}\n", "line 7: required (property names) must be"),
        (BASE_HEAD + ONE_PERSON + "    properties:\n      dob: {column: DOB, formats: 5}\n",
         "line 8: '5' is not a date format"),
        (BASE_HEAD + ONE_PERSON.replace("schema: Person", "schema: [1]"), "line 5: unknown schema [1]"),
        (BASE_HEAD + ONE_PERSON + "    properties:\n      name: ~\n",
         "line 8: property 'name' must be a column, a list of columns or a mapping, not None"),
        (BASE_HEAD + ONE_PERSON.replace("id: ID", "id: yes"), "line 6: column name must be text, not True"),
        (BASE_HEAD + "entities:\n  0: {schema: Person, id: ID}\n", "line 4: an entity's name must be text, not 0"),
        (BASE_HEAD + "delimiter: ';;'\n" + ONE_PERSON, "line 3: delimiter must be auto, tab or one character"),
        (BASE_HEAD + "encoding: klingon\n" + ONE_PERSON, "line 3: unknown encoding 'klingon'"),
        (BASE_HEAD + "sheet: [a]\n" + ONE_PERSON, "line 3: sheet must be text, not a list"),
        (BASE_HEAD + ONE_PERSON + "links:\n  - {type: [x], from: p, to: p}\n", "line 8: unknown link type ['x']"),
        (BASE_HEAD + "\n\ntrue: x\n" + ONE_PERSON, "line 5: unknown key True in the profile"),
    ],
)
def test_a_value_of_the_wrong_shape_is_refused_at_its_line(broken, message):
    with pytest.raises(LanternError) as excinfo:
        parse_profile(broken, "p.yaml")
    assert str(excinfo.value).startswith("profile p.yaml, line "), str(excinfo.value)
    assert message in str(excinfo.value)


def test_numbers_read_as_text_where_text_is_meant():
    profile = parse_profile(BASE_HEAD + "sheet: 2024\ndelimiter: '|'\n" + ONE_PERSON.replace("ID", "1"), "p.yaml")
    assert (profile.sheet, profile.delimiter, profile.entities[0].id_column) == ("2024", "|", "1")

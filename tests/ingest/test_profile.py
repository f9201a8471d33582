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

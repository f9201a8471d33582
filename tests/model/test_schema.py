"""The schema file declares the POLE model; the loader resolves inheritance and links."""

from __future__ import annotations

import pytest

from lantern.model.schema import SchemaError, load_schema, parse_schema

REQUIRED_ENTITIES = {
    "Person", "Phone", "Handset", "Sim", "Vehicle", "Account", "Location", "CellSite", "Organisation",
    "Crime", "IntelligenceReport", "MissingEpisode", "Custody", "Stop", "Call", "Message",
    "AnprRead", "Sighting", "SafeguardingReferral",
}
REQUIRED_LINKS = {
    "suspect-in", "victim-in", "witness-in", "reported-missing", "lives-at", "uses-phone",
    "owns-vehicle", "drives-vehicle", "associate", "family", "co-accused", "mentioned-in",
    "present-at", "called",
}


def test_the_schema_declares_the_pole_types_the_issue_lists():
    schema = load_schema()
    assert {e.name for e in schema.concrete()} >= REQUIRED_ENTITIES
    assert set(schema.links) >= REQUIRED_LINKS
    assert {e.kind for e in schema.concrete()} == {"person", "object", "location", "event"}


def test_inherited_properties_and_is_a():
    schema = load_schema()
    crime = schema.entity("Crime")
    assert crime.is_a("Event") and crime.is_a("Thing") and not crime.is_a("Person")
    assert {"date", "postcode", "notes", "offence", "outcome"} <= set(crime.properties)
    assert "no_further_action" in crime.properties["outcome"].values
    assert schema.entity("CellSite").is_a("Location")


def test_protected_characteristics_are_marked():
    person = load_schema().entity("Person")
    assert set(person.protected_properties) == {"ethnicity", "religion", "nationality"}
    assert person.properties["phone"].pivot and not person.properties["name"].pivot


def test_links_have_direction_and_endpoints():
    schema = load_schema()
    assert schema.link("called").directed
    assert not schema.link("co-accused").directed
    assert schema.link("reported-missing").target == "MissingEpisode"


def test_a_broken_schema_is_refused():
    with pytest.raises(SchemaError, match="cycle"):
        parse_schema({"version": 1, "entities": {"A": {"extends": "B"}, "B": {"extends": "A"}},
                      "links": {}})
    with pytest.raises(SchemaError, match="unknown type"):
        parse_schema({"version": 1, "entities": {"A": {}}, "links": {"x": {"from": "A", "to": "Z"}}})

"""ANX exports validate against Lantern's own subset schema and pass the semantic checks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import xmlschema
from defusedxml import ElementTree as SafeET
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.export.anx import write_anx
from lantern.graph.view import NetworkView

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("anx_subset.xsd"))


def view(labels: list[str]) -> NetworkView:
    nodes = [{"id": f"P{i}", "label": label, "victim": i == 0, "child": False, "records": 1, "group": "G001" if i < 3 else "",
              "role": "organiser" if i == 1 else "member", "rank": i + 1} for i, label in enumerate(labels)]
    edges = [{"entity_a": f"P{i}", "entity_b": f"P{i + 1}", "type": "called" if i % 2 else "seen-with",
              "count": i + 1, "weight": 1.0 + i, "first_seen": "2024-01-02", "last_seen": "2024-03-04T21:40:00",
              "evidence": [10 + i, 20 + i]} for i in range(len(labels) - 1)]
    return NetworkView(nodes, edges)


def render(v: NetworkView) -> str:
    out = io.StringIO()
    write_anx(v, out)
    return out.getvalue()


def test_a_chart_validates_and_every_reference_resolves():
    text = render(view(["[victim 1a2b]", "Daniel Price", "Mo Khan", "Chloe"]))
    SCHEMA.validate(text)
    root = SafeET.fromstring(text.encode())
    declared = {e.get("Name") for e in root.iter("EntityType")} | {e.get("Name") for e in root.iter("LinkType")}
    assert {s.get("Type") for s in root.iter("IconStyle")} <= declared
    assert {s.get("Type") for s in root.iter("LinkStyle")} <= declared
    assert root.get("IdReferenceLinking") == "false"
    assert all(item.get("DateSet") == "true" for item in root.iter("ChartItem") if item.find("Link") is not None)


def test_a_dangling_link_or_a_duplicate_identity_fails_the_schema():
    text = render(view(["A", "B", "C"]))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(text.replace('End2Id="P2"', 'End2Id="P9"'))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(text.replace('Identity="P2"', 'Identity="P1"'))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=2, max_size=6))
def test_hostile_labels_round_trip_and_newlines_stay_encoded(labels):
    text = render(view(labels))
    SCHEMA.validate(text)
    root = SafeET.fromstring(text.encode())
    for label, item in zip(labels, [i for i in root.iter("ChartItem") if i.find("End") is not None], strict=False):
        expected = "".join(ch for ch in label if ch in "\t\n\r" or ord(ch) >= 0x20)
        assert item.get("Label") == expected  # forbidden control characters dropped, the rest exact
    assert "\n" not in text.split("?>", 1)[1].strip()  # every newline inside an attribute is encoded

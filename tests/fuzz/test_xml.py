"""XML in and out: an ANX chart written by Lantern parses back through the hostile-XML guard
with every node, tie and value intact; any bytes at all are parsed or refused with a
LanternError, and hostile constructs (DTDs, entities, depth, size) are always refused."""

from __future__ import annotations

import io
import string
import xml.etree.ElementTree as ET

from hypothesis import example, given
from hypothesis import strategies as st

from lantern.errors import LanternError
from lantern.export.anx import write_anx
from lantern.graph.view import NetworkView
from lantern.security.xmlguard import parse_xml

from .conftest import fuzz

XML_FORBIDDEN = {chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"}
ANY_TEXT = st.text(max_size=20)
WHEN = st.none() | st.dates().map(lambda d: d.isoformat()) | st.datetimes().map(
    lambda d: d.isoformat(timespec="seconds"))


@st.composite
def views(draw) -> NetworkView:
    count = draw(st.integers(1, 8))
    ids = [f"E{n}-{draw(st.text(string.ascii_letters + string.digits, max_size=6))}"
           for n in range(count)]
    nodes = [{"id": ident, "label": draw(ANY_TEXT), "victim": draw(st.booleans()),
              "child": draw(st.booleans()), "records": 1, "group": draw(ANY_TEXT),
              "role": draw(st.sampled_from(["organiser", "broker", "member", ""])),
              "rank": draw(st.integers(0, 50))} for ident in ids]
    edges = []
    for _ in range(draw(st.integers(0, 10))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        edges.append({"entity_a": a, "entity_b": b,
                      "type": draw(st.sampled_from(["called", "seen-with", "co-offended"])),
                      "count": draw(st.integers(1, 500)), "weight": 1.0,
                      "first_seen": draw(WHEN), "last_seen": draw(WHEN),
                      "evidence": draw(st.lists(st.integers(1, 10**9), max_size=4))})
    return NetworkView(nodes, edges)


def _kept(text: object) -> str:
    return "".join(ch for ch in str(text) if ch not in XML_FORBIDDEN)


@fuzz(60)
@given(view=views())
def test_an_anx_chart_parses_back_through_the_guard_with_every_node_and_tie(view):
    out = io.StringIO()
    items = write_anx(view, out)
    root = parse_xml(out.getvalue().encode("utf-8"), name="chart.anx")
    chart_items = list(root.iter("ChartItem"))
    assert items == len(chart_items) == len(view.nodes) + len(view.edges)
    entities = [e for e in root.iter("Entity")]
    assert [e.get("Identity") for e in entities] == [n["id"] for n in view.nodes]
    labelled = [i for i in chart_items if i.find("End") is not None]
    assert [i.get("Label") for i in labelled] == [_kept(n["label"]) for n in view.nodes]
    for item, node in zip(labelled, view.nodes, strict=True):
        group = [a.get("Value") for a in item.iter("Attribute") if a.get("AttributeClass") == "Group"]
        assert group == ([_kept(node["group"])] if node["group"] else [])
    known = {e.get("EntityId") for e in entities}
    links = list(root.iter("Link"))
    assert [(lk.get("End1Id"), lk.get("End2Id")) for lk in links] == [
        (e["entity_a"], e["entity_b"]) for e in view.edges]
    assert all({lk.get("End1Id"), lk.get("End2Id")} <= known for lk in links)
    for link, edge in zip(links, view.edges, strict=True):
        card = link.find("CardCollection/Card")
        assert card is not None and card.get("Text") == "Lantern records: " + ", ".join(
            str(r) for r in edge["evidence"])


@st.composite
def trees(draw, depth: int = 0) -> ET.Element:
    tag = draw(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,8}\Z"))
    element = ET.Element(tag, {k: _kept(v) for k, v in draw(st.dictionaries(
        st.from_regex(r"\A[a-z][a-z0-9]{0,5}\Z"), ANY_TEXT, max_size=3)).items()})
    element.text = _kept(draw(ANY_TEXT)) or None
    if depth < 3:
        for _ in range(draw(st.integers(0, 3))):
            element.append(draw(trees(depth + 1)))
    return element


def _shape(element: ET.Element) -> tuple:
    return (element.tag, dict(element.attrib), (element.text or "").replace("\r", "\n"),
            [_shape(child) for child in element])


@fuzz(60)
@given(tree=trees())
def test_well_formed_xml_parses_to_the_same_tree(tree):
    data = ET.tostring(tree, encoding="utf-8")
    parsed = parse_xml(data)
    assert _shape(parsed) == _shape(ET.fromstring(data))


@fuzz(200)
@given(data=st.binary(max_size=200) | st.text(
    alphabet=string.printable + "<>&;!?/=\"'[]%éΩ", max_size=200).map(str.encode))
def test_any_bytes_parse_or_are_refused_with_a_lantern_error(data):
    try:
        parse_xml(data, name="upload.xml")
    except LanternError as exc:
        assert str(exc).startswith("upload.xml: ")


ENCODING = st.sampled_from(["utf-8", "UTF-16", "latin-1", "us-ascii", "cp1252", "TTF-8", "",
                            "klingon", "utf-8\x00", "x" * 60]) | st.text(
    alphabet=string.ascii_letters + string.digits + "-_.:", max_size=12)


@fuzz(60)
@given(encoding=ENCODING, body=st.sampled_from(["<a/>", "<a>é</a>", "<a><b x='1'/></a>"]))
@example(encoding="TTF-8", body="<a/>")  # atheris: expat's LookupError escaped the guard
def test_any_declared_encoding_parses_or_is_refused_with_a_lantern_error(encoding, body):
    data = f'<?xml version="1.0" encoding="{encoding}"?>{body}'.encode()
    try:
        root = parse_xml(data, name="upload.xml")
    except LanternError as exc:
        assert str(exc).startswith("upload.xml: ")
    else:
        assert root.tag == "a"


HOSTILE = st.sampled_from([
    '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>',
    '<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "http://example.invalid/x">]><r>&x;</r>',
    '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/p"> %p;]><r/>',
    '<!DOCTYPE r><r/>',
])


@fuzz(30)
@given(doc=HOSTILE, prolog=st.sampled_from(["", '<?xml version="1.0"?>\n',
                                            '<?xml version="1.0" encoding="UTF-8"?>']))
def test_a_dtd_or_entity_is_always_refused(doc, prolog):
    try:
        parse_xml((prolog + doc).encode(), name="h.xml")
    except LanternError as exc:
        assert "refused" in str(exc) and ("DTD" in str(exc) or "entit" in str(exc))
    else:
        raise AssertionError("hostile XML was parsed")


@fuzz(30)
@given(depth=st.integers(1, 40), limit=st.integers(1, 40))
def test_nesting_past_the_limit_is_refused_and_within_it_parses(depth, limit):
    data = ("<a>" * depth + "</a>" * depth).encode()
    if depth <= limit:
        assert parse_xml(data, max_depth=limit).tag == "a"
    else:
        try:
            parse_xml(data, max_depth=limit, name="deep.xml")
        except LanternError as exc:
            assert f"nested deeper than {limit}" in str(exc)
        else:
            raise AssertionError("over-deep XML was parsed")


@fuzz(30)
@given(size=st.integers(10, 400), limit=st.integers(10, 400))
def test_xml_over_the_size_limit_is_refused(size, limit):
    data = b"<a>" + b"x" * size + b"</a>"
    if len(data) <= limit:
        assert parse_xml(data, max_bytes=limit).text == "x" * size
    else:
        try:
            parse_xml(data, max_bytes=limit, name="big.xml")
        except LanternError as exc:
            assert "limit" in str(exc)
        else:
            raise AssertionError("over-size XML was parsed")

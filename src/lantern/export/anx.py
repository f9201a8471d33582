"""i2 Analyst's Notebook exchange (ANX) for the person network: opens in ANB 7 to 10.

Written from the public description of the format (the i2 schema is not redistributable):
a Chart with declared strengths, entity types, link types and attribute classes, then one
ChartItem per person and per tie. Links find their ends by EntityId
(IdReferenceLinking="false"). Identities are Lantern's entity ids, so ANB never merges two
people who merely share a name. Each tie carries a card listing the records behind it.
Victims arrive pseudonymised, like every shared product.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

import igraph

from lantern import __version__
from lantern.graph.view import NetworkView

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed anywhere in XML 1.0
ICONS = {"Person": "Person", "Victim": "Anon"}  # ANB's Basic icon library names
ROLE_COLOUR_BGR = {"organiser": 255, "broker": 33023}  # red, orange (COLORREF is BGR)


def _clean(value: object) -> str:
    return _FORBIDDEN.sub("", "" if value is None else str(value))


def _datetime(value: str | None) -> str | None:
    """ANB wants xs:dateTime without a zone; a date alone becomes midnight."""
    if not value:
        return None
    return value if "T" in value else f"{value}T00:00:00"


def _layout(view: NetworkView) -> list[tuple[int, int]]:
    index = {n["id"]: i for i, n in enumerate(view.nodes)}
    graph = igraph.Graph(n=len(view.nodes), edges=[(index[e["entity_a"]], index[e["entity_b"]])
                                                  for e in view.edges])
    if not view.nodes:
        return []
    coords = graph.layout_drl().coords if len(view.nodes) > 500 else graph.layout_fruchterman_reingold().coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    return [(int((x - min(xs)) / span * 4000), int((y - min(ys)) / span * 4000)) for x, y in coords]


def write_anx(view: NetworkView, out: TextIO, marking: str = "OFFICIAL-SENSITIVE") -> int:
    chart = ET.Element("Chart", {"IdReferenceLinking": "false"})
    strengths = ET.SubElement(chart, "StrengthCollection")
    ET.SubElement(strengths, "Strength", {"Id": "S1", "Name": "Confirmed", "DotStyle": "DotStyleSolid"})
    classes = ET.SubElement(chart, "AttributeClassCollection")
    for n, (name, kind) in enumerate((("Group", "AttText"), ("Role", "AttText"), ("Rank", "AttNumber"),
                                      ("Victim", "AttFlag"), ("Count", "AttNumber"), ("Child", "AttFlag")), start=1):
        ET.SubElement(classes, "AttributeClass", {"Id": f"AC{n}", "Name": name, "Type": kind,
                                                   "ShowValue": "true", "Visible": "true"})
    class_id = {"Group": "AC1", "Role": "AC2", "Rank": "AC3", "Victim": "AC4", "Count": "AC5", "Child": "AC6"}
    types = ET.SubElement(chart, "EntityTypeCollection")
    for n, (name, icon_file) in enumerate(ICONS.items(), start=1):
        ET.SubElement(types, "EntityType", {"Id": f"ET{n}", "Name": name, "IconFile": icon_file})
    link_types = sorted({e["type"] for e in view.edges})
    link_type_id = {t: f"LT{n}" for n, t in enumerate(link_types, start=1)}
    lts = ET.SubElement(chart, "LinkTypeCollection")
    for name, ident in link_type_id.items():
        ET.SubElement(lts, "LinkType", {"Id": ident, "Name": name})
    summary = ET.SubElement(chart, "Summary")
    fields = ET.SubElement(summary, "FieldCollection")
    ET.SubElement(fields, "Field", {"Type": "SummaryFieldTitle", "Field": f"{marking}: Lantern person network"})
    ET.SubElement(fields, "Field", {"Type": "SummaryFieldApplication", "Field": f"Lantern {__version__}"})
    items = ET.SubElement(chart, "ChartItemCollection")
    for n, (node, (x, y)) in enumerate(zip(view.nodes, _layout(view), strict=True), start=1):
        kind = "Victim" if node["victim"] else "Person"
        item = ET.SubElement(items, "ChartItem", {"Id": f"CI{n}", "Label": _clean(node["label"]), "XPosition": str(x)})
        end = ET.SubElement(item, "End", {"X": str(x), "Y": str(y), "Z": "0"})
        entity = ET.SubElement(end, "Entity", {"EntityId": _clean(node["id"]), "Identity": _clean(node["id"]),
                                               "LabelIsIdentity": "false"})
        icon = ET.SubElement(entity, "Icon")
        style = {"Type": kind, "EntityTypeReference": "ET2" if node["victim"] else "ET1"}
        if node["role"] in ROLE_COLOUR_BGR:
            style["IconShadingColour"] = str(ROLE_COLOUR_BGR[node["role"]])
        ET.SubElement(icon, "IconStyle", style)
        attributes = ET.SubElement(item, "AttributeCollection")
        for name, value in (("Group", node["group"]), ("Role", node["role"]), ("Rank", node["rank"]),
                            ("Victim", "true" if node["victim"] else "false"),
                            ("Child", "true" if node["child"] else "false")):
            if value not in ("", None, 0):
                ET.SubElement(attributes, "Attribute", {"AttributeClass": name, "AttributeClassReference": class_id[name],
                                                        "Value": _clean(value)})
    offset = len(view.nodes)
    for n, edge in enumerate(view.edges, start=offset + 1):
        when = _datetime(edge["last_seen"])
        attrs = {"Id": f"CI{n}", "Label": f"{edge['type']} x{edge['count']}"}
        if when:
            attrs |= {"DateSet": "true", "TimeSet": "true" if "T" in (edge["last_seen"] or "") else "false",
                      "DateTime": when}
        item = ET.SubElement(items, "ChartItem", attrs)
        link = ET.SubElement(item, "Link", {"End1Id": edge["entity_a"], "End2Id": edge["entity_b"]})
        cards = ET.SubElement(link, "CardCollection")
        card = {"Summary": f"{edge['count']} {edge['type']} between {edge['first_seen'] or '?'} and "
                           f"{edge['last_seen'] or '?'}",
                "Text": "Lantern records: " + ", ".join(str(r) for r in edge["evidence"])}
        ET.SubElement(cards, "Card", card)
        ET.SubElement(link, "LinkStyle", {"Type": edge["type"], "LinkTypeReference": link_type_id[edge["type"]],
                                          "Strength": "Confirmed", "StrengthReference": "S1",
                                          "ArrowStyle": "ArrowNone", "MlStyle": "MultiplicityMultiple"})
        attributes = ET.SubElement(item, "AttributeCollection")
        ET.SubElement(attributes, "Attribute", {"AttributeClass": "Count", "AttributeClassReference": "AC5",
                                                "Value": str(edge["count"])})
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(chart, encoding="unicode") + "\n")
    return len(view.nodes) + len(view.edges)

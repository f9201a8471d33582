"""Network products in the formats analysts' tools open: GraphML and GEXF (Gephi, yEd),
Cytoscape JSON, and CSV node and edge lists (formula-safe). XML is built with ElementTree,
which escapes every value, so a hostile name cannot break the document."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from typing import Any, TextIO

from lantern import __version__
from lantern.export.tabular import neutralise
from lantern.graph.view import NetworkView

NODE_FIELDS = ("label", "victim", "child", "group", "role", "rank", "records")
EDGE_FIELDS = ("type", "count", "weight", "first_seen", "last_seen")


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def graphml(view: NetworkView, out: TextIO) -> int:
    root = ET.Element("graphml", xmlns="http://graphml.graphdrawing.org/xmlns")
    for domain, fields in (("node", NODE_FIELDS), ("edge", EDGE_FIELDS)):
        for name in fields:
            kind = {"victim": "boolean", "child": "boolean", "rank": "int", "records": "int", "count": "int",
                    "weight": "double"}.get(name, "string")
            ET.SubElement(root, "key", {"id": f"{domain}_{name}", "for": domain, "attr.name": name,
                                        "attr.type": kind})
    graph = ET.SubElement(root, "graph", id="lantern", edgedefault="undirected")
    for node in view.nodes:
        element = ET.SubElement(graph, "node", id=node["id"])
        for name in NODE_FIELDS:
            ET.SubElement(element, "data", key=f"node_{name}").text = _text(node[name])
    for i, edge in enumerate(view.edges):
        element = ET.SubElement(graph, "edge", id=f"e{i}", source=edge["entity_a"], target=edge["entity_b"])
        for name in EDGE_FIELDS:
            ET.SubElement(element, "data", key=f"edge_{name}").text = _text(edge[name])
    out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- Lantern {__version__}: OFFICIAL-SENSITIVE -->\n')
    out.write(ET.tostring(root, encoding="unicode") + "\n")
    return len(view.nodes) + len(view.edges)


def gexf(view: NetworkView, out: TextIO) -> int:
    root = ET.Element("gexf", xmlns="http://gexf.net/1.3", version="1.3")
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = f"Lantern {__version__}"
    ET.SubElement(meta, "description").text = "OFFICIAL-SENSITIVE person network"
    graph = ET.SubElement(root, "graph", defaultedgetype="undirected")
    node_attrs = ET.SubElement(graph, "attributes", {"class": "node"})
    for i, name in enumerate(NODE_FIELDS[1:]):
        ET.SubElement(node_attrs, "attribute", id=str(i), title=name, type="string")
    edge_attrs = ET.SubElement(graph, "attributes", {"class": "edge"})
    for i, name in enumerate(("type", "count", "first_seen", "last_seen")):
        ET.SubElement(edge_attrs, "attribute", id=str(i), title=name, type="string")
    nodes = ET.SubElement(graph, "nodes")
    for node in view.nodes:
        element = ET.SubElement(nodes, "node", id=node["id"], label=_text(node["label"]))
        values = ET.SubElement(element, "attvalues")
        for i, name in enumerate(NODE_FIELDS[1:]):
            ET.SubElement(values, "attvalue", {"for": str(i), "value": _text(node[name])})
    edges = ET.SubElement(graph, "edges")
    for i, edge in enumerate(view.edges):
        element = ET.SubElement(edges, "edge", id=str(i), source=edge["entity_a"], target=edge["entity_b"],
                                weight=f"{edge['weight']:.4f}", label=edge["type"])
        values = ET.SubElement(element, "attvalues")
        for j, name in enumerate(("type", "count", "first_seen", "last_seen")):
            ET.SubElement(values, "attvalue", {"for": str(j), "value": _text(edge[name])})
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
    return len(view.nodes) + len(view.edges)


def cytoscape(view: NetworkView, out: TextIO) -> int:
    elements = {
        "nodes": [{"data": dict(node)} for node in view.nodes],
        "edges": [{"data": {"id": f"e{i}", "source": e["entity_a"], "target": e["entity_b"],
                            **{k: e[k] for k in (*EDGE_FIELDS, "evidence")}}} for i, e in enumerate(view.edges)],
    }
    json.dump({"format_version": "1.0", "generated_by": f"Lantern {__version__}", "marking": "OFFICIAL-SENSITIVE",
               "elements": elements}, out, ensure_ascii=False)
    out.write("\n")
    return len(view.nodes) + len(view.edges)


def nodes_csv(view: NetworkView, out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(["id", *NODE_FIELDS])
    for node in view.nodes:
        writer.writerow([neutralise(node["id"]), *(neutralise(_text(node[f])) for f in NODE_FIELDS)])
    return len(view.nodes)


def edges_csv(view: NetworkView, out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(["source", "target", *EDGE_FIELDS, "evidence_records"])
    for edge in view.edges:
        writer.writerow([edge["entity_a"], edge["entity_b"], *(neutralise(_text(edge[f])) for f in EDGE_FIELDS),
                         " ".join(str(r) for r in edge["evidence"])])
    return len(view.edges)


def ftm(view: NetworkView, out: TextIO) -> int:
    """FollowTheMoney entities (JSON lines): a Person per node, an Associate per tie."""
    from followthemoney import model  # imported lazily: it is large and only this format needs it

    ids: dict[str, str] = {}
    n = 0
    for node in view.nodes:
        person = model.make_entity("Person")
        person.make_id("lantern", node["id"])
        person.add("name", node["label"])
        person.add("description", f"Lantern {node['id']}; group {node['group'] or '-'}; role {node['role'] or '-'}"
                   + ("; victim (pseudonymised)" if node["victim"] else "")
                   + ("; child (pseudonymised)" if node["child"] and not node["victim"] else ""))
        ids[node["id"]] = str(person.id)
        out.write(json.dumps(person.to_dict(), ensure_ascii=False) + "\n")
        n += 1
    for edge in view.edges:
        tie = model.make_entity("Associate")
        tie.make_id("lantern", edge["entity_a"], edge["entity_b"], edge["type"])
        tie.add("person", ids[edge["entity_a"]])
        tie.add("associate", ids[edge["entity_b"]])
        tie.add("relationship", edge["type"])
        tie.add("startDate", (edge["first_seen"] or "")[:10] or None)
        tie.add("endDate", (edge["last_seen"] or "")[:10] or None)
        tie.add("summary", f"{edge['count']} x {edge['type']}; Lantern records "
                + ", ".join(str(r) for r in edge["evidence"]))
        out.write(json.dumps(tie.to_dict(), ensure_ascii=False) + "\n")
        n += 1
    return n

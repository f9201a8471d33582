"""Export writers: each streams one product to a text file and returns (items, sha256).

The hash of exactly what was written goes into the DISCLOSE audit event, so a product can
later be matched to the event that released it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import Connection

from lantern.export import graphs
from lantern.export.anx import write_anx
from lantern.export.tabular import neutralise
from lantern.graph.service import groups_rows
from lantern.graph.view import NetworkView, network_view
from lantern.resolve.service import clusters_rows
from lantern.security.pseudonymise import Pseudonymiser
from lantern.store import queries


class _Hashing:
    """A text stream that hashes what passes through it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()

    def write(self, text: str) -> int:
        self.digest.update(text.encode("utf-8"))
        return self.out.write(text)


def write_jsonl(out: TextIO, conn: Connection, case_id: int, pseudonymiser: Pseudonymiser | None) -> tuple[int, str]:
    """Every statement and link of the case with its provenance, one JSON object a line."""
    sink = _Hashing(out)
    n = 0
    for row in queries.statements_with_provenance(conn, case_id):
        if pseudonymiser is not None:
            row["value"], row["original"] = pseudonymiser.statement(
                row["record_id"], row["prop"], row["value"], row["original"])
        sink.write(json.dumps({"kind": "statement", **row}, ensure_ascii=False, default=str) + "\n")
        n += 1
    for row in queries.links_with_provenance(conn, case_id):
        props = json.loads(row.pop("properties") or "{}")
        sink.write(json.dumps({"kind": "link", **row, "properties": props}, ensure_ascii=False) + "\n")
        n += 1
    return n, sink.digest.hexdigest()


def write_clusters_csv(out: TextIO, conn: Connection, case_id: int,
                       pseudonymiser: Pseudonymiser | None) -> tuple[int, str]:
    """source,record_id,entity_id for every person record: ids as each source system has them."""
    sink = _Hashing(out)
    writer = csv.writer(sink)
    writer.writerow(["source", "record_id", "entity_id"])
    n = 0
    for row in clusters_rows(conn, case_id):
        writer.writerow([neutralise(row["source"]), neutralise(row["record_id"]), row["entity_id"]])
        n += 1
    return n, sink.digest.hexdigest()


def write_groups_csv(out: TextIO, conn: Connection, case_id: int,
                     pseudonymiser: Pseudonymiser | None) -> tuple[int, str]:
    """entity_id,group_id,role,rank for every member of a group in the latest network."""
    sink = _Hashing(out)
    writer = csv.writer(sink)
    writer.writerow(["entity_id", "group_id", "role", "rank"])
    n = 0
    for row in groups_rows(conn, case_id):
        writer.writerow([row["entity_id"], row["group_id"], row["role"], row["rank"]])
        n += 1
    return n, sink.digest.hexdigest()


def _network_writer(render: Callable[[NetworkView, TextIO], int]) -> Callable[
        [TextIO, Connection, int, Pseudonymiser | None], tuple[int, str]]:
    def write(out: TextIO, conn: Connection, case_id: int, pseudonymiser: Pseudonymiser | None) -> tuple[int, str]:
        sink = _Hashing(out)
        n = render(network_view(conn, case_id, pseudonymiser), sink)  # type: ignore[arg-type]
        return n, sink.digest.hexdigest()

    return write


WRITERS: dict[str, Callable[[TextIO, Connection, int, Pseudonymiser | None], tuple[int, str]]] = {
    "jsonl": write_jsonl,
    "clusters-csv": write_clusters_csv,
    "groups-csv": write_groups_csv,
    "anx": _network_writer(write_anx),
    "graphml": _network_writer(graphs.graphml),
    "gexf": _network_writer(graphs.gexf),
    "cytoscape": _network_writer(graphs.cytoscape),
    "ftm": _network_writer(graphs.ftm),
    "nodes-csv": _network_writer(graphs.nodes_csv),
    "edges-csv": _network_writer(graphs.edges_csv),
}


def formats() -> list[str]:
    return list(WRITERS)


def describe(fmt: str) -> str:
    return {"jsonl": "lines", "clusters-csv": "person records", "groups-csv": "group members",
            "nodes-csv": "nodes", "edges-csv": "ties"}.get(fmt, "nodes and ties")


__all__ = ["WRITERS", "describe", "formats", "write_clusters_csv", "write_groups_csv", "write_jsonl"]

"""Communications data as DuckDB tables: a derived copy of the store's calls, messages, seized
phones' contacts, cell sites and ANPR reads, rebuilt on demand and never the store of record.

One call shows in the CDR of each party who is a target (a call between two targets is two
rows from two providers) and in the call log of a seized phone that made or took it: the
``calls`` table keeps one row per call (same two numbers, same start to the second, same
duration), with the record ids of every row that gave it. What a target's own rows say about
its handset and SIM (IMEI, IMSI, cell) is kept per row in ``observations``.

Tables:
  calls(call_id, a, b, kind, at, duration, records)          one row per call or message
  observations(record_id, target, other, at, imei, imsi, cell_start, cell_end)
  contacts(record_id, owner, number, saved_name)             seized phones' address books
  cells(cell_id, name, latitude, longitude, azimuth, postcode)
  anpr(record_id, vrm, at, camera, place, postcode)
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, select

from lantern import analytics
from lantern.comms.bulk import ROW_STRIDE
from lantern.comms.callstore import CallStore, vouched_files
from lantern.errors import LanternError
from lantern.store import tables

CALL_PROPS = ("date", "a_number", "b_number", "direction", "call_type", "duration", "imei", "imsi",
              "cell_start", "cell_end", "target", "other_number")
MESSAGE_PROPS = ("date", "sender", "recipient")
TABLES = ("calls", "observations", "contacts", "cells", "anpr")


def parse_when(value: str | None) -> datetime | None:
    """An ISO date-time from the store, to the second (None if there is none)."""
    if not value or len(value) < 10:
        return None
    try:
        return datetime.fromisoformat(value[:19])
    except ValueError:
        return None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _pivot(conn: Connection, case_id: int, schema: str, props: Iterable[str]) -> dict[int, dict[str, str]]:
    r, s = tables.records, tables.statements
    out: dict[int, dict[str, str]] = defaultdict(dict)
    query = (select(s.c.record_id, s.c.prop, s.c.value).join(r, r.c.id == s.c.record_id)
             .where(r.c.case_id == case_id, r.c.schema == schema, s.c.prop.in_(list(props)),
                    s.c.value.is_not(None)).execution_options(yield_per=50_000))
    for record, prop, value in conn.execute(query):
        out[int(record)].setdefault(prop, value)
    return out


def _ends(values: dict[str, str]) -> tuple[str | None, str | None]:
    """Caller and called: given outright (a CDR), or from the target, the other side and the
    direction (a seized phone's call log)."""
    a, b = values.get("a_number"), values.get("b_number")
    if a and b:
        return a, b
    target, other = values.get("target"), values.get("other_number")
    if target and other:
        return (other, target) if values.get("direction") == "incoming" else (target, other)
    return None, None


@dataclass
class CommsFrame:
    db: duckdb.DuckDBPyConnection
    case_id: int

    def __enter__(self) -> CommsFrame:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the frame (and of the case's bulk file, which a load needs to itself)."""
        self.db.close()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, params or []).fetchall()

    def count(self, table: str) -> int:
        if table not in TABLES:
            raise ValueError(f"no table {table!r} in the comms frame")
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]  # noqa: S608


def _calls_and_observations(conn: Connection, case_id: int, wanted: bool = True) -> tuple[pa.Table, pa.Table]:
    calls: dict[tuple[Any, ...], list[int]] = {}
    kinds: dict[tuple[Any, ...], str] = {}
    obs: dict[str, list[Any]] = {k: [] for k in ("record_id", "target", "other", "at", "imei", "imsi",
                                                   "cell_start", "cell_end")}
    for schema, props in (("Call", CALL_PROPS), ("Message", MESSAGE_PROPS)) if wanted else ():
        for record, values in _pivot(conn, case_id, schema, props).items():
            at = parse_when(values.get("date"))
            a, b = (values.get("sender"), values.get("recipient")) if schema == "Message" else _ends(values)
            if at is None or not a or not b:
                continue
            duration = _number(values.get("duration"))
            key = (a, b, at, duration if duration is not None else -1.0)
            calls.setdefault(key, []).append(record)
            kinds.setdefault(key, "message" if schema == "Message" else values.get("call_type") or "voice")
            if target := values.get("target"):
                obs["record_id"].append(record)
                obs["target"].append(target)
                obs["other"].append(b if a == target else a)
                obs["at"].append(at)
                for prop in ("imei", "imsi", "cell_start", "cell_end"):
                    obs[prop].append(values.get(prop))
    keys = list(calls)
    call_table = pa.table({
        "call_id": pa.array(range(1, len(keys) + 1), pa.int64()),
        "a": pa.array([k[0] for k in keys], pa.string()),
        "b": pa.array([k[1] for k in keys], pa.string()),
        "kind": pa.array([kinds[k] for k in keys], pa.string()),
        "at": pa.array([k[2] for k in keys], pa.timestamp("s")),
        "duration": pa.array([k[3] if k[3] >= 0 else None for k in keys], pa.float64()),
        "records": pa.array([sorted(calls[k]) for k in keys], pa.list_(pa.int64())),
    })
    obs_table = pa.table({k: pa.array(v, pa.timestamp("s") if k == "at" else
                                      pa.int64() if k == "record_id" else pa.string())
                          for k, v in obs.items()})
    return call_table, obs_table


def _contacts(conn: Connection, case_id: int) -> pa.Table:
    lk, s = tables.links, tables.statements
    rows = conn.execute(select(lk.c.to_record_id, lk.c.from_record_id, lk.c.properties).where(
        lk.c.case_id == case_id, lk.c.type == "saved-contact")).all()
    numbers = {int(r): v for r, v in conn.execute(select(s.c.record_id, s.c.value).where(
        s.c.prop == "number", s.c.value.is_not(None),
        s.c.record_id.in_([x for row in rows for x in (int(row[0]), int(row[1]))])))}
    out: dict[str, list[Any]] = {"record_id": [], "owner": [], "number": [], "saved_name": []}
    for contact, owner, properties in rows:
        if int(contact) in numbers and int(owner) in numbers:
            out["record_id"].append(int(contact))
            out["owner"].append(numbers[int(owner)])
            out["number"].append(numbers[int(contact)])
            out["saved_name"].append(json.loads(properties or "{}").get("saved_name"))
    return pa.table({k: pa.array(v, pa.int64() if k == "record_id" else pa.string()) for k, v in out.items()})


def _cells(conn: Connection, case_id: int) -> pa.Table:
    found = _pivot(conn, case_id, "CellSite", ("cell_id", "name", "latitude", "longitude", "azimuth", "postcode"))
    rows = [v for v in found.values() if v.get("cell_id")]
    return pa.table({
        "cell_id": pa.array([v["cell_id"] for v in rows], pa.string()),
        "name": pa.array([v.get("name") for v in rows], pa.string()),
        "latitude": pa.array([_number(v.get("latitude")) for v in rows], pa.float64()),
        "longitude": pa.array([_number(v.get("longitude")) for v in rows], pa.float64()),
        "azimuth": pa.array([_number(v.get("azimuth")) for v in rows], pa.float64()),
        "postcode": pa.array([v.get("postcode") for v in rows], pa.string()),
    })


def _anpr(conn: Connection, case_id: int) -> pa.Table:
    found = _pivot(conn, case_id, "AnprRead", ("vrm", "date", "camera", "address", "postcode"))
    rows = [(r, v) for r, v in found.items() if v.get("vrm") and parse_when(v.get("date"))]
    return pa.table({
        "record_id": pa.array([r for r, _ in rows], pa.int64()),
        "vrm": pa.array([v["vrm"] for _, v in rows], pa.string()),
        "at": pa.array([parse_when(v["date"]) for _, v in rows], pa.timestamp("s")),
        "camera": pa.array([v.get("camera") for _, v in rows], pa.string()),
        "place": pa.array([v.get("address") for _, v in rows], pa.string()),
        "postcode": pa.array([v.get("postcode") for _, v in rows], pa.string()),
    })


def load_frame(conn: Connection, case_id: int, only: tuple[str, ...] = TABLES,
               bulk: CallStore | None = None) -> CommsFrame:
    """The case's communications data in an in-memory DuckDB (a derived copy); ``only`` names
    the tables wanted (the others are left empty), e.g. ANPR alone for the network. With
    ``bulk``, the CDRs ``lantern calls load`` kept for the case join the store's calls."""
    db = analytics.connect()
    calls, observations = _calls_and_observations(conn, case_id, wanted="calls" in only or "observations" in only)
    loaders = {"contacts": _contacts, "cells": _cells, "anpr": _anpr}
    found = {"calls": calls, "observations": observations}
    for name in ("contacts", "cells", "anpr"):
        found[name] = loaders[name](conn, case_id) if name in only else loaders[name](conn, -1)
    path = bulk.existing(case_id) if bulk is not None and ("calls" in only or "observations" in only) else None
    for name, table in found.items():
        db.register(f"{name}_arrow", table)
        stored = f"store_{name}" if path is not None and name in ("calls", "observations") else name
        db.execute(f"CREATE TABLE {stored} AS SELECT * FROM {name}_arrow")  # noqa: S608 - fixed names
        db.unregister(f"{name}_arrow")
    if path is not None:
        _join_bulk(db, path, vouched_files(conn, case_id))
    else:
        db.execute("CREATE INDEX calls_a ON calls(a)")
        db.execute("CREATE INDEX calls_b ON calls(b)")
    return CommsFrame(db, case_id)


def _join_bulk(db: duckdb.DuckDBPyConnection, path: Path, files: list[int]) -> None:
    """``calls`` and ``observations`` as views over the bulk file and the store's rows: a call
    in both (a CDR row and a seized phone's log) is one row with the records of both."""
    try:
        db.execute(f"ATTACH {_quoted(str(path))} AS bulk (READ_ONLY)")
    except duckdb.Error as exc:
        raise LanternError(f"{path}: cannot read the case's bulk calls ({exc})") from None
    loaded = {int(f) for (f,) in db.execute("SELECT file_no FROM bulk.cdr_files").fetchall()}
    calls, observations = "bulk.calls", "bulk.observations"
    if orphans := sorted(loaded - set(files)):  # files no source vouches for: leave them out
        listed = "[" + ", ".join(str(int(f)) for f in orphans) + "]"
        outside = f"NOT list_contains({listed}, r // {ROW_STRIDE})"
        db.execute(f"""CREATE TEMP VIEW bulk_calls AS
            SELECT * REPLACE (list_filter(records, lambda r: {outside}) AS records) FROM bulk.calls
            WHERE len(list_filter(records, lambda r: {outside})) > 0""")  # noqa: S608 - integers
        db.execute(f"""CREATE TEMP VIEW bulk_observations AS SELECT * FROM bulk.observations
            WHERE NOT list_contains({listed}, record_id // {ROW_STRIDE})""")  # noqa: S608 - integers
        calls, observations = "bulk_calls", "bulk_observations"
    # The store's calls (few) are matched to the bulk ones once; the views then only scan.
    db.execute(f"""CREATE TABLE store_matched AS
        SELECT s.*, b.call_id AS bulk_id
        FROM store_calls s LEFT JOIN {calls} b
          ON b.a = s.a AND b.b = s.b AND b."at" = s."at" AND b.duration IS NOT DISTINCT FROM s.duration""")  # noqa: S608
    db.execute("""CREATE TABLE store_records AS
        SELECT bulk_id, list_sort(flatten(list(records))) AS records FROM store_matched
        WHERE bulk_id IS NOT NULL GROUP BY bulk_id""")
    db.execute(f"""CREATE VIEW calls AS
        SELECT b.call_id, b.a, b.b, b.kind, b."at", b.duration,
               CASE WHEN m.records IS NULL THEN b.records ELSE list_sort(b.records || m.records) END AS records
        FROM {calls} b LEFT JOIN store_records m ON m.bulk_id = b.call_id
        UNION ALL
        SELECT call_id, a, b, kind, "at", duration, records FROM store_matched WHERE bulk_id IS NULL""")  # noqa: S608
    union = f"SELECT * FROM {observations} UNION ALL SELECT * FROM store_observations"  # noqa: S608 - fixed names
    db.execute(f"CREATE VIEW observations AS {union}")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

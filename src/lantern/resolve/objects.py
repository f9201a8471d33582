"""Deterministic resolution of objects and places on their cleaned keys.

A phone is its E.164 number (or, without one, its handset's IMEI), a vehicle its VRM, an
account its handle or email, a cell site its cell id, a location its postcode with the
normalised address. Values were cleaned by their property types at ingest, so "07700 900123"
and "+44 7700 900123" are already one key. A record without a key stays on its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from lantern.store import tables

ALGORITHM_VERSION = "lantern-keys-v2"
_WORDS = re.compile(r"[a-z0-9]+")

# schema -> the properties whose cleaned values, in order of preference, identify it
KEYS: dict[str, tuple[str, ...]] = {
    "Phone": ("number", "imei", "imsi"),
    "Handset": ("imei",),
    "Sim": ("imsi",),
    "Vehicle": ("vrm",),
    "Account": ("handle", "email"),
    "CellSite": ("cell_id",),
}


@dataclass(frozen=True)
class ObjectRun:
    schema: str
    records: int
    entities: int
    run_id: int = 0


def _address_words(address: str) -> str:
    """Lower case, accents and punctuation dropped, numbers kept: 1 and 12 Brook Row differ."""
    plain = unicodedata.normalize("NFKD", address.casefold())
    return " ".join(_WORDS.findall("".join(ch for ch in plain if not unicodedata.combining(ch))))


def _location_key(values: dict[str, str]) -> str | None:
    postcode, address = values.get("postcode"), values.get("address")
    if postcode and address:
        return f"{postcode}|{_address_words(address)}"
    return None


def keyer(schema: str) -> Callable[[dict[str, str]], str | None]:
    if schema == "Location":
        return _location_key
    props = KEYS[schema]

    def key(values: dict[str, str]) -> str | None:
        for prop in props:
            if values.get(prop):
                return f"{prop}:{values[prop]}"
        return None

    return key


def resolve_objects(conn: Connection, case_id: int, schema: str) -> dict[int, str]:
    """record id -> entity id for every record of ``schema`` in the case."""
    r, s = tables.records, tables.statements
    wanted = KEYS.get(schema, ("postcode", "address"))
    query = (select(r.c.id, s.c.prop, s.c.value)
             .outerjoin(s, (s.c.record_id == r.c.id) & s.c.prop.in_(wanted) & s.c.value.is_not(None))
             .where(r.c.case_id == case_id, r.c.schema == schema).order_by(r.c.id)
             .execution_options(yield_per=10_000))
    values: dict[int, dict[str, str]] = {}
    for row in conn.execute(query):
        found = values.setdefault(int(row.id), {})
        if row.prop is not None:
            found.setdefault(row.prop, row.value)
    make_key = keyer(schema)
    prefix = schema.lower()
    return {record: f"{prefix}:{key}" if (key := make_key(v)) else f"{prefix}:record:{record}"
            for record, v in values.items()}


OBJECT_SCHEMAS = (*KEYS, "Location")

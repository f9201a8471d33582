"""Who was where, and with whom: phones seen near a phone, vehicles travelling together, and
vehicles near where a missing child was (or was found) while they were missing.

Each finding is a lead, not proof: it carries its reason as text and the record ids that
support it, so an analyst can open the CDR rows and ANPR reads behind it. Cell-site
co-location is coarse (a cell covers hundreds of metres to kilometres) and ANPR places a
vehicle only at a camera, so the rules below are deliberately simple and stated in full.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, select

from lantern.comms.frame import CommsFrame, parse_when
from lantern.comms.phones import clean_number
from lantern.model.types import DEFAULT_OPTIONS, property_type
from lantern.store import tables

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
EVIDENCE_SAMPLE = 20  # record ids kept per side of a finding
DEFAULT_EPISODE = timedelta(hours=24)  # a missing episode with no end date

# Great-circle distance between cells a and b in km, in DuckDB SQL (haversine).
_HAVERSINE = (
    f"2 * {EARTH_RADIUS_KM} * asin(sqrt(least(1.0,"
    " pow(sin(radians(b.latitude - a.latitude) / 2), 2)"
    " + cos(radians(a.latitude)) * cos(radians(b.latitude))"
    " * pow(sin(radians(b.longitude - a.longitude) / 2), 2))))"
)
# A postcode's outward code (the part before the space), from any spacing or case.
_OUTWARD_SQL = ("CASE WHEN length(replace(upper(a.postcode), ' ', '')) > 3 THEN"
                " left(replace(upper(a.postcode), ' ', ''), length(replace(upper(a.postcode), ' ', '')) - 3)"
                " END")
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?[0-9][A-Z]{2}\b", re.IGNORECASE)


@dataclass(frozen=True)
class CoLocation:
    """Another phone seen on the same or a nearby cell close in time to the phone asked about."""

    number: str
    occasions: int  # distinct times the other phone was seen near
    on_calls: int  # of those, times it was on a call or message with the phone asked about
    first: datetime
    last: datetime
    cells: tuple[str, ...]  # the other phone's cells on those occasions
    evidence: tuple[int, ...]  # CDR record ids, both phones' (a sample)
    reason: str


@dataclass(frozen=True)
class Convoy:
    """Two vehicles read by the same camera minutes apart on more than one day."""

    vrm_a: str
    vrm_b: str
    occasions: int  # distinct days
    cameras: tuple[str, ...]
    dates: tuple[date, ...]
    evidence: tuple[int, ...]  # ANPR record ids
    reason: str


@dataclass(frozen=True)
class VehicleWhileMissing:
    """A vehicle read near where a child went missing from or was found, while they were missing."""

    vrm: str
    person_record: int | None  # the child's Person record (reported-missing link)
    episode_record: int
    reference: str | None
    start: datetime
    end: datetime
    outward: str  # the postcode district the camera and the place share
    cameras: tuple[str, ...]
    reads: tuple[int, ...]  # ANPR record ids
    evidence: tuple[int, ...]  # reads, episode, person, and the record that gave the postcode
    reason: str


def co_located(frame: CommsFrame, number: str, *, minutes: float = 30, km: float = 1.0) -> list[CoLocation]:
    """Other phones seen on the same cell, or a cell within ``km`` (great-circle distance
    between the masts), within ``minutes`` either side of one of ``number``'s own CDR rows;
    start and end cells both count. Ranked by occasions (distinct times the other was seen),
    then by fewest calls between the two: being on a call with each other puts both phones in
    the CDRs at that moment, so ``on_calls`` says how much of the co-location that explains."""
    number = clean_number(number)
    seconds = round(minutes * 60)
    rows = frame.rows(
        f"""
        WITH seen AS (
            SELECT record_id, target, other, "at", cell_start AS cell FROM observations
            WHERE cell_start IS NOT NULL
            UNION
            SELECT record_id, target, other, "at", cell_end FROM observations WHERE cell_end IS NOT NULL
        ), near AS (
            SELECT DISTINCT cell AS c1, cell AS c2 FROM seen
            UNION
            SELECT a.cell_id, b.cell_id FROM cells a JOIN cells b ON a.cell_id <> b.cell_id
            WHERE {_HAVERSINE} <= ?
        ), mine AS (
            SELECT * FROM seen WHERE target = ?
        ), hits AS (
            SELECT t.target AS phone, t."at", t.cell, t.record_id AS theirs, m.record_id AS own,
                   t.other = m.target AS on_call
            FROM mine m
            JOIN seen t ON t.target <> m.target
                AND t."at" BETWEEN m."at" - to_seconds(CAST(? AS BIGINT))
                               AND m."at" + to_seconds(CAST(? AS BIGINT))
            JOIN near n ON n.c1 = m.cell AND n.c2 = t.cell
        )
        SELECT phone, count(DISTINCT "at"), count(DISTINCT "at") FILTER (WHERE on_call), min("at"), max("at"),
               list_sort(list(DISTINCT cell)), list_sort(list(DISTINCT theirs)), list_sort(list(DISTINCT own))
        FROM hits GROUP BY phone ORDER BY 2 DESC, 3, phone
        """,  # noqa: S608 - the interpolated SQL is a module constant; values are parameters
        [km, number, seconds, seconds],
    )
    out = []
    for phone, occasions, on_calls, first, last, cells, theirs, own in rows:
        evidence = tuple(sorted({*theirs[:EVIDENCE_SAMPLE], *own[:EVIDENCE_SAMPLE]}))
        calls = f" ({on_calls} of them calls or messages between the two)" if on_calls else ""
        out.append(CoLocation(
            phone, occasions, on_calls, first, last, tuple(cells), evidence,
            f"{phone} seen {_times(occasions)}{calls} within {minutes:g} min and {km:g} km "
            f"of {number}, {first:%Y-%m-%d} to {last:%Y-%m-%d}, on cells {', '.join(cells)}"))
    return out


def travelling_together(frame: CommsFrame, *, minutes: float = 5, min_occasions: int = 2) -> list[Convoy]:
    """Pairs of vehicles read by the same camera within ``minutes`` of each other on at least
    ``min_occasions`` days. An occasion is a day (that of the earlier read), so one pass read
    twice, or two passes the same day, count once: a single coincidence is common, a repeated
    one is not. Ranked by occasions."""
    seconds = round(minutes * 60)
    rows = frame.rows(
        """
        WITH reads AS (
            SELECT record_id, vrm, "at", camera FROM anpr WHERE camera IS NOT NULL AND vrm IS NOT NULL
        ), pairs AS (
            SELECT a.vrm AS vrm_a, b.vrm AS vrm_b, a.camera, CAST(least(a."at", b."at") AS DATE) AS day,
                   a.record_id AS ra, b.record_id AS rb
            FROM reads a JOIN reads b ON a.camera = b.camera AND a.vrm < b.vrm
                AND b."at" BETWEEN a."at" - to_seconds(CAST(? AS BIGINT))
                               AND a."at" + to_seconds(CAST(? AS BIGINT))
        )
        SELECT vrm_a, vrm_b, count(DISTINCT day) AS occasions, list_sort(list(DISTINCT camera)),
               list_sort(list(DISTINCT day)), list_sort(list_distinct(list(ra) || list(rb)))
        FROM pairs GROUP BY vrm_a, vrm_b HAVING count(DISTINCT day) >= ?
        ORDER BY occasions DESC, vrm_a, vrm_b
        """,
        [seconds, seconds, min_occasions],
    )
    return [Convoy(a, b, n, tuple(cameras), tuple(days), tuple(reads),
                   f"{a} and {b} read by the same camera within {minutes:g} min of each other on "
                   f"{n} day{'s' if n != 1 else ''} ({', '.join(f'{d:%Y-%m-%d}' for d in days)}) "
                   f"at {', '.join(cameras)}")
            for a, b, n, cameras, days, reads in rows]


def _outward(postcode: str | None) -> str | None:
    """The district (outward code) of a postcode, cleaned as the store cleans postcodes."""
    cleaned = property_type("postcode").clean(postcode or "", DEFAULT_OPTIONS).value
    return cleaned.split()[0] if cleaned else None


def _address_key(address: str) -> str:
    return " ".join(address.replace(",", " , ").split()).lower().replace(" ,", ",")


def _known_postcodes(conn: Connection, case_id: int) -> dict[str, tuple[str, int]]:
    """Addresses the store holds with a postcode (premises, people, stops...): address to
    (outward code, the record saying so), keeping only addresses with one outward code."""
    r, s = tables.records, tables.statements
    held: dict[int, dict[str, str]] = defaultdict(dict)
    query = (select(s.c.record_id, s.c.prop, s.c.value).join(r, r.c.id == s.c.record_id)
             .where(r.c.case_id == case_id, s.c.prop.in_(["address", "postcode"]), s.c.value.is_not(None)))
    for record, prop, value in conn.execute(query):
        held[int(record)].setdefault(prop, value)
    found: dict[str, set[str]] = defaultdict(set)
    first: dict[str, int] = {}
    for record, values in sorted(held.items()):
        outward = _outward(values.get("postcode"))
        if outward and values.get("address"):
            key = _address_key(values["address"])
            found[key].add(outward)
            first.setdefault(key, record)
    return {key: (next(iter(codes)), first[key]) for key, codes in found.items() if len(codes) == 1}


def _place_outward(text: str | None, known: dict[str, tuple[str, int]]) -> tuple[str, int | None] | None:
    """The outward code of a place: a postcode written in it, else the postcode the store holds
    for the same address (the longest trailing part of it that is a known address: "Pizza
    Plaza, 17 Brook Row, Holmford" is found as "17 Brook Row, Holmford")."""
    if not text:
        return None
    if match := _POSTCODE_IN_TEXT.search(text):
        return match.group(1).upper(), None
    parts = _address_key(text).split(", ")
    for n in range(len(parts) - 1):  # at least two parts: a town alone says too little
        if hit := known.get(", ".join(parts[n:])):
            return hit
    return None


@dataclass(frozen=True)
class _Area:
    """One place to watch during one episode: its outward code, how it was found and the
    record that gave the postcode (None when the postcode was written in the text itself)."""

    episode: int
    start: datetime
    end: datetime
    outward: str
    how: str
    source: int | None


def _episode_areas(record: int, values: dict[str, str], known: dict[str, tuple[str, int]]) -> list[_Area]:
    """Where to look during one episode: where the child was found, and the episode's own
    address, each by outward code; nothing when the episode has no usable start."""
    start = parse_when(values.get("date"))
    if start is None:
        return []
    end = max(start, parse_when(values.get("end_date")) or start + DEFAULT_EPISODE)
    places: dict[str, tuple[str, int | None]] = {}
    if found := _place_outward(values.get("found_location"), known):
        places[found[0]] = (f"found at {values['found_location']!r}", found[1])
    own = _outward(values.get("postcode"))
    home = (own, None) if own else _place_outward(values.get("address"), known)
    if home and home[0] not in places:
        places[home[0]] = (f"episode address {values.get('address') or values.get('postcode')!r}", home[1])
    return [_Area(record, start, end, code, how, source) for code, (how, source) in places.items()]


def vehicles_near_premises_while_missing(conn: Connection, frame: CommsFrame,
                                         case_id: int) -> list[VehicleWhileMissing]:
    """Vehicles read during a missing episode (``date`` to ``end_date``, or 24 hours if it has
    none) by a camera in the same postcode district (outward code) as where the child was found
    or the episode's own address. One row per episode and vehicle, most reads first. A vehicle
    repeatedly near where a child turns up is a question to ask; one read is not an answer."""
    r, s, lk = tables.records, tables.statements, tables.links
    episodes: dict[int, dict[str, str]] = defaultdict(dict)
    query = (select(s.c.record_id, s.c.prop, s.c.value).join(r, r.c.id == s.c.record_id)
             .where(r.c.case_id == case_id, r.c.schema == "MissingEpisode",
                    s.c.prop.in_(["date", "end_date", "found_location", "address", "postcode", "reference"]),
                    s.c.value.is_not(None)))
    for record, prop, value in conn.execute(query):
        episodes[int(record)].setdefault(prop, value)
    children: dict[int, int] = {}
    for person, episode in conn.execute(select(lk.c.from_record_id, lk.c.to_record_id).where(
            lk.c.case_id == case_id, lk.c.type == "reported-missing").order_by(lk.c.id)):
        children.setdefault(int(episode), int(person))
    known = _known_postcodes(conn, case_id)
    areas = [a for record, values in sorted(episodes.items()) for a in _episode_areas(record, values, known)]
    if not areas:
        return []
    rows = frame.rows(
        f"""
        WITH areas AS (
            SELECT unnest(?) AS i, unnest(?) AS start, unnest(?) AS stop, unnest(?) AS outward
        )
        SELECT e.i, a.vrm, list(a.record_id ORDER BY a."at", a.record_id), list_sort(list(DISTINCT a.camera))
        FROM areas e JOIN anpr a ON a."at" BETWEEN e.start AND e.stop AND {_OUTWARD_SQL} = e.outward
        WHERE a.vrm IS NOT NULL
        GROUP BY e.i, a.vrm ORDER BY count(*) DESC, min(e.start), a.vrm
        """,  # noqa: S608 - the interpolated SQL is a module constant; values are parameters
        [list(range(len(areas))), [a.start for a in areas], [a.end for a in areas],
         [a.outward for a in areas]],
    )
    out = []
    for i, vrm, reads, cameras in rows:
        area = areas[i]
        person = children.get(area.episode)
        reference = episodes[area.episode].get("reference")
        evidence = {*reads, area.episode, *(x for x in (person, area.source) if x is not None)}
        source = f", postcode from record {area.source}" if area.source is not None else ""
        child = f"Person record {person}" if person is not None else "a child with no linked Person record"
        out.append(VehicleWhileMissing(
            vrm, person, area.episode, reference, area.start, area.end, area.outward, tuple(cameras),
            tuple(reads), tuple(sorted(evidence)),
            f"{vrm} read {_times(len(reads))} at {', '.join(cameras)} in {area.outward} between "
            f"{area.start:%Y-%m-%d %H:%M} and {area.end:%Y-%m-%d %H:%M} while {child} was missing "
            f"(episode {reference or area.episode}); {area.how} ({area.outward}{source})"))
    return out


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"

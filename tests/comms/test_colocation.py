"""Co-location, vehicles travelling together and vehicles near a missing child: the exact window
and distance rules on small hand-built frames and stores, then the demo scenario's planted
groups (ground truth in scenario/truth) found by each."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import insert

from lantern.comms.colocation import (
    EARTH_RADIUS_KM,
    co_located,
    travelling_together,
    vehicles_near_premises_while_missing,
)
from lantern.comms.frame import CommsFrame, load_frame
from lantern.store import Workspace, tables

T0 = datetime(2024, 3, 1, 20, 0, 0)
A, B, C, D, E, F, G, H = (f"+4477009000{i:02d}" for i in range(1, 9))


# ---- hand-built frames and stores ---------------------------------------------------------


def _frame(observations=(), cells=(), anpr=()) -> CommsFrame:
    """A frame with the same tables and columns as load_frame builds, filled by hand."""
    db = duckdb.connect()
    db.execute("CREATE TABLE calls (call_id BIGINT, a VARCHAR, b VARCHAR, kind VARCHAR, "
               '"at" TIMESTAMP_S, duration DOUBLE, records BIGINT[])')
    db.execute('CREATE TABLE observations (record_id BIGINT, target VARCHAR, other VARCHAR, "at" TIMESTAMP_S, '
               "imei VARCHAR, imsi VARCHAR, cell_start VARCHAR, cell_end VARCHAR)")
    db.execute("CREATE TABLE contacts (record_id BIGINT, owner VARCHAR, number VARCHAR, saved_name VARCHAR)")
    db.execute("CREATE TABLE cells (cell_id VARCHAR, name VARCHAR, latitude DOUBLE, longitude DOUBLE, "
               "azimuth DOUBLE, postcode VARCHAR)")
    db.execute('CREATE TABLE anpr (record_id BIGINT, vrm VARCHAR, "at" TIMESTAMP_S, camera VARCHAR, '
               "place VARCHAR, postcode VARCHAR)")
    for row in observations:
        db.execute("INSERT INTO observations VALUES (?, ?, ?, ?, NULL, NULL, ?, ?)", list(row))
    for row in cells:
        db.execute("INSERT INTO cells VALUES (?, ?, ?, ?, 0, NULL)", list(row))
    for row in anpr:
        db.execute("INSERT INTO anpr VALUES (?, ?, ?, ?, NULL, ?)", list(row))
    return CommsFrame(db, 1)


def _north(lat: float, km: float) -> float:
    """The latitude ``km`` due north of ``lat`` on the haversine sphere (exact on a meridian)."""
    return lat + math.degrees(km / EARTH_RADIUS_KM)


def _cells():
    return [("C0", "here", 52.0, -1.0), ("NEAR", "0.99 km north", _north(52.0, 0.99), -1.0),
            ("FAR", "1.01 km north", _north(52.0, 1.01), -1.0)]


def test_co_location_window_and_distance_are_exact_at_the_edges():
    m30 = timedelta(minutes=30)
    obs = [
        (1, A, H, T0, "C0", "C0"),                    # A's own rows
        (2, A, H, T0 + timedelta(hours=5), "X9", "X9"),  # a cell with no coordinates
        (10, B, "+447700900099", T0 + m30, "C0", "C0"),  # exactly 30 min after: in
        (11, B, "+447700900098", T0 + m30, "C0", "C0"),  # same time again: one occasion
        (12, B, "+447700900097", T0 + timedelta(minutes=10), "NEAR", "NEAR"),  # second occasion
        (20, C, "+447700900099", T0 + m30 + timedelta(seconds=1), "C0", "C0"),  # 1 s too late
        (30, D, "+447700900099", T0 - m30, "NEAR", "NEAR"),  # 30 min before, 0.99 km: in
        (40, E, "+447700900099", T0, "FAR", "FAR"),          # 1.01 km: out
        (50, F, "+447700900099", T0, "FAR", "NEAR"),         # the end cell is near: in
        (60, G, "+447700900099", T0 + timedelta(hours=5, minutes=5), "X9", "X9"),  # same cell
        (70, H, A, T0, "C0", "C0"),                           # on a call with A
        (80, B, "+447700900099", T0 + timedelta(hours=5), "NEAR", "NEAR"),  # near X9? unknown: out
    ]
    frame = _frame(obs, _cells())
    found = co_located(frame, A)
    by = {c.number: c for c in found}
    print("hand-built co-location:", [(c.number, c.occasions, c.on_calls) for c in found])
    assert set(by) == {B, D, F, G, H}
    assert found[0].number == B and by[B].occasions == 2 and by[B].on_calls == 0
    assert (by[B].first, by[B].last) == (T0 + timedelta(minutes=10), T0 + m30)
    assert by[B].cells == ("C0", "NEAR") and by[F].cells == ("NEAR",)  # the cells that were near
    assert set(by[B].evidence) == {1, 10, 11, 12} and set(by[G].evidence) == {2, 60}
    assert by[H].on_calls == 1 and "1 of them calls or messages" in by[H].reason
    assert all(c.occasions == 1 for c in found[1:])
    # The window and the distance are parameters, and the edges move with them.
    assert C in {c.number for c in co_located(frame, A, minutes=30.5)}
    assert E in {c.number for c in co_located(frame, A, km=1.02)}
    assert D not in {c.number for c in co_located(frame, A, km=0.98)}
    assert {c.number for c in co_located(frame, A, minutes=0)} == {F, H}
    # However the number is written, it is the same phone.
    assert co_located(frame, "07700 900001") == found
    assert co_located(frame, "+447700900050") == []


def test_travelling_together_counts_days_at_one_camera_within_the_window():
    day1, day2, day3 = datetime(2024, 1, 1), datetime(2024, 1, 2), datetime(2024, 1, 3)
    reads = [
        (1, "P", day1 + timedelta(hours=10), "CAM1", "QA1 0AA"),
        (2, "P", day1 + timedelta(hours=10, minutes=1), "CAM1", "QA1 0AA"),  # the same pass, read twice
        (3, "Q", day1 + timedelta(hours=10, minutes=5), "CAM1", "QA1 0AA"),  # exactly 5 min: in
        (4, "P", day2 + timedelta(hours=20), "CAM2", "QA2 0AA"),
        (5, "Q", day2 + timedelta(hours=19, minutes=56), "CAM2", "QA2 0AA"),
        (10, "R", day1 + timedelta(hours=12), "CAM3", "QA3 0AA"),
        (11, "S", day1 + timedelta(hours=12, minutes=5, seconds=1), "CAM3", "QA3 0AA"),  # 1 s too late
        (12, "R", day2 + timedelta(hours=12), "CAM3", "QA3 0AA"),
        (13, "S", day2 + timedelta(hours=12), "CAM4", "QA4 0AA"),  # same time, another camera
        (14, "R", day3 + timedelta(hours=12), "CAM3", "QA3 0AA"),
        (15, "S", day3 + timedelta(hours=12, minutes=1), "CAM3", "QA3 0AA"),  # one occasion only
        (20, "T", day1 + timedelta(hours=7), "CAM5", "QA5 0AA"),
        (21, "U", day1 + timedelta(hours=7), "CAM5", "QA5 0AA"),
        (22, "T", day1 + timedelta(hours=18), "CAM6", "QA6 0AA"),  # a second pass the same day
        (23, "U", day1 + timedelta(hours=18), "CAM6", "QA6 0AA"),
        (30, "V", day1 + timedelta(hours=23, minutes=58), "CAM7", "QA7 0AA"),
        (31, "W", day2 + timedelta(minutes=2), "CAM7", "QA7 0AA"),  # across midnight: day 1
        (32, "V", day3 + timedelta(hours=9), "CAM7", "QA7 0AA"),
        (33, "W", day3 + timedelta(hours=9, minutes=4), "CAM7", "QA7 0AA"),
    ]
    frame = _frame(anpr=reads)
    found = travelling_together(frame)
    print("hand-built convoys:", [(c.vrm_a, c.vrm_b, c.occasions) for c in found])
    assert [(c.vrm_a, c.vrm_b, c.occasions) for c in found] == [("P", "Q", 2), ("V", "W", 2)]
    pq, vw = found
    assert pq.cameras == ("CAM1", "CAM2") and pq.dates == (date(2024, 1, 1), date(2024, 1, 2))
    assert pq.evidence == (1, 2, 3, 4, 5)
    assert vw.dates == (date(2024, 1, 1), date(2024, 1, 3)) and vw.evidence == (30, 31, 32, 33)
    assert "2 days" in pq.reason and "CAM1, CAM2" in pq.reason
    once = {(c.vrm_a, c.vrm_b): c.occasions for c in travelling_together(frame, min_occasions=1)}
    assert once == {("P", "Q"): 2, ("V", "W"): 2, ("R", "S"): 1, ("T", "U"): 1}
    wider = {(c.vrm_a, c.vrm_b) for c in travelling_together(frame, minutes=5.02)}
    assert ("R", "S") in wider  # 5 min 1 s apart on day 1, 1 min apart on day 3


def _store(tmp_path: Path) -> Workspace:
    """A real workspace (migrated) holding three missing episodes, a child for two of them and a
    premises record whose postcode places the first found location."""
    ws = Workspace(str(tmp_path / "hand.db"))
    ws.init()
    statements = {
        10: ("Person", {"name": "Child One"}),
        11: ("MissingEpisode", {"reference": "MP/1", "date": "2024-03-01T20:00:00",
                                "end_date": "2024-03-02T08:00:00",
                                "found_location": "Pizza Plaza, 17 Brook Row, Holmford"}),
        12: ("Location", {"name": "Pizza Plaza", "address": "17 Brook Row, Holmford", "postcode": "QA1 0AB"}),
        20: ("Person", {"name": "Child Two"}),
        21: ("MissingEpisode", {"reference": "MP/2", "date": "2024-04-01T20:00:00",
                                "found_location": "Town centre, QA10 1XY"}),  # no end: 24 hours
        31: ("MissingEpisode", {"reference": "MP/3", "date": "2024-05-01T10:00:00",
                                "end_date": "2024-05-01T12:00:00", "postcode": "QB2 0CD",
                                "found_location": "Grandparent's address"}),
    }
    with ws.writer() as conn:
        conn.execute(insert(tables.sources).values(
            id=1, case_id=1, file_name="hand.csv", file_path="hand.csv", sha256="0" * 64, size_bytes=1,
            format="csv", profile_name="hand", profile_sha256="0" * 64, rows_read=6, rows_loaded=6,
            rows_quarantined=0, loaded_at=datetime(2024, 6, 1), loaded_by="test", lantern_version="0"))
        for n, (record, (schema, values)) in enumerate(statements.items()):
            conn.execute(insert(tables.records).values(
                id=record, case_id=1, source_id=1, row_number=n + 2, alias=schema.lower(), schema=schema,
                namespace="hand", source_record_id=str(record)))
            conn.execute(insert(tables.statements), [
                {"record_id": record, "prop": p, "original": v, "value": v} for p, v in values.items()])
        conn.execute(insert(tables.links), [
            {"case_id": 1, "source_id": 1, "row_number": 2, "type": "reported-missing",
             "from_record_id": 10, "to_record_id": 11},
            {"case_id": 1, "source_id": 1, "row_number": 3, "type": "reported-missing",
             "from_record_id": 20, "to_record_id": 21}])
    return ws


def test_vehicles_near_a_missing_child_use_the_episode_window_and_outward_code(tmp_path):
    ws = _store(tmp_path)
    reads = [
        (101, "ZA01AAA", datetime(2024, 3, 1, 20, 0, 0), "CAM-A01", "QA1 0ZZ"),  # at the start: in
        (102, "ZA01AAA", datetime(2024, 3, 2, 8, 0, 0), "CAM-A01", "QA1 0ZZ"),   # at the end: in
        (103, "ZA01AAA", datetime(2024, 3, 2, 8, 0, 1), "CAM-A01", "QA1 0ZZ"),   # 1 s after: out
        (104, "ZA09ZZZ", datetime(2024, 3, 1, 19, 59, 59), "CAM-A01", "QA1 0ZZ"),  # 1 s before: out
        (105, "ZA02BBB", datetime(2024, 3, 1, 21, 0, 0), "CAM-A10", "QA10 0AA"),  # QA10 is not QA1
        (106, "ZA02BBB", datetime(2024, 4, 2, 20, 0, 0), "CAM-A10", "QA10 0AA"),  # 24 h after: in
        (107, "ZA03CCC", datetime(2024, 4, 2, 20, 0, 1), "CAM-A10", "QA10 0AA"),  # 24 h 1 s: out
        (108, "ZA04DDD", datetime(2024, 4, 1, 21, 0, 0), "CAM-A01", "QA1 0ZZ"),   # QA1 is not QA10
        (109, "ZA05EEE", datetime(2024, 5, 1, 11, 0, 0), "CAM-B02", "qb20cd"),    # episode postcode
    ]
    frame = _frame(anpr=reads)
    with ws.reader() as conn:
        found = vehicles_near_premises_while_missing(conn, frame, 1)
    ws.dispose()
    print("hand-built missing:", [(v.vrm, v.episode_record, v.reads) for v in found])
    assert [(v.vrm, v.episode_record, v.person_record, v.outward, v.reads) for v in found] == [
        ("ZA01AAA", 11, 10, "QA1", (101, 102)),
        ("ZA02BBB", 21, 20, "QA10", (106,)),
        ("ZA05EEE", 31, None, "QB2", (109,)),
    ]
    first, second, third = found
    assert first.evidence == (10, 11, 12, 101, 102)  # the child, the episode, the premises, the reads
    assert first.end - first.start == timedelta(hours=12) and second.end - second.start == timedelta(hours=24)
    assert "postcode from record 12" in first.reason and "read 2 times" in first.reason
    assert third.evidence == (31, 109) and "no linked Person record" in third.reason


# ---- the demo scenario ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(comms_demo: Path) -> Path:
    return comms_demo


@pytest.fixture(scope="module")
def frame(demo: Path) -> CommsFrame:
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        loaded = load_frame(conn, 1)
    ws.dispose()
    return loaded


def _truth(demo: Path, name: str) -> list[dict[str, str]]:
    with (demo / "scenario" / "truth" / name).open() as fh:
        return list(csv.DictReader(fh))


def _vehicle_groups(demo: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for row in _truth(demo, "vehicles.csv"):
        out[row["vrm"].replace(" ", "")].add(row["group_id"])
    return out


def test_convoys_found_are_vehicles_of_one_planted_group(demo, frame):
    groups = _vehicle_groups(demo)
    found = travelling_together(frame)
    same = [c for c in found if groups.get(c.vrm_a, set()) & groups.get(c.vrm_b, set())]
    precision = len(same) / len(found) if found else 0.0
    planted = sum(len(v) * (len(v) - 1) // 2 for v in
                  _group_members(groups).values())
    print(f"convoys (5 min, 2+ days): {len(found)} pairs, {len(same)} of one planted group, "
          f"precision {precision:.2f}; {planted} same-group vehicle pairs planted")
    assert len(found) >= 5 and precision >= 0.8
    assert all(groups.get(c.vrm_a, set()) & groups.get(c.vrm_b, set()) for c in found[:5])
    # The evidence is the reads: both vehicles, the cameras and the days named.
    reads = {r: (vrm, at, cam) for r, vrm, at, cam in frame.rows('SELECT record_id, vrm, "at", camera FROM anpr')}
    for c in found:
        shown = [reads[r] for r in c.evidence]
        assert {v for v, _, _ in shown} == {c.vrm_a, c.vrm_b} and {cam for _, _, cam in shown} == set(c.cameras)
        assert len(c.dates) == c.occasions >= 2
    looser = travelling_together(frame, minutes=30)
    print(f"convoys (30 min): {len(looser)} pairs, "
          f"{sum(1 for c in looser if groups.get(c.vrm_a, set()) & groups.get(c.vrm_b, set()))} of one group")
    assert len(looser) >= len(found)


def _group_members(groups: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for vrm, gs in groups.items():
        for g in gs:
            out[g].add(vrm)
    return out


def test_co_location_of_a_group_phone_ranks_its_group_first(demo, frame):
    owners: dict[str, set[str]] = defaultdict(set)
    for row in _truth(demo, "phone_owner.csv"):
        owners[row["number"]].add(row["person_id"])
    member: dict[str, set[str]] = defaultdict(set)
    for row in _truth(demo, "groups.csv"):
        member[row["person_id"]].add(row["group_id"])
    victim = {r["person_id"]: set(r["group_ids"].split(";")) for r in _truth(demo, "victims.csv")}

    def groups_of(number: str, victims: bool) -> set[str]:
        return {g for p in owners[number] for g in member[p] | (victim.get(p, set()) if victims else set())}

    targets = [t for (t,) in frame.rows("SELECT DISTINCT target FROM observations WHERE cell_start IS NOT NULL "
                                        "ORDER BY target")]
    shown = members = circle = independent = independent_hits = asked = 0
    for number in targets:
        own = groups_of(number, victims=False)
        if not own:
            continue
        found = co_located(frame, number)
        asked += 1
        top = found[:5]
        shown += len(top)
        members += sum(bool(groups_of(c.number, False) & own) for c in top)
        circle += sum(bool(groups_of(c.number, True) & own) for c in top)
        alone = sorted((c for c in found if c.occasions > c.on_calls), key=lambda c: c.on_calls - c.occasions)[:5]
        independent += len(alone)
        independent_hits += sum(bool(groups_of(c.number, True) & own) for c in alone)
    print(f"co-location over {asked} group members' phones: top 5 hold {members}/{shown} same-group members "
          f"({members / shown:.2f}), {circle}/{shown} members or their victims ({circle / shown:.2f}); "
          f"ranked by times not on a call with each other: {independent_hits}/{independent} "
          f"({independent_hits / independent:.2f})")
    assert asked >= 30
    assert circle / shown >= 0.9 and members / shown >= 0.6
    assert independent >= 50 and independent_hits / independent >= 0.6


def test_vehicles_near_missing_children_match_the_planted_premises(demo, frame):
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        found = vehicles_near_premises_while_missing(conn, frame, 1)
        episodes: dict[int, dict[str, str]] = defaultdict(dict)
        for record, prop, value in conn.exec_driver_sql(
                "SELECT s.record_id, s.prop, s.value FROM statements s JOIN records r ON r.id = s.record_id "
                "WHERE r.schema = 'MissingEpisode'"):
            episodes[record][prop] = value
        child_of = dict(conn.exec_driver_sql(
            "SELECT to_record_id, from_record_id FROM links WHERE type = 'reported-missing'").all())
        person_source = {r: (p.split("scenario/", 1)[-1], sid) for r, sid, p in conn.exec_driver_sql(
            "SELECT r.id, r.source_record_id, s.file_path FROM records r JOIN sources s ON s.id = r.source_id "
            "WHERE r.schema = 'Person'")}
    ws.dispose()
    # Truth: where each planted premises is. An episode found at one is checked by brute force.
    premises = {f"{p['name'] + ', ' if p['name'] else ''}{p['address']}": p["postcode"].split()[0]
                for p in _truth(demo, "premises.csv")}
    reads = frame.rows('SELECT record_id, vrm, "at", postcode FROM anpr')
    at_premises, expected = set(), set()
    for record, values in episodes.items():
        outward = premises.get(values.get("found_location", ""))
        if outward is None:
            continue
        at_premises.add(record)
        start = datetime.fromisoformat(values["date"])
        end = datetime.fromisoformat(values["end_date"]) if values.get("end_date") else start + timedelta(hours=24)
        expected |= {(record, vrm) for _, vrm, at, postcode in reads
                     if start <= at <= end and postcode.split()[0] == outward}
    got = {(v.episode_record, v.vrm) for v in found if v.episode_record in at_premises}
    truth = {(r["source"], r["record_id"]): r["person_id"] for r in _truth(demo, "record_to_person.csv")}
    victims = {r["person_id"]: set(r["group_ids"].split(";")) for r in _truth(demo, "victims.csv")}
    born = {r["person_id"]: date.fromisoformat(r["dob"]) for r in _truth(demo, "people.csv")}
    groups = _vehicle_groups(demo)
    people = [truth.get(person_source.get(v.person_record, ("", ""))) for v in found]
    planted = [v for v, p in zip(found, people, strict=True) if groups.get(v.vrm, set()) & victims.get(p or "", set())]
    print(f"vehicles near missing children: {len(found)} (episode, vehicle) rows; {len(at_premises)} episodes "
          f"found at planted premises give {len(expected)} by brute force, {len(got)} found; "
          f"{len(planted)} rows are a group's vehicle while one of that group's victims was missing")
    assert expected and got == expected
    assert all(v.person_record == child_of[v.episode_record] for v in found)
    # Each row's Person record is a planted person who was a child when they went missing.
    assert all(p is not None and v.start.date() < born[p].replace(year=born[p].year + 18)
               for v, p in zip(found, people, strict=True))
    assert planted  # the planted structure shows: a group's car near its victim while missing
    for v in found:
        assert v.episode_record in v.evidence and set(v.reads) <= set(v.evidence)


def test_the_planted_cars_near_missing_children_are_found(demo, frame):
    """The generator reads a group's car near where its victim is found, during the episode,
    in 60% of such episodes (truth/missing_vehicles.csv): each one that survived the planted
    corruption is listed, against the right episode."""
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        found = vehicles_near_premises_while_missing(conn, frame, 1)
        references = {v for (v,) in conn.exec_driver_sql(
            "SELECT s.value FROM statements s JOIN records r ON r.id = s.record_id "
            "WHERE r.schema = 'MissingEpisode' AND s.prop = 'reference'")}
    ws.dispose()
    read = {(vrm, at) for vrm, at in frame.rows('SELECT vrm, strftime("at", \'%Y-%m-%d %H:%M:%S\') FROM anpr')}
    planted = [row for row in _truth(demo, "missing_vehicles.csv")
               if row["episode_ref"] in references and (row["vrm"], row["read_time"]) in read]
    listed = {(v.reference, v.vrm) for v in found}
    hits = [row for row in planted if (row["episode_ref"], row["vrm"]) in listed]
    print(f"planted cars near missing children: {len(_truth(demo, 'missing_vehicles.csv'))}, "
          f"{len(planted)} with episode and read loaded, {len(hits)} found")
    assert len(planted) >= 20
    assert len(hits) == len(planted)

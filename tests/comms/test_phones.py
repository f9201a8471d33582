"""Phone analysis against the synthetic scenario's truth, and its rules on hand-made calls."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.comms import attribution, phones
from lantern.comms.frame import CommsFrame, load_frame
from lantern.comms.switches import likely_switches
from lantern.errors import LanternError
from lantern.store import Workspace

runner = CliRunner()
T0 = datetime(2024, 3, 1, 20, 0)


def _truth(demo: Path, name: str) -> list[dict[str, str]]:
    with (demo / "scenario" / "truth" / name).open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def frame(comms_demo) -> CommsFrame:
    ws = Workspace(str(comms_demo / "lantern.db"))
    with ws.reader() as conn:
        found = load_frame(conn, 1)
    ws.dispose()
    return found


def _hand_frame(calls: list[tuple[str, str, datetime, str]]) -> CommsFrame:
    """A frame of hand-made calls (a, b, when, kind), each its own record."""
    db = duckdb.connect()
    table = pa.table({
        "call_id": list(range(1, len(calls) + 1)), "a": [c[0] for c in calls], "b": [c[1] for c in calls],
        "kind": [c[3] for c in calls], "at": pa.array([c[2] for c in calls], pa.timestamp("s")),
        "duration": pa.array([60.0] * len(calls)), "records": [[100 + i] for i in range(len(calls))]})
    db.register("hand", table)
    db.execute("CREATE TABLE calls AS SELECT * FROM hand")
    return CommsFrame(db, 1)


def test_the_frame_keeps_one_row_per_call_with_every_record_behind_it(frame):
    rows = frame.rows("SELECT count(*), sum(len(records)), max(len(records)) FROM calls")[0]
    calls, records, most = rows
    # A call between two targets shows in both providers' CDRs and in a seized phone's log.
    assert records > calls and most == 3
    duplicated = frame.rows("SELECT count(*) FROM (SELECT a, b, \"at\", duration FROM calls "
                            "GROUP BY ALL HAVING count(*) > 1)")[0][0]
    assert duplicated == 0
    assert frame.count("observations") > 0 and frame.count("contacts") > 0 and frame.count("cells") > 0


def test_common_contacts_of_each_groups_victims_are_the_groups_phones(comms_demo, frame):
    members: dict[str, set[str]] = defaultdict(set)
    for row in _truth(comms_demo, "groups.csv"):
        members[row["group_id"]].add(row["person_id"])
    numbers_of: dict[str, set[str]] = defaultdict(set)
    owners: dict[str, set[str]] = defaultdict(set)
    for row in _truth(comms_demo, "phone_owner.csv"):
        numbers_of[row["person_id"]].add(row["number"])
        owners[row["number"]].add(row["person_id"])
    hits = shown = 0
    for group, people in members.items():
        victims = [r["person_id"] for r in _truth(comms_demo, "victims.csv") if group in r["group_ids"].split(";")]
        numbers = sorted({n for v in victims for n in numbers_of[v]})
        if len(numbers) < 2:
            continue
        top = phones.common_contacts(frame, numbers, 2, 3)
        hits += sum(bool(owners[c.number] & people) for c in top)
        shown += len(top)
    print(f"common contacts of victims: {hits} of the top {shown} are their group's phones")
    assert shown >= 20 and hits >= 0.9 * shown


def test_contacts_saved_in_several_victims_phones_are_the_groups_men_first(comms_demo, frame):
    """Some victims' phones are downloaded (truth/victim_phone_contacts.csv): the numbers saved
    in two or more victims' phones, ranked first, are the group members' numbers, and each is
    linked to the person whose records give it."""
    victims = {r["person_id"] for r in _truth(comms_demo, "victims.csv")}
    victim_phones = {r["number"] for r in _truth(comms_demo, "devices.csv") if r["person_id"] in victims}
    members = {r["person_id"] for r in _truth(comms_demo, "groups.csv")}
    owners: dict[str, set[str]] = defaultdict(set)
    for row in _truth(comms_demo, "phone_owner.csv"):
        owners[row["number"]].add(row["person_id"])
    ws = Workspace(str(comms_demo / "lantern.db"))
    with ws.reader() as conn:
        found = attribution.shared_saved_contacts(conn, 1, frame)
    ws.dispose()
    in_victims = [c for c in found if len(set(c.phones) & victim_phones) >= 2]
    shared = [c for c in in_victims if owners[c.number] & members]
    print(f"victims' phones downloaded: {len(victim_phones)}; numbers saved in 2+ of them: {len(in_victims)}, "
          f"{len(shared)} a group member's; names saved: {sorted({n for c in shared for n in c.names})[:12]}")
    assert len(victim_phones) >= 10 and len(in_victims) >= 5
    assert len(shared) == len(in_victims)  # nobody else is in two victims' address books
    assert all(c.people for c in shared)  # linked to resolved people through the number
    counts = [len(c.phones) for c in found]  # saved in the most phones first
    assert counts == sorted(counts, reverse=True)
    assert {c.number for c in in_victims} <= {c.number for c in found[:sum(n >= 2 for n in counts)]}


def test_device_switches_match_the_planted_ones(comms_demo, frame):
    planted = _truth(comms_demo, "device_switches.csv")
    handsets = {(r["old_number"], r["old_imei"], r["new_imei"]) for r in planted if r["kind"] == "handset"}
    sims = {(r["old_number"], r["new_number"]) for r in planted if r["kind"] == "sim"}
    found = likely_switches(frame)
    found_handsets = {(s.old_number, s.old_device, s.new_device) for s in found if s.kind == "handset"}
    found_sims = {(s.old_number, s.new_number) for s in found if s.kind == "sim"}
    for name, truth, got in (("handset", handsets, found_handsets), ("sim", sims, found_sims)):
        precision = len(truth & got) / len(got)
        recall = len(truth & got) / len(truth)
        print(f"{name} changes: precision {precision:.2f}, recall {recall:.2f} ({len(got)} found, {len(truth)} planted)")
        assert precision >= 0.9 and recall >= 0.75
    assert all(s.reason and s.records and 0.0 <= s.overlap <= 1.0 for s in found)


def test_a_new_number_ringing_an_old_ones_contacts_is_a_likely_switch():
    friends = [f"+4477009{n:05d}" for n in range(5)]
    calls = [("+447700111111", f, T0 + timedelta(days=d), "voice") for d, f in enumerate(friends * 2)]
    calls += [("+447700222222", f, T0 + timedelta(days=20 + d), "voice") for d, f in enumerate(friends[:4])]
    calls += [("+447700333333", friends[0], T0 + timedelta(days=200), "voice")]  # keeps the data running on
    found = likely_switches_without_devices(_hand_frame(calls))
    assert [(s.kind, s.old_number, s.new_number, s.shared) for s in found] == [
        ("contacts", "+447700111111", "+447700222222", 4)]


def likely_switches_without_devices(frame: CommsFrame):
    frame.db.execute("CREATE TABLE observations (record_id BIGINT, target VARCHAR, other VARCHAR, \"at\" TIMESTAMP, "
                     "imei VARCHAR, imsi VARCHAR, cell_start VARCHAR, cell_end VARCHAR)")
    return likely_switches(frame)


def test_chains_top_contacts_and_activity_follow_their_rules():
    a, b, c, d = "+447700000001", "+447700000002", "+447700000003", "+447700000004"
    frame = _hand_frame([
        (a, b, T0, "voice"),
        (b, c, T0 + timedelta(minutes=30), "voice"),  # just inside 30 minutes: a chain
        (b, d, T0 + timedelta(minutes=31), "voice"),  # just outside: none
        (b, a, T0 + timedelta(minutes=5), "voice"),  # back to A: not a chain
        (a, c, T0 + timedelta(days=1), "message"),
        (c, a, T0 + timedelta(days=2), "sms"),
    ])
    assert [(x.a, x.b, x.c) for x in phones.chains(frame, a, 30)] == [(a, b, c)]
    top = phones.top_contacts(frame, a)
    assert [(x.number, x.calls, x.messages) for x in top] == [(b, 2, 0), (c, 0, 2)]  # ties: by number
    grid = phones.activity(frame, a)
    assert sum(map(sum, grid)) == 4 and grid[T0.weekday()][20] == 2
    with pytest.raises(LanternError):
        phones.common_contacts(frame, [a])
    assert phones.clean_number("07700 900123") == "+447700900123"
    with pytest.raises(LanternError, match="not a phone number"):
        phones.clean_number("not a number")


def test_calls_commands_hide_victims_and_are_audited(comms_demo, tmp_path):
    base = ["--db", str(comms_demo / "lantern.db"), "--user", "lead", "calls"]
    victims = [r["person_id"] for r in _truth(comms_demo, "victims.csv")]
    numbers = sorted({r["number"] for r in _truth(comms_demo, "phone_owner.csv") if r["person_id"] in victims})
    common = runner.invoke(app, [*base, "common", *numbers[:6], "--min", "2"])
    assert common.exit_code == 0, common.output
    top = runner.invoke(app, [*base, "top", numbers[0]])
    # A child's number shows a pseudonym: a recorded victim's, or a child's no record names as one.
    assert top.exit_code == 0 and ("[victim " in top.output or "[child " in top.output)
    ws = Workspace(str(comms_demo / "lantern.db"))
    with ws.reader() as conn:
        names = {v for (v,) in conn.exec_driver_sql(
            "SELECT s.value FROM links l JOIN statements s ON s.record_id = l.from_record_id AND s.prop = 'name' "
            "WHERE l.type = 'victim-in'")}
    ws.dispose()
    for output in (common.output, top.output):
        assert not any(name in output for name in names)
    chart = tmp_path / "activity.png"
    drawn = runner.invoke(app, [*base, "activity", numbers[0], "-o", str(chart)])
    assert drawn.exit_code == 0 and chart.read_bytes()[:4] == b"\x89PNG"
    for command in (["switches"], ["who", numbers[0]], ["contacts"], ["chains", numbers[0]],
                    ["colocated", numbers[0]], ["convoys"], ["missing-vehicles"]):
        result = runner.invoke(app, [*base, *command])
        assert result.exit_code == 0, result.output
        assert not any(name in result.output for name in names)
    bad = runner.invoke(app, [*base, "top", "12ab"])
    assert bad.exit_code == 1 and "is not a phone number" in bad.output
    ws = Workspace(str(comms_demo / "lantern.db"))
    with ws.reader() as conn:
        audited = {op for (op,) in conn.exec_driver_sql(
            "SELECT DISTINCT operation FROM audit_events WHERE operation LIKE 'calls %'")}
    ws.dispose()
    assert audited >= {"calls common", "calls top", "calls activity", "calls switches", "calls who",
                       "calls contacts", "calls chains", "calls colocated", "calls convoys", "calls missing-vehicles"}


def test_the_frame_reads_the_store_on_both_backends(workspace, tmp_path):
    """CDR rows from two providers and a seized phone's log, as ingested, become one call each."""
    from lantern.ingest.loader import ingest_file
    from lantern.ingest.profile import load_profile

    files = {
        "qnet.csv": ("synth-cdr-qnet", "RECORD_ID,TARGET,A_NUMBER,B_NUMBER,CALL_TYPE,START,DURATION,IMEI,IMSI,"
                     "FIRST_CELL,LAST_CELL\nQ1,07700900001,07700900001,07700900002,VOICE,01/03/2024 20:00:00,60,"
                     "353911100000000,234150000000000,C1,C1\nQ2,07700900001,07700900003,07700900001,SMS,"
                     "02/03/2024 09:30:00,0,353911100000000,234150000000000,C2,C2\n"),
        "vireo.csv": ("synth-cdr-vireo", "REC_SEQ|SUBSCRIBER_MSISDN|CALLING_NUMBER|CALLED_NUMBER|CALL_DATE|CALL_TIME|"
                      "DURATION_SECS|EVENT|IMEI|IMSI|CELL_ID_START|CELL_ID_END\n1|447700900002|447700900001|"
                      "447700900002|20240301|200000|60|V|353287110000003|234200000000001|30012|30011\n"),
        "log.csv": ("synth-device-calls", "Exhibit,Entry Id,Owner Number,Other Number,Direction,Timestamp,Duration\n"
                    "EX/1,EX/1-C1,07700900002,07700900001,Incoming,2024-03-01 20:00:00,60\n"),
    }
    for name, (profile, body) in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
        ingest_file(workspace, tmp_path / name, load_profile(profile), user="t")
    with workspace.reader() as conn:
        frame = load_frame(conn, workspace.case_id(conn))
    calls = frame.rows('SELECT a, b, kind, len(records) FROM calls ORDER BY "at"')
    assert calls == [("+447700900001", "+447700900002", "voice", 3), ("+447700900003", "+447700900001", "sms", 1)]
    targets = frame.rows("SELECT target, count(*) FROM observations GROUP BY target ORDER BY target")
    assert targets == [("+447700900001", 2), ("+447700900002", 2)]  # the log's owner is a target too

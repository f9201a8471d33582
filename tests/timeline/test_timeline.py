"""Chronologies on the demo scenario, checked against the planted truth and the comms frame."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from lantern.cli import app
from lantern.comms.frame import load_frame
from lantern.errors import LanternError
from lantern.graph.build import clusters, entities_of
from lantern.security.pseudonymise import Pseudonymiser
from lantern.store import Workspace
from lantern.timeline import KINDS, build_timeline
from lantern.timeline.chart import timeline_chart
from lantern.timeline.export import rows
from lantern.timeline.privacy import protected_people
from lantern.timeline.subject import phone_numbers

runner = CliRunner()
CASE = 1  # the demo's one case
STORE_KINDS = set(KINDS) - {"calls", "messages"}


def _linked(conn, records: list[int], schema: str) -> set[int]:
    marks = ",".join("?" * len(records))
    return {int(r) for (r,) in conn.exec_driver_sql(
        f"SELECT l.to_record_id FROM links l JOIN records e ON e.id = l.to_record_id "  # noqa: S608 - placeholders
        f"WHERE e.schema = ? AND l.from_record_id IN ({marks})", (schema, *records)).all()}


@pytest.fixture(scope="session")
def victim(demo, conn, person_records) -> tuple[str, list[int]]:
    """A planted victim whom resolution put in one entity, with missing episodes and crimes:
    (her entity, her Person records)."""
    with (demo / "scenario" / "truth" / "victims.csv").open() as fh:
        planted = [r["person_id"] for r in csv.DictReader(fh)]
    for person in planted:
        mine = person_records.get(person, [])
        records = [r for r, _, _ in mine]
        if len({e for _, e, _ in mine}) == 1 and len(_linked(conn, records, "MissingEpisode")) >= 2 \
                and _linked(conn, records, "Crime"):
            return mine[0][1], records
    pytest.fail("no planted victim resolved to one entity with missing episodes and crimes")


def test_a_victims_chronology_holds_her_missing_episodes_and_crimes_in_order(conn, victim):
    entity, records = victim
    found = build_timeline(conn, CASE, entity)
    by_record = {r: e for e in found.events for r in e.records}
    for schema, kind in (("MissingEpisode", "missing"), ("Crime", "crime")):
        expected = _linked(conn, records, schema)
        assert expected <= set(by_record), (schema, expected - set(by_record))
        for record in expected:
            event = by_record[record]
            assert event.kind == kind and event.sources and event.sources[0].file and event.sources[0].row > 0
            assert entity in {p.entity for p in event.people}
    missing = [e for e in found.events if e.kind == "missing"]
    assert all(e.until is None or e.when is None or e.until >= e.when for e in missing)
    dated = [e.when for e in found.events if e.when is not None]
    assert dated == sorted(dated)


def test_intelligence_carries_its_grading(conn):
    graded = conn.exec_driver_sql(
        "SELECT p.from_record_id, s.value FROM links p JOIN statements s ON s.record_id = p.to_record_id "
        "JOIN records r ON r.id = p.to_record_id WHERE r.schema = 'IntelligenceReport' AND s.prop = 'grading' "
        "AND p.type = 'subject-of' LIMIT 1").first()
    assert graded is not None
    entity = entities_of(conn, CASE, "Person")[int(graded[0])]
    events = build_timeline(conn, CASE, entity, kinds={"intelligence"}).events
    assert events and all(e.kind == "intelligence" for e in events)
    assert graded[1] in {e.grading for e in events}


def test_a_group_merges_its_members_events_once(conn):
    group, members = conn.exec_driver_sql(
        "SELECT group_id, count(*) FROM network_groups WHERE run_id = (SELECT max(id) FROM network_runs) "
        "GROUP BY group_id ORDER BY count(*) DESC LIMIT 1").first()
    found = build_timeline(conn, CASE, group)
    assert len(found.entities) == members
    store = [e for e in found.events if e.kind in STORE_KINDS]
    counted = Counter(r for e in store for r in e.records)
    assert counted and max(counted.values()) == 1  # each event once, however many members it names
    union: set[int] = set()
    for member in found.entities:
        union |= {r for e in build_timeline(conn, CASE, member).events if e.kind in STORE_KINDS for r in e.records}
    assert set(counted) == union
    calls = Counter(r for e in found.events if e.kind in ("calls", "messages") for r in e.records)
    assert not calls or max(calls.values()) == 1


def test_chronologies_built_from_one_read_of_the_calls_and_their_users_are_those_built_alone(conn):
    groups = [g for (g,) in conn.exec_driver_sql(
        "SELECT DISTINCT group_id FROM network_groups WHERE run_id = (SELECT max(id) FROM network_runs) "
        "ORDER BY group_id LIMIT 3").all()]
    users = phone_numbers(conn, entities_of(conn, CASE, "Person"))
    with load_frame(conn, CASE, only=("calls",)) as frame:  # as the briefing pack does, once
        shared = [build_timeline(conn, CASE, g, frame=frame, users=users) for g in groups]
    alone = [build_timeline(conn, CASE, g) for g in groups]
    assert any(e.kind in ("calls", "messages") for t in alone for e in t.events)
    assert [t.events for t in shared] == [t.events for t in alone]


def test_a_phone_summarises_calls_per_day_as_the_comms_frame_counts_them(conn):
    with load_frame(conn, CASE, only=("calls",)) as frame:
        number = frame.rows("SELECT n, count(*) FROM (SELECT a AS n FROM calls UNION ALL SELECT b FROM calls) "
                            "GROUP BY n ORDER BY count(*) DESC, n LIMIT 1")[0][0]
        per_day = Counter((at.date(), kind in ("message", "sms", "mms")) for at, kind in frame.rows(
            'SELECT "at", kind FROM calls WHERE a = ? OR b = ?', [number, number]))
    written = "0" + number[3:6] + " " + number[6:]  # +447700900123 as an analyst types it: 07700 900123
    found = build_timeline(conn, CASE, written)
    assert found.subject == number and found.subject_kind == "phone"
    days = {(e.when.date(), e.kind == "messages"): int(e.summary.split(" ", 1)[0])
            for e in found.events if e.when is not None}
    assert days == dict(per_day)
    assert all(e.kind in ("calls", "messages") and e.records for e in found.events)


def test_filters_by_date_and_kind_keep_exactly_the_matching_events(conn, victim):
    entity, _ = victim
    everything = build_timeline(conn, CASE, entity).events
    dated = sorted(e.when.date() for e in everything if e.when is not None)
    start, end = dated[len(dated) // 4], dated[3 * len(dated) // 4]
    window = build_timeline(conn, CASE, entity, start=start, end=end).events
    assert window and window == [e for e in everything if e.overlaps(start, end)]
    assert all(e.when is not None and e.when.date() <= end and (e.until or e.when).date() >= start for e in window)
    missing = build_timeline(conn, CASE, entity, kinds={"missing", "crime"}).events
    assert missing == [e for e in everything if e.kind in ("missing", "crime")]
    with pytest.raises(LanternError, match="unknown event kind"):
        build_timeline(conn, CASE, entity, kinds={"gossip"})
    with pytest.raises(LanternError, match="starts"):
        build_timeline(conn, CASE, entity, start=date(2024, 1, 2), end=date(2024, 1, 1))


def test_unknown_subjects_are_named_in_the_error(conn):
    for subject, said in (("P99999999", "no person P99999999"), ("G999", "no group G999"),
                          ("not-a-thing", "'not-a-thing' is not a person"),
                          ("07700 900999", "no calls, messages or records with the number +447700900999")):
        if subject.startswith("07"):
            known = conn.exec_driver_sql("SELECT count(*) FROM statements WHERE value = '+447700900999'").scalar()
            if known:
                continue  # the scenario happens to use it
        with pytest.raises(LanternError, match=said.replace("+", r"\+")):
            build_timeline(conn, CASE, subject)


def test_products_show_children_and_victims_only_as_pseudonyms(demo, conn, tmp_path):
    group = conn.exec_driver_sql("SELECT group_id FROM network_groups WHERE run_id = (SELECT max(id) FROM "
                                 "network_runs) AND group_id = 'G001'").scalar()
    found = build_timeline(conn, CASE, group)
    protected = protected_people(conn, CASE, found, clusters(conn, CASE, "Person"))
    assert protected  # a group of the demo is tied to children
    pseudonymiser = Pseudonymiser(conn, CASE, b"k" * 32)

    def label(entity: str) -> str:
        return pseudonymiser.token(protected[entity], entity) if entity in protected else entity

    people = " ".join(r["people"] for r in rows(found, label, lambda t: pseudonymiser.scrub(t) or ""))
    shown = {p.split(" (", 1)[0] for p in people.split("; ")}
    assert not shown & set(protected)
    chart = timeline_chart(found, tmp_path / "g.svg", label)
    assert not {p for p in protected if f"{p} " in chart.read_text() or f"{p}<" in chart.read_text()}


def _child_names(demo) -> list[str]:
    with (demo / "scenario" / "truth" / "people.csv").open() as fh:
        return [f"{r['forename']} {r['surname']}" for r in csv.DictReader(fh) if r["is_child"] == "1"]


def test_the_command_writes_csv_xlsx_and_a_chart_without_childrens_names_and_is_audited(demo, conn, victim,
                                                                                          tmp_path):
    entity, _ = victim
    base = ["--db", str(demo / "lantern.db"), "--user", "lead"]
    out = {"csv": tmp_path / "t.csv", "xlsx": tmp_path / "t.xlsx", "chart": tmp_path / "t.png"}
    result = runner.invoke(app, [*base, "timeline", entity, "--csv", str(out["csv"]), "--xlsx", str(out["xlsx"]),
                                 "--chart", str(out["chart"])])
    assert result.exit_code == 0, result.output
    events = build_timeline(conn, CASE, entity).events
    with out["csv"].open(encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(events) and {r["kind"] for r in table} == {e.kind for e in events}
    assert entity in " ".join(r["people"] for r in table)  # asked for by id: shown by id
    sheet = load_workbook(out["xlsx"]).active
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["when", "until", "kind"] and sheet.max_row == len(events) + 1
    assert out["chart"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = [result.output, out["csv"].read_text(encoding="utf-8"),
             " ".join(str(c.value) for row in sheet.iter_rows() for c in row)]
    group = runner.invoke(app, [*base, "timeline", "G001"])
    assert group.exit_code == 0, group.output
    texts.append(group.output)
    names = _child_names(demo)
    assert names
    for text in texts:
        folded = " ".join(text.split()).casefold()
        assert not [n for n in names if n.casefold() in folded]
    ws = Workspace(str(demo / "lantern.db"))  # a fresh reader: the shared one predates these commands
    with ws.reader() as fresh:
        logged = [row[0] for row in fresh.exec_driver_sql(
            "SELECT event_json FROM audit_events WHERE operation = 'timeline'").all()]
    ws.dispose()
    assert any(entity in e for e in logged) and any("G001" in e for e in logged)


def test_the_command_refuses_bad_dates_kinds_and_subjects_in_one_line(demo):
    base = ["--db", str(demo / "lantern.db"), "--user", "lead", "timeline"]
    for args, said in ((["P1", "--from", "2024-13-01"], "--from '2024-13-01' is not a date"),
                       (["P1", "--to", "soon"], "--to 'soon' is not a date"),
                       (["P1", "--kind", "gossip"], "unknown event kind 'gossip'"),
                       (["P99999999"], "no person P99999999"),
                       (["P1", "--chart", "x.gif"], "must end in .png or .svg")):
        result = runner.invoke(app, [*base, *args])
        assert result.exit_code == 1 and said in " ".join(result.output.split()), (args, result.output)
        assert "Traceback" not in result.output

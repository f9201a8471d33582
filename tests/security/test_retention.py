"""Retention: review dates from policy, recorded decisions, legal holds, disposal that erases."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lantern.security.retention import RetentionPolicy
from lantern.store import Workspace, tables


def test_review_dates_come_from_the_policy():
    policy = RetentionPolicy.load()
    assert policy.review_date(None, date(2024, 2, 29)) == date(2030, 2, 28)
    assert policy.review_date("child_sexual_exploitation", date(2024, 5, 1)) == date(2034, 5, 1)
    with pytest.raises(Exception, match="unknown case category 'parking'"):
        policy.review_date("parking", date(2024, 5, 1))


def test_cases_come_due_for_review_on_the_policy_date(team):
    assert "secret" not in team.run("lead", "case", "due").output
    due = team.run("lead", "case", "due", "--on", "2099-01-01").output
    assert "secret" in due and "default" in due


def test_retain_needs_a_rationale_and_a_next_review(team):
    no_reason = team.run("lead", "case", "review", "secret", "--decision", "retain", "--rationale", " ",
                         "--next-review", "2031-01-01", ok=False)
    assert "needs a rationale" in no_reason.output
    team.run("lead", "case", "review", "secret", "--decision", "retain", "--rationale",
             "live proceedings", "--next-review", "2031-01-01")
    assert "secret" not in team.run("lead", "case", "due", "--on", "2030-12-31").output


def test_legal_hold_blocks_disposal_with_an_audit_event(team):
    team.run("lead", "case", "hold", "secret", "--reason", "IICSA moratorium")
    refused = team.run("lead", "case", "review", "secret", "--decision", "dispose", "--rationale", "expired",
                       ok=False)
    assert "under legal hold" in refused.output
    assert "Sources (1)" in team.run("lead", "--case", "secret", "status").output  # nothing erased
    refusals = team.run("aud", "audit", "query", "--action", "REFUSED", "--json").output
    assert "legal hold" in refusals


def test_disposal_erases_content_and_leaves_an_erase_event_without_it(team):
    team.run("lead", "case", "review", "secret", "--decision", "dispose", "--rationale", "retention period over")
    ws = Workspace(team.db)
    try:
        with ws.reader() as conn:
            dump = "\n".join(str(tuple(row)) for table in (tables.statements, tables.records, tables.sources,
                                                             tables.links, tables.quarantine)
                             for row in conn.execute(table.select()))
            events = [json.loads(r.event_json) for r in conn.execute(tables.audit_events.select())]
    finally:
        ws.dispose()
    for canary in ("Winterbourne", "Quillfeather", "SV-1", "secret.csv"):
        assert canary not in dump
    erase = [e for e in events if e["action"] == "ERASE"]
    assert len(erase) == 1 and erase[0]["detail"]["erased"]["records"] == 3
    assert "Winterbourne" not in json.dumps(events) and "Quillfeather" not in json.dumps(events)
    # The disposed case is closed: nothing can be loaded into it again.
    assert "closed" in team.run("lead", "--case", "secret", "ingest", str(team.tmp / "secret.csv"),
                                "-p", "sample-crimes", ok=False).output


def test_quarantine_csv_neutralises_formulas(team, tmp_path):
    evil = tmp_path / "evil.csv"
    evil.write_text("NOMINAL_REF,NAME,DOB,SEX,ETHNICITY,MOBILE,ADDRESS,POSTCODE\n"
                    'X1,"=HYPERLINK(""http://x"")",@SUM(1),+1-2,,"\t=cmd|\' /c calc\'!A1",,\n')
    team.run("lead", "ingest", str(evil), "-p", "sample-nominals")
    out = tmp_path / "q.csv"
    team.run("lead", "quarantine", "--csv", str(out))
    import csv

    with out.open() as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert any(cell.startswith("'@SUM") for cell in cells)

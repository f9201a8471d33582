"""The audit log: one event per audited action, append-only storage, tamper detection."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lantern.demo import sample_path
from lantern.security import audit
from lantern.store import Workspace, tables

ROOT = Path(__file__).resolve().parents[2]


def events(team) -> list[dict]:
    ws = Workspace(team.db)
    try:
        with ws.reader() as conn:
            rows = conn.execute(tables.audit_events.select().order_by(tables.audit_events.c.seq))
            return [json.loads(r.event_json) for r in rows]
    finally:
        ws.dispose()


def test_each_audited_action_writes_exactly_its_event(team):
    expected = [
        (("status",), "CONSULT", "status"),
        (("quarantine",), "CONSULT", "quarantine"),
        (("ingest", str(sample_path("intelligence.jsonl")), "-p", "sample-intelligence"), "COLLECT", "ingest"),
        (("export", "-f", "jsonl", "-o", str(team.tmp / "e.jsonl"), "--recipient", "CPS reviewing lawyer"),
         "DISCLOSE", "export"),
        (("case", "hold", "default", "--reason", "inquiry moratorium"), "ALTER", "case hold"),
        (("user", "list"), "CONSULT", "user list"),
    ]
    for args, action, operation in expected:
        before = len(events(team))
        team.run("lead", *args)
        new = events(team)[before:]
        assert [(e["action"], e["operation"]) for e in new] == [(action, operation)], args
        event = new[0]
        assert event["user"] == "lead" and event["auth"] == "os" and event["purpose"] == "investigation"
        assert event["version"] and event["host"] and event["at"].endswith("Z")
    disclose = [e for e in events(team) if e["action"] == "DISCLOSE"][-1]
    assert disclose["recipient"] == "CPS reviewing lawyer" and len(disclose["detail"]["sha256"]) == 64


def test_viewing_three_times_gives_three_events(team):
    before = len(events(team))
    for _ in range(3):
        team.run("ana", "status")
    new = events(team)[before:]
    assert [e["operation"] for e in new] == ["status"] * 3
    assert len({e["at"] for e in new}) == 3


def test_refusals_are_recorded(team):
    team.run("outsider", "--case", "secret", "status", ok=False)
    refused = events(team)[-1]
    assert refused["action"] == "REFUSED" and refused["user"] == "outsider"


def test_auditor_answers_who_looked_at_a_source(team):
    team.run("ana", "status")
    found = team.run("aud", "audit", "query", "--object", "source:1", "--json").output
    assert '"user": "ana"' in found and '"operation": "status"' in found
    assert events(team)[-1]["action"] == "AUDIT_READ"


def test_the_audit_tables_are_append_only(team):
    team.run("aud", "audit", "checkpoint")
    ws = Workspace(team.db)
    try:
        for statement in ("UPDATE audit_events SET username = 'someone-else'", "DELETE FROM audit_events",
                          "DELETE FROM audit_checkpoints"):
            with pytest.raises(DBAPIError, match="append-only"), ws.writer() as conn:
                conn.execute(text(statement))
    finally:
        ws.dispose()


def test_an_audit_write_failure_fails_the_action(team, monkeypatch):
    def broken(*args, **kwargs):
        raise audit.AuditError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    result = team.run("lead", "ingest", str(sample_path("crimes.csv")).replace("crimes", "crimes"),
                      "-p", "sample-nominals", ok=False)
    assert result.exit_code == 1
    monkeypatch.undo()
    status = team.run("lead", "status").output
    assert status.count("nominals.csv") == 1  # nothing new loaded without its event


def _tamper(team, *statements: str | tuple[str, tuple]) -> None:
    """What someone with the database file could do: drop the triggers, rewrite rows."""
    path = team.db.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    for trigger in ("audit_events_no_update", "audit_events_no_delete",
                    "audit_checkpoints_no_update", "audit_checkpoints_no_delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in statements:
        if isinstance(statement, tuple):
            conn.execute(*statement)
        else:
            conn.execute(statement)
    conn.commit()
    conn.close()


MUTATIONS = {
    "flip a byte": "UPDATE audit_events SET event_json = replace(event_json, '\"user\":\"lead\"', "
                   "'\"user\":\"leaf\"') WHERE seq = 5",
    "delete an event": "DELETE FROM audit_events WHERE seq = 5",
    "reorder two events": ("UPDATE audit_events SET seq = -1 WHERE seq = 5",
                           "UPDATE audit_events SET seq = 5 WHERE seq = 6",
                           "UPDATE audit_events SET seq = 6 WHERE seq = -1"),
    "truncate the tail": "DELETE FROM audit_events WHERE seq > 8",
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_verify_detects_tampering(team, mutation):
    team.run("aud", "audit", "checkpoint")
    assert "OK" in team.run("aud", "audit", "verify").output
    statements = MUTATIONS[mutation]
    _tamper(team, *((statements,) if isinstance(statements, str) else statements))
    result = team.run("aud", "audit", "verify", ok=False)
    assert result.exit_code == 1 and "does not verify" in result.output
    if mutation != "truncate the tail":
        assert "(first bad event: 5)" in result.output
    else:
        assert "truncated" in result.output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_rewritten_history_is_caught_by_the_witness_file(team):
    """Even with every hash recomputed and the checkpoints in the database removed, the
    checkpoint kept outside the database exposes the rewrite."""
    team.run("aud", "audit", "checkpoint")
    ws = Workspace(team.db)
    with ws.reader() as conn:
        rows = conn.execute(tables.audit_events.select().order_by(tables.audit_events.c.seq)).all()
    ws.dispose()
    from lantern.security import merkle

    statements: list[str | tuple[str, tuple]] = ["DELETE FROM audit_checkpoints", "DELETE FROM audit_events"]
    chain = audit.GENESIS
    for row in rows:
        event = json.loads(row.event_json)
        if event["seq"] == 3:
            event["user"] = "nobody"
        data = merkle.canonical_event(event)
        leaf = merkle.leaf_hash(data)
        chain = merkle.chain_hash(chain, leaf)
        statements.append((
            "INSERT INTO audit_events (seq, at, username, case_id, action, operation, event_json, "
            "leaf_hash, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (row.seq, row.at, event["user"], row.case_id, row.action, row.operation, data.decode(),
             leaf.hex(), chain.hex())))
    _tamper(team, *statements)
    result = team.run("aud", "audit", "verify", ok=False)
    assert "witness file" in result.output and "do not match" in result.output


def test_an_exported_bundle_verifies_offline(team, tmp_path):
    bundle = tmp_path / "bundle"
    team.run("aud", "audit", "export", str(bundle))
    verifier = [sys.executable, str(ROOT / "tools" / "lantern_verify_audit.py"), str(bundle)]
    ok = subprocess.run(verifier, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK:"), ok.stdout + ok.stderr
    lines = (bundle / "events.jsonl").read_text().splitlines()
    (bundle / "events.jsonl").write_text("\n".join(lines[:3] + lines[4:]) + "\n")
    bad = subprocess.run(verifier, capture_output=True, text=True)
    assert bad.returncode == 1

"""Need-to-know: every command denies a user without access, and reveals nothing (AC-1..AC-7)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import sample_path

SECRET_CANARIES = ("Winterbourne", "Marigold", "Quillfeather", "Zebedee", "secret.csv", "SV-1", "CR/25")


def case_commands(tmp) -> dict[str, list[str]]:
    """Every command that reads or changes a case, with arguments aimed at case 'secret'."""
    return {
        "status": ["--case", "secret", "status"],
        "ingest": ["--case", "secret", "ingest", str(sample_path("nominals.csv")), "-p", "sample-nominals"],
        "quarantine": ["--case", "secret", "quarantine"],
        "export": ["--case", "secret", "export", "-f", "jsonl", "-o", str(tmp / "x.jsonl"), "--recipient", "r"],
        "report": ["--case", "secret", "report", "-o", str(tmp / "pack"), "--recipient", "r"],
        "case close": ["case", "close", "secret"],
        "case hold": ["case", "hold", "secret", "--reason", "r"],
        "case release": ["case", "release", "secret"],
        "case review": ["case", "review", "secret", "--decision", "retain", "--rationale", "r",
                        "--next-review", "2030-01-01"],
        "case grant": ["case", "grant", "secret", "outsider"],
        "resolve": ["--case", "secret", "resolve"],
        "explain": ["--case", "secret", "explain", "1", "2"],
        "judge": ["--case", "secret", "judge", "1", "2", "same", "--reason", "r"],
        "review-queue": ["--case", "secret", "review-queue"],
        "network": ["--case", "secret", "network"],
        "path": ["--case", "secret", "path", "P1", "P2"],
        "ego": ["--case", "secret", "ego", "P1"],
        "chart": ["--case", "secret", "chart", "--group", "G001", "-o", str(tmp / "c.png")],
        "group": ["--case", "secret", "group", "G001"],
        "between": ["--case", "secret", "between", "G001", "G002"],
        "victims": ["--case", "secret", "victims"],
        "players": ["--case", "secret", "players"],
        "risk": ["--case", "secret", "risk"],
        "review": ["--case", "secret", "review"],
        "timeline": ["--case", "secret", "timeline", "P1"],
        "extract": ["--case", "secret", "extract"],
        "similar": ["--case", "secret", "similar", "1"],
        "search": ["--case", "secret", "search", "Quillfeather"],
        "profile": ["--case", "secret", "profile", "P1"],
        "calls top": ["--case", "secret", "calls", "top", "07700900101"],
        "calls common": ["--case", "secret", "calls", "common", "07700900101", "07700900102"],
        "calls chains": ["--case", "secret", "calls", "chains", "07700900101"],
        "calls activity": ["--case", "secret", "calls", "activity", "07700900101"],
        "calls switches": ["--case", "secret", "calls", "switches"],
        "calls who": ["--case", "secret", "calls", "who", "07700900101"],
        "calls contacts": ["--case", "secret", "calls", "contacts"],
        "calls colocated": ["--case", "secret", "calls", "colocated", "07700900101"],
        "calls convoys": ["--case", "secret", "calls", "convoys"],
        "calls missing-vehicles": ["--case", "secret", "calls", "missing-vehicles"],
        "calls load": ["--case", "secret", "calls", "load", str(tmp / "cdr.csv"), "--layout", "qnet"],
        "calls rejected": ["--case", "secret", "calls", "rejected", "1"],
        "case revoke": ["case", "revoke", "secret", "lead"],
    }


# Commands with no case argument, and what guards them.
OTHER_COMMANDS = {
    "init": "workspace setup", "demo": "own workspace", "profiles": "no case data",
    "synth": "writes synthetic files, reads no workspace",
    "user add": "admin.users", "user disable": "admin.users", "user token": "admin.users",
    "user list": "admin.users", "case create": "creates a new case", "case list": "own cases only",
    "case due": "own cases only", "case break-glass": "administrators, audited",
    "audit verify": "audit.read", "audit query": "audit.read", "audit checkpoint": "audit.read",
    "audit export": "audit.read",
    "serve": "web server; every route checks access itself",
    "backup": "admin.users (whole workspace), DISCLOSE audited",
    "restore": "empty target only; admin.users in the restored workspace",
}


def all_command_paths() -> set[str]:
    paths = {c.name or c.callback.__name__ for c in app.registered_commands}
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            paths.add(f"{group.name} {command.name or command.callback.__name__.replace('_', '-')}")
    return paths


def test_every_command_is_covered_by_the_access_sweep(tmp_path):
    """A new command must be added to the sweep (or to OTHER_COMMANDS with its guard)."""
    assert all_command_paths() == set(case_commands(tmp_path)) | set(OTHER_COMMANDS)


def test_outsider_is_denied_everything_in_a_case_and_learns_nothing(team):
    nonexistent = {}
    for name, args in case_commands(team.tmp).items():
        denied = team.run("outsider", *args, ok=False)
        assert denied.exit_code == 1, name
        assert not any(c.lower() in denied.output.lower() for c in SECRET_CANARIES), (name, denied.output)
        ghost_args = [a.replace("secret", "no-such-case") for a in args]
        ghost = team.run("outsider", *ghost_args, ok=False)
        nonexistent[name] = ghost.output.replace("no-such-case", "secret")
        assert denied.output == nonexistent[name], f"{name}: refusal differs from a missing case"
    assert not (team.tmp / "x.jsonl").exists()


def test_search_like_commands_show_only_granted_cases(team):
    listing = team.run("ana", "case", "list").output
    assert "default" in listing and "secret" not in listing
    assert "secret" in team.run("lead", "case", "list").output
    assert "secret" in team.run("rev", "case", "list").output  # the national reviewer sees all


def test_revocation_and_disabling_take_effect_on_the_next_command(team):
    team.run("ana", "status")
    team.run("lead", "case", "revoke", "default", "ana")
    assert "no case named 'default' that you can access" in team.run("ana", "status", ok=False).output
    team.run("lead", "user", "disable", "boss")
    assert "cannot authenticate as 'boss'" in team.run("boss", "status", ok=False).output


def test_administrators_read_no_case_without_a_grant_and_break_glass_is_loud(team):
    assert team.run("admin2", "status", ok=False).exit_code == 1
    result = team.run("admin2", "case", "break-glass", "default", "--reason", "child at risk tonight",
                      "--hours", "1")
    assert "ALERT" in result.output
    assert "Sources" in team.run("admin2", "status").output
    assert "lacks the permission case.export" in team.run(
        "admin2", "export", "-f", "jsonl", "-o", str(team.tmp / "y.jsonl"), "--recipient", "r", ok=False).output
    query = team.run("aud", "audit", "query", "--user", "admin2", "--action", "ACCESS", "--json").output
    assert '"elevated": true' in query and "child at risk tonight" in query


def test_closed_cases_are_read_only(team):
    team.run("lead", "case", "close", "default")
    refused = team.run("lead", "ingest", str(sample_path("crimes.csv")), "-p", "sample-nominals", ok=False)
    assert "closed and read-only" in refused.output
    team.run("lead", "status")  # reading is still allowed


def test_roles_limit_what_a_granted_user_may_do(team):
    team.run("lead", "case", "grant", "default", "aud")
    assert "lacks the permission case.read" in team.run("aud", "status", ok=False).output
    assert "lacks the permission admin.users" in team.run("ana", "user", "list", ok=False).output
    assert "lacks the permission audit.read" in team.run("ana", "audit", "verify", ok=False).output


def test_an_unidentified_cli_user_cannot_write(db_url, tmp_path):
    runner = CliRunner()
    base = ["--db", db_url, "--key-dir", str(tmp_path / "k")]
    assert runner.invoke(app, [*base, "--user", "lead", "init"]).exit_code == 0
    for user, env in (("stranger", {}), ("lead", {"LANTERN_TOKEN": "lt_forged"}),
                      ("lead", {"LANTERN_PASSWORD": "wrong password 123"})):
        result = runner.invoke(app, [*base, "--user", user, "ingest", str(sample_path("nominals.csv")),
                                     "-p", "sample-nominals"], env=env)
        assert result.exit_code == 1 and "cannot authenticate" in result.output
    status = runner.invoke(app, [*base, "--user", "lead", "status"])
    assert "Sources (0)" in status.output


@pytest.mark.parametrize("password_ok", [True, False])
def test_password_login(team, password_ok, monkeypatch):
    monkeypatch.setenv("NEWPW", "correct horse battery staple")
    team.run("lead", "user", "add", "pat", "--roles", "analyst", "--password-env", "NEWPW")
    team.run("lead", "case", "grant", "default", "pat")
    password = "correct horse battery staple" if password_ok else "not the password!"
    result = CliRunner().invoke(app, ["--db", team.db, "--user", "pat", "--key-dir", str(team.key_dir),
                                      "status"], env={"LANTERN_PASSWORD": password})
    assert (result.exit_code == 0) is password_ok

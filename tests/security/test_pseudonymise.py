"""Victims are pseudonymised in every shared product unless an authorised user reveals them."""

from __future__ import annotations

import hashlib
import json

import phonenumbers
import pytest

from lantern.demo import sample_path
from lantern.export import products

# The sample data's victims: Grace ADEYEMI (NA-1004) and Chloe HOLT (NA-1005), with their
# names, dates of birth, phones and addresses in every format a leak could take.
VICTIM_IDENTIFIERS = [
    "Adeyemi", "Grace", "Holt", "Chloe", "05/02/2009", "2009-02-05", "01/09/2008", "2008-09-01",
    "1/9/2008", "22 Orchard Close", "Room 6", "QB2 7LP",
]
VICTIM_PHONES = ["07700900103", "07700 900104"]


def phone_variants(raw: str) -> set[str]:
    n = phonenumbers.parse(raw, "GB")
    national = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.NATIONAL)
    return {phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164), national,
            national.replace(" ", ""), str(n.national_number)}


def all_identifiers() -> list[str]:
    out = list(VICTIM_IDENTIFIERS)
    for phone in VICTIM_PHONES:
        out += sorted(phone_variants(phone))
    return out


def export(team, user: str, name: str, *extra: str, ok: bool = True):
    path = team.tmp / name
    result = team.run(user, "export", "-f", "jsonl", "-o", str(path), "--recipient", "partner agency",
                      *extra, ok=ok)
    return result, path


def test_a_default_export_holds_no_victim_identifier(team):
    team.run("lead", "resolve")
    team.run("lead", "network")
    for fmt in products.formats():  # every format Lantern can export
        path = team.tmp / f"shared.{fmt}"
        team.run("ana", "export", "-f", fmt, "-o", str(path), "--recipient", "partner agency")
        content = path.read_text()
        leaks = [i for i in all_identifiers() if i.casefold() in content.casefold()]
        assert leaks == [], fmt
    # Offenders are not pseudonymised: the product is still useful.
    content = (team.tmp / "shared.jsonl").read_text()
    assert "Daniel Price" in content and "+447700900102" in content


def test_pseudonyms_are_stable_in_a_case_and_differ_across_cases(team):
    _, first = export(team, "ana", "a.jsonl")
    _, second = export(team, "ana", "b.jsonl")

    def victim_tokens(path):
        return sorted({json.loads(line)["value"] for line in path.read_text().splitlines()
                       if '"prop": "name"' in line and json.loads(line).get("value", "").startswith("[name ")})

    assert victim_tokens(first) == victim_tokens(second) != []
    # The same victim record loaded into another case gets another pseudonym.
    team.run("lead", "case", "create", "other")
    team.run("lead", "--case", "other", "ingest", str(sample_path("crimes.csv")), "-p", "sample-crimes")
    result = team.run("lead", "--case", "other", "export", "-f", "jsonl", "-o", str(team.tmp / "c.jsonl"),
                      "--recipient", "r")
    assert result.exit_code == 0
    assert set(victim_tokens(team.tmp / "c.jsonl")).isdisjoint(victim_tokens(first))


def test_pseudonyms_are_keyed_not_plain_hashes(team):
    """Hashing every candidate phone number without the key finds nothing in the output."""
    _, path = export(team, "ana", "k.jsonl")
    content = path.read_text()
    candidates = [f"+4477009{n:05d}" for n in range(0, 100_000)]
    for candidate in candidates:
        digest = hashlib.sha256(f"phone:{candidate.casefold()}".encode()).hexdigest()[:10]
        assert digest not in content


def test_revealing_needs_the_permission_a_reason_and_is_audited(team):
    denied, path = export(team, "ana", "r1.jsonl", "--reveal", "--reason", "court order", ok=False)
    assert "lacks the permission victim.identity" in denied.output and not path.exists()
    missing_reason, _ = export(team, "boss", "r2.jsonl", "--reveal", ok=False)
    assert "--reveal needs --reason" in missing_reason.output
    _, path = export(team, "boss", "r3.jsonl", "--reveal", "--reason", "disclosure to CPS")
    assert "Adeyemi" in path.read_text()
    query = team.run("aud", "audit", "query", "--action", "DISCLOSE", "--json").output
    assert '"revealed": true' in query and "disclosure to CPS" in query


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_free_text_naming_a_victim_is_scrubbed(team, tmp_path):
    notes = tmp_path / "notes.jsonl"
    notes.write_text(json.dumps({"ref": "IR-9", "date": "2024-06-01T10:00:00", "grading": "B2",
                                 "subject_ref": "NA-1003", "subject_name": "Daniel Price",
                                 "text": "Grace Adeyemi was seen with Daniel Price; her phone 07700 900103."}) + "\n")
    team.run("lead", "ingest", str(notes), "-p", "sample-intelligence")
    _, path = export(team, "ana", "t.jsonl")
    line = next(x for x in path.read_text().splitlines() if "IR-9" in x and '"prop": "text"' in x)
    assert "Adeyemi" not in line and "900103" not in line and "Daniel Price" in line


def test_a_namesake_of_a_victim_is_pseudonymised_too(team):
    """A record that resolution left apart (or another person with the same name) must not show
    a victim's name: the name itself is what a shared product may not carry."""
    from lantern.security.keys import Keys
    from lantern.security.pseudonymise import Pseudonymiser
    from lantern.store import Workspace

    ws = Workspace(team.db)
    try:
        with ws.reader() as conn:
            case_id = ws.case_id(conn, "default")
            p = Pseudonymiser(conn, case_id, Keys.for_workspace(ws, str(team.key_dir)).pseudonym_key)
            stranger = -1  # no victim's record
            value, original = p.statement(stranger, "name", "grace adeyemi", "Grace ADEYEMI")
            assert value == original and value.startswith("[name ")
            assert p.statement(stranger, "name", "Alan Turing", "Alan Turing") == (
                "Alan Turing", "Alan Turing")
    finally:
        ws.dispose()

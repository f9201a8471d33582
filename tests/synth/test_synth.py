"""The synthetic scenario generator: determinism, truth against exports, clean ingest.

One small scenario per configuration is generated once per module (seed printed in ids) and
shared; ingest runs against a real SQLite workspace.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from stdnum import imei as stdnum_imei
from stdnum import imsi as stdnum_imsi

from lantern.ingest.loader import ingest_file
from lantern.ingest.profile import load_profile
from lantern.ingest.readers import open_table
from lantern.model.types import PROPERTY_TYPES, CleanOptions
from lantern.store import Workspace, tables
from lantern.synth import NoiseRates, generate, manifest, profile_of
from lantern.synth.forces import MAX_FORCES, force_code
from lantern.synth.ids import postcode
from lantern.synth.layouts import all_layouts, profiles_dir

SEED = 7
PEOPLE = 2000
FORCES = 3


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _read_truth(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / "truth" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenario")
    generate(out, forces=FORCES, people=PEOPLE, seed=SEED)
    return out


@pytest.fixture(scope="module")
def clean_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Default noise, corruption turned off."""
    out = tmp_path_factory.mktemp("clean")
    generate(out, forces=FORCES, people=PEOPLE, seed=SEED,
             rates=replace(NoiseRates(), corrupt_row=0.0))
    return out


def _ingest_all(folder: Path, db: Path) -> tuple[Workspace, dict[str, tuple[int, int, int]]]:
    workspace = Workspace(str(db))
    workspace.init()
    results = {}
    for entry in manifest(folder):
        result = ingest_file(workspace, folder / entry["file"], load_profile(entry["profile"]),
                             user="test")
        results[entry["file"]] = (result.rows_read, result.rows_quarantined,
                                  result.values_rejected)
        assert result.rows_read == entry["rows"], entry
    return workspace, results


def test_same_seed_same_bytes_other_seed_differs(scenario: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, forces=FORCES, people=PEOPLE, seed=SEED)
    assert _digest(again) == _digest(scenario)
    other = tmp_path / "other"
    generate(other, forces=FORCES, people=PEOPLE, seed=SEED + 1)
    differs = [k for k, v in _digest(other).items() if _digest(scenario).get(k) != v]
    assert "force-a/nominals.csv" in differs and "truth/people.csv" in differs


def test_shipped_profiles_match_layouts() -> None:
    """The YAML files in profiles/synth/ are exactly what the layouts render."""
    rendered = {f"{layout.profile}.yaml": layout.render_profile() for layout in all_layouts()}
    shipped = {p.name: p.read_text(encoding="utf-8") for p in profiles_dir().glob("*.yaml")}
    assert shipped == rendered


def test_manifest_names_shipped_profiles(scenario: Path) -> None:
    entries = manifest(scenario)
    assert entries[0]["kind"] == "nominals"
    for entry in entries:
        assert (scenario / entry["file"]).is_file()
        assert load_profile(entry["profile"]).name == entry["profile"]
    assert {e["force"] for e in entries} >= {"Aldmoor Police", "Brackwater Constabulary"}


def test_clean_scenario_ingests_without_quarantine(clean_scenario: Path, tmp_path: Path) -> None:
    assert _read_truth(clean_scenario, "corrupted_rows") == []
    _, results = _ingest_all(clean_scenario, tmp_path / "w.db")
    bad = {f: r for f, r in results.items() if r[1] or r[2]}
    assert bad == {}, bad


def test_default_corruption_quarantines_exactly_the_truth(scenario: Path, tmp_path: Path) -> None:
    workspace, results = _ingest_all(scenario, tmp_path / "w.db")
    expected = {(r["file"], int(r["row"])) for r in _read_truth(scenario, "corrupted_rows")}
    assert expected, "the default rates should corrupt some rows"
    names = {Path(e["file"]).name: e["file"] for e in manifest(scenario)}
    paths = {}
    with workspace.reader() as conn:
        for source_id, file_name in conn.execute(
            select(tables.sources.c.id, tables.sources.c.file_name)
        ):
            paths[source_id] = file_name
        got = set()
        for source_id, row, action in conn.execute(
            select(tables.quarantine.c.source_id, tables.quarantine.c.row_number,
                   tables.quarantine.c.action)
        ):
            assert action == "row rejected"
            got.add((source_id, row))
    # file names repeat across force folders, so match on (source, row) per manifest order
    by_source = {sid: i for i, sid in enumerate(sorted(paths))}
    files = [e["file"] for e in manifest(scenario)]
    got_files = {(files[by_source[sid]], row) for sid, row in got}
    assert got_files == expected
    assert all(r[2] == 0 for r in results.values())
    assert names  # every manifest file was ingested above


def _person_ids_in_exports(folder: Path) -> dict[str, set[str]]:
    """Per file: every value of the id column of each Person entity its profile maps."""
    out: dict[str, set[str]] = defaultdict(set)
    for entry in manifest(folder):
        profile = load_profile(entry["profile"])
        columns = [e.id_column for e in profile.entities if e.schema == "Person" and e.id_column]
        if not columns:
            continue
        table = open_table(folder / entry["file"], profile.format, profile.encoding,
                           profile.delimiter)
        for row in table.rows:
            values = row.values
            if not values and row.raw and entry["file"].endswith((".csv", ".txt")):
                values = dict(zip(table.header, json.loads(row.raw), strict=False))
            for column in columns:
                value = values.get(column, "").strip()
                if value:
                    out[entry["file"]].add(value)
    return out


def test_truth_record_ids_exist_in_exports(scenario: Path) -> None:
    exported = _person_ids_in_exports(scenario)
    truth = _read_truth(scenario, "record_to_person")
    people = {r["person_id"] for r in _read_truth(scenario, "people")}
    assert truth
    for row in truth:
        assert row["record_id"] in exported[row["source"]], row
        assert row["person_id"] in people
    # and every person id an export carries is in the truth
    truth_ids = defaultdict(set)
    for row in truth:
        truth_ids[row["source"]].add(row["record_id"])
    for source, ids in exported.items():
        assert ids == truth_ids[source], source


def _norm_phone(raw: str) -> str:
    cleaned = PROPERTY_TYPES["phone"].clean(raw, CleanOptions())
    assert cleaned.ok, raw
    return cleaned.value or ""


def test_every_group_calls_and_meets(clean_scenario: Path) -> None:
    scenario = clean_scenario
    owners: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for row in _read_truth(scenario, "phone_owner"):
        owners[row["number"]].append((row["person_id"], row["from"], row["to"] or "9999"))
    groups: dict[str, set[str]] = defaultdict(set)
    for row in _read_truth(scenario, "groups"):
        groups[row["group_id"]].add(row["person_id"])
    # calls between two members, from the provider CDRs (either side)
    called: set[frozenset[str]] = set()
    for name, a_col, b_col in (("cdr_qnet.csv", "A_NUMBER", "B_NUMBER"),
                               ("cdr_vireo.csv", "CALLING_NUMBER", "CALLED_NUMBER")):
        with (scenario / "comms" / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="|" if "vireo" in name else ","):
                a, b = owners.get(_norm_phone(row[a_col])), owners.get(_norm_phone(row[b_col]))
                if a and b:
                    called |= {frozenset((x[0], y[0])) for x in a for y in b}
    record_person = {(r["source"], r["record_id"]): r["person_id"]
                     for r in _read_truth(scenario, "record_to_person")}
    together: dict[tuple[str, str], set[str]] = defaultdict(set)
    for entry in manifest(scenario):
        if entry["kind"] != "sightings":
            continue
        profile = load_profile(entry["profile"])
        sighting = next(e for e in profile.entities if e.schema == "Sighting").id_column
        person = next(e for e in profile.entities if e.schema == "Person").id_column
        table = open_table(scenario / entry["file"], profile.format, profile.encoding,
                           profile.delimiter)
        for row in table.rows:
            pid = record_person.get((entry["file"], row.values.get(person, "")))
            if pid:
                together[(entry["file"], row.values[sighting])].add(pid)
    for gid, members in groups.items():
        pairs = {frozenset((a, b)) for a in members for b in members if a != b}
        assert pairs & called, f"group {gid}: no calls between members"
        assert any(len(seen & members) >= 2 for seen in together.values()), \
            f"group {gid}: never seen together"


def test_decoys_have_no_group_contact(clean_scenario: Path) -> None:
    scenario = clean_scenario
    decoys = _read_truth(scenario, "decoys")
    victims = {r["person_id"] for r in _read_truth(scenario, "victims")}
    members = {r["person_id"] for r in _read_truth(scenario, "groups")}
    decoy_ids = {r["person_id"] for r in decoys}
    assert decoy_ids and not decoy_ids & (victims | members)
    numbers: dict[str, set[str]] = defaultdict(set)
    for row in _read_truth(scenario, "phone_owner"):
        numbers[row["person_id"]].add(row["number"])
    group_numbers = {n for p in members for n in numbers[p]}
    decoy_numbers = {n for p in decoy_ids for n in numbers[p]}
    with (scenario / "comms" / "cdr_qnet.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            pair = {_norm_phone(row["A_NUMBER"]), _norm_phone(row["B_NUMBER"])}
            assert not (pair & decoy_numbers and pair & group_numbers), row


def test_identifiers_are_reserved_and_valid(clean_scenario: Path) -> None:
    scenario = clean_scenario
    for row in _read_truth(scenario, "people"):
        assert row["postcode"].startswith("Q")
        assert not row["phone"] or row["phone"].startswith("+447700")
    for row in _read_truth(scenario, "vehicles"):
        assert row["vrm"].startswith("Z")
    with (scenario / "comms" / "cdr_qnet.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            stdnum_imei.validate(row["IMEI"])
            stdnum_imsi.validate(row["IMSI"])


def test_manifest_json_round_trip(scenario: Path) -> None:
    data = json.loads((scenario / "manifest.json").read_text(encoding="utf-8"))
    assert data == manifest(scenario)
    assert (scenario / "truth" / "README.md").read_text(encoding="utf-8").count("|") > 50


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 43 forces (England and Wales's territorial forces) at a small population."""
    out = tmp_path_factory.mktemp("national")
    generate(out, forces=MAX_FORCES, people=PEOPLE, seed=SEED)
    return out


def test_forty_three_forces_each_export_in_their_own_files(national: Path) -> None:
    entries = manifest(national)
    forces = {e["force"] for e in entries if e["force"] != "national"}
    assert len(forces) == MAX_FORCES == 43
    assert {e["file"].split("/")[0] for e in entries} >= {"force-a", "force-z", "force-aa", "force-aq"}
    assert len({e["profile"] for e in entries}) == len(entries)  # every file its own profile name


def test_forces_past_the_sixth_carry_their_profiles_beside_the_scenario(national: Path,
                                                                        tmp_path: Path) -> None:
    entries = manifest(national)
    shipped = [e for e in entries if "profile_path" not in e]
    written = [e for e in entries if "profile_path" in e]
    assert {e["file"].split("/")[0] for e in written} == {f"force-{force_code(i)}" for i in range(6, 43)}
    assert all(load_profile(e["profile"]).name == e["profile"] for e in shipped)
    # The written profiles read their files as the shipped ones do: every row read.
    workspace = Workspace(str(tmp_path / "w.db"))
    workspace.init()
    for entry in [e for e in written if e["file"].startswith(("force-g/", "force-aq/"))]:
        profile = load_profile(profile_of(national, entry))
        assert profile.name == entry["profile"]
        result = ingest_file(workspace, national / entry["file"], profile, user="test")
        assert result.rows_read == entry["rows"], entry
        assert result.rows_quarantined <= max(3, entry["rows"] // 20), entry  # the planted corruption only


def test_forces_sharing_a_postcode_letter_never_share_a_postcode() -> None:
    """Force 17 and force 43 both use area QQ: their districts differ."""
    seventeenth = {postcode(16, district, serial) for district in range(1, 31) for serial in range(50)}
    forty_third = {postcode(42, district, serial) for district in range(1, 31) for serial in range(50)}
    assert not seventeenth & forty_third
    assert next(iter(forty_third)).startswith("QQ")


def test_a_small_force_short_of_children_still_generates(tmp_path: Path) -> None:
    """At 8,000 people over 43 forces some forces run out of children for a group's victims
    (this once crashed choosing who recruited whom among none)."""
    summary = generate(tmp_path, forces=MAX_FORCES, people=8000, seed=1)
    assert summary.groups and summary.victims
    recruited = _read_truth(tmp_path, "people")
    assert recruited  # the truth was written whole

"""truth/README.md: what every truth file holds, and every rate the scenario used."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lantern.synth.rates import RATE_DOCS, SHAPE_DOCS, NoiseRates, Shape
from lantern.synth.truth import TRUTH_FILES

if TYPE_CHECKING:
    from lantern.synth.generate import ScenarioSummary

FILE_DOCS: dict[str, str] = {
    "people": "every person in the population: role is background, offender, victim or "
              "decoy; is_child at 2025-01-01; address and phone as at the end of the window",
    "record_to_person": "every Person record in every export: source is the manifest's `file` "
                        "(the path relative to the scenario folder, which is also the ingested "
                        "file's path), record_id the person id the export itself carries "
                        "(nominal ref, suspect ref...), person_id the true person. One row per "
                        "(source, record_id)",
    "groups": "members of planted exploitation groups with their role (organiser, recruiter, "
              "driver, peripheral); a person in two groups has two rows",
    "victims": "child victims; group_ids is ';'-separated (some have two); recruited_by is the "
               "victim who introduced them, if any",
    "decoys": "children with risk signs (missing episodes, police contact) and no link to any "
              "group; missing_episodes is how many they have",
    "phone_owner": "who held each mobile number from/to (ISO dates, to empty = still held); "
                   "kind is personal or shared (a group phone passed between members). "
                   "Numbers are E.164",
    "device_switches": "handset swaps (same number, new IMEI) and SIM swaps (new number, same "
                       "handset IMEI)",
    "reopen_cases": "crimes closed without charge whose named suspects belong to an active "
                    "group",
    "corrupted_rows": "rows deliberately broken so ingest must quarantine them; row is "
                      "numbered as Lantern numbers it (CSV: header row 1, first data row 2; "
                      "JSON lines: first line 1); kind is missing_id, invalid_required, "
                      "extra_field, bad_bytes or bad_json",
    "victim_blaming": "records (file, event ref) with victim-blaming language and the phrase",
    "text_mentions": "values the generator wrote into free text (file, event ref, kind, value "
                     "normalised as an extractor should: phones E.164, VRMs without space; "
                     "as_written as the text has it); kind is phone, vrm, person, nickname, "
                     "premises or forename",
    "vehicles": "vehicles used by group members",
    "victim_phone_contacts": "group members saved in a victim's downloaded phone (devices.csv lists the exhibit)",
    "missing_vehicles": "a group vehicle read near where one of its victims was found, while she was missing",
    "premises": "named premises; group_ids lists the groups that use them",
    "devices": "seized phones whose downloads are in devices/",
    "force_practice": "each force's export layout and recording practice rates",
}


def render(summary: ScenarioSummary | None, rates: NoiseRates, shape: Shape) -> str:
    lines = ["# Ground truth for a synthetic Lantern scenario", ""]
    if summary is not None:
        lines += [f"Generated with seed {summary.seed}: {summary.people:,} people, "
                  f"{summary.forces} forces, {summary.groups} groups, {summary.victims} "
                  f"victims, {summary.decoys} decoys. All data is synthetic and fictional.", ""]
    lines += [
        "Identifiers cannot collide with real ones: postcodes use areas beginning with Q; "
        "VRMs begin with Z; phones come from Ofcom's drama ranges (07700 900000-900999 and "
        "the geographic 496/498/7946/2018/960 blocks), and once the 1,000 drama mobiles are "
        "used, mobiles continue in +44 7700 901000-999999 (so at most 100,000 mobiles; past "
        "that, background people have no mobile). IMEIs pass the Luhn check; IMSIs use MCC "
        "234.", "",
        "## Files", "",
        "| file | columns | what it holds |", "| --- | --- | --- |",
    ]
    for name, columns in TRUTH_FILES.items():
        lines.append(f"| {name}.csv | {', '.join(columns)} | {FILE_DOCS[name]} |")
    lines += ["", "## Noise and corruption rates (`lantern.synth.NoiseRates`)", "",
              "| rate | value | meaning |", "| --- | --- | --- |"]
    for name, value in rates.as_dict().items():
        lines.append(f"| {name} | {value} | {RATE_DOCS[name]} |")
    lines += ["", "## Planted structure (`lantern.synth.Shape`)", "",
              "| parameter | value | meaning |", "| --- | --- | --- |"]
    for name, shape_value in shape.as_dict().items():
        lines.append(f"| {name} | {shape_value} | {SHAPE_DOCS[name]} |")
    lines += ["", "Force recording practice (suspect ethnicity recorded, victim age missing, "
              "NFA despite a named suspect, victim-blaming language) is in force_practice.csv.",
              ""]
    return "\n".join(lines)


def write_readme(path: Path, summary: ScenarioSummary, rates: NoiseRates, shape: Shape) -> None:
    path.write_text(render(summary, rates, shape), encoding="utf-8")

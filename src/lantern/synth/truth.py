"""Ground truth: streamed CSV files in truth/ saying what the exports really contain."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

TRUTH_FILES: dict[str, tuple[str, ...]] = {
    "people": ("person_id", "is_child", "dob", "sex", "force", "ethnicity", "role",
               "forename", "surname", "household_id", "address", "postcode",
               "previous_address", "phone"),
    "record_to_person": ("source", "record_id", "person_id"),
    "groups": ("group_id", "person_id", "role", "force", "second_force"),
    "victims": ("person_id", "group_ids", "recruited_by", "force"),
    "decoys": ("person_id", "force", "missing_episodes"),
    "phone_owner": ("number", "person_id", "from", "to", "kind"),
    "device_switches": ("person_id", "date", "kind", "old_number", "new_number", "old_imei",
                        "new_imei", "old_imsi", "new_imsi"),
    "reopen_cases": ("source", "crime_ref", "group_id", "outcome", "suspect_ids", "reason"),
    "corrupted_rows": ("file", "row", "field", "kind"),
    "victim_blaming": ("source", "record_id", "phrase"),
    "text_mentions": ("source", "record_id", "kind", "value", "as_written"),
    "vehicles": ("vrm", "person_id", "group_id"),
    "victim_phone_contacts": ("exhibit", "victim_id", "person_id", "role", "group_id"),
    "missing_vehicles": ("episode_ref", "force", "person_id", "vrm", "group_id", "read_time"),
    "premises": ("premises_id", "force", "name", "address", "postcode", "premises_type",
                 "group_ids"),
    "devices": ("exhibit", "person_id", "number", "group_id"),
    "force_practice": ("force", "family", "delimiter", "encoding", "dob_format",
                       "suspect_ethnicity_recorded", "victim_age_missing", "nfa_with_suspect",
                       "victim_blaming"),
}


class Truth:
    """One open CSV writer per truth file; rows go straight to disk."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._files = {}
        self._writers: dict[str, Any] = {}
        for name, columns in TRUTH_FILES.items():
            fh = (folder / f"{name}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            self._files[name] = fh
            self._writers[name] = writer
        self.counts = dict.fromkeys(TRUTH_FILES, 0)

    def write(self, name: str, *values: object) -> None:
        self._writers[name].writerow(["" if v is None else v for v in values])
        self.counts[name] += 1

    def record(self, source: str, record_id: str, person_id: str) -> None:
        self.write("record_to_person", source, record_id, person_id)

    def corrupted(self, file: str, row: int, field: str, kind: str) -> None:
        self.write("corrupted_rows", file, row, field, kind)

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()

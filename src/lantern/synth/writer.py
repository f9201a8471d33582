"""One export file: writes rows in its layout, breaks a few on purpose, feeds the truth.

Rows are written as they are made (memory stays flat). A row the corruption rate picks is
broken in a way ingest must quarantine (blank id, invalid required value, a stray field,
bytes that do not decode, broken JSON) and listed in truth/corrupted_rows.csv with the row
number Lantern gives it: for CSV the header is row 1, for JSON lines the first line is row 1.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from pathlib import Path

from lantern.synth.layouts import Layout
from lantern.synth.truth import Truth

# A byte that does not decode in either encoding the scenario writes (0x81 is undefined in
# cp1252; 0xff never starts a UTF-8 sequence), written through surrogateescape.
_BAD_BYTE = {"utf-8": "\udcff", "cp1252": "\udc81"}


def _invalid(key: str) -> str:
    """A value for a required field that cleaning must refuse."""
    if "number" in key:
        return "n/a"
    if key.endswith(("name", "forenames", "surname")):
        return "???"
    if key == "call_date":
        return "00000000"
    return "00/00/0000"


class ExportWriter:
    def __init__(self, root: Path, layout: Layout, seed: int, corrupt_rate: float,
                 truth: Truth, dedupe: bool = True) -> None:
        self.layout = layout
        self.truth = truth
        self.corrupt_rate = corrupt_rate
        # Its own stream, so corruption never shifts what the population or events look like.
        self.rng = random.Random(f"{seed}:corrupt:{layout.profile}")
        path = root / layout.file
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("w", encoding=layout.encoding, errors="surrogateescape", newline="")
        self.jsonl = layout.fmt == "jsonl"
        self.writer = None
        if not self.jsonl:
            self.writer = csv.writer(self.fh, delimiter=layout.delimiter, lineterminator="\r\n")
            self.writer.writerow([layout.headers[k] for k in layout.keys])
        self.row = 1 if not self.jsonl else 0  # the number Lantern gives the last row written
        self.rows = 0
        self.seen: set[str] | None = set() if dedupe else None
        self._kinds = ["missing_id", "invalid_required", "bad_bytes"]
        self._kinds.append("bad_json" if self.jsonl else "extra_field")
        if not layout.required_keys or layout.kind == "cells":
            self._kinds.remove("invalid_required")

    def write(self, values: dict[str, str], persons: Iterable[tuple[str, str]] = ()) -> None:
        """Write one row; `persons` are (ref key, person id) pairs for truth/record_to_person."""
        self.row += 1
        self.rows += 1
        kind = None
        if self.corrupt_rate and self.rng.random() < self.corrupt_rate:
            kind = self.rng.choice(self._kinds)
            values = dict(values)
            self._corrupt(kind, values)
        for key, person_id in persons if kind != "bad_json" else ():
            # a half-written JSON line carries no readable record, so the truth omits it
            record_id = values.get(key, "")
            if not record_id:
                continue  # blanked by corruption: the export no longer carries it
            if self.seen is not None:
                if record_id in self.seen:
                    continue
                self.seen.add(record_id)
            self.truth.record(self.layout.file, record_id, person_id)
        cells = [values.get(k, "") for k in self.layout.keys]
        if self.jsonl:
            line = json.dumps(dict(zip(self.layout.headers.values(), cells, strict=True)),
                              ensure_ascii=False)
            if kind == "bad_json":
                line = line[: len(line) // 2]
            self.fh.write(line + "\n")
        else:
            if kind == "extra_field":
                cells.append("see notes")
            assert self.writer is not None
            self.writer.writerow(cells)

    def _corrupt(self, kind: str, values: dict[str, str]) -> None:
        layout = self.layout
        field = ""
        if kind == "missing_id":
            field = layout.headers[layout.id_key]
            values[layout.id_key] = ""
        elif kind == "invalid_required":
            field = layout.headers[layout.required_keys[0]]
            for key in layout.required_keys:
                values[key] = _invalid(key)
        elif kind == "bad_bytes":
            key = layout.keys[-1]
            field = layout.headers[key]
            values[key] = values.get(key, "") + _BAD_BYTE[layout.encoding]
        self.truth.corrupted(layout.file, self.row, field, kind)

    def close(self) -> None:
        self.fh.close()

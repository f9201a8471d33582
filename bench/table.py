"""One benchmark table: every script's figures, each beside its baseline measured in the same run.

A script calls :func:`emit` once at the end with its :class:`Figure` rows; that writes
``bench/out/<bench>.json`` (or under ``$LANTERN_BENCH_OUT``) with the date, the machine and the
command. ``bench/run.py`` (``make bench``) runs every script, gathers those files into
``bench/results.json`` and renders the markdown table the README's performance section is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from machine import describe  # bench/machine.py (the script's folder is on sys.path)

OUT_ENV = "LANTERN_BENCH_OUT"
DEFAULT_OUT = Path(__file__).resolve().parent / "out"
LOWER, HIGHER = "lower", "higher"


@dataclass
class Figure:
    """One measured figure. ``better`` says which way the figure improves; the ratio is always
    read as "times the baseline's cost" (above 1: Lantern is slower or bigger than the baseline)."""

    measure: str                       # what was measured, with its scale: "ingest 100,000 person rows"
    value: float
    unit: str                          # "s", "ms", "rows/s", "MiB", "F1", ...
    baseline: str = ""                 # what the baseline is: "plain sqlite3 executemany"
    baseline_value: float | None = None
    peak_mib: float | None = None      # Lantern's peak resident memory for this figure
    baseline_peak_mib: float | None = None
    better: str = LOWER
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # figures kept in the JSON, not the table

    @property
    def ratio(self) -> float | None:
        if self.baseline_value in (None, 0) or not self.value:
            return None
        assert self.baseline_value is not None
        if self.better == HIGHER:
            return self.baseline_value / self.value
        return self.value / self.baseline_value


def peak_mib(children: bool = False) -> float:
    """Peak resident memory of this process (or of its largest finished child) in MiB."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def out_dir() -> Path:
    folder = Path(os.environ.get(OUT_ENV) or DEFAULT_OUT)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def emit(bench: str, figures: list[Figure], scale: dict[str, Any], libraries: tuple[str, ...] = (),
         ) -> Path:
    """Write this script's figures for the table; returns the file written."""
    record = {
        "bench": bench,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": describe(*libraries),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "scale": scale,
        "figures": [dict(asdict(f), ratio=f.ratio) for f in figures],
    }
    path = out_dir() / f"{bench}.json"
    path.write_text(json.dumps(record, indent=2, default=str))
    print(f"figures for the benchmark table: {path}")
    return path

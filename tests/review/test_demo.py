"""Reopen leads, force consistency and the CLI on the demo scenario, checked against its truth."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from typer.testing import CliRunner

from lantern.cli import app
from lantern.review import cases_to_reopen, force_rates
from lantern.store import Workspace
from lantern.synth.forces import FORCES
from lantern.synth.layouts import force_layouts, header

from ..conftest import copy_workspace
from .conftest import truth_rows

RECALL_FLOOR = 0.8
runner = CliRunner()


def _read(demo: Path, fn):
    ws = Workspace(str(demo / "lantern.db"))
    try:
        with ws.reader() as conn:
            return fn(conn, ws.case_id(conn))
    finally:
        ws.dispose()


def test_planted_closed_cases_linked_to_active_groups_are_found(demo):
    planted = {r["crime_ref"] for r in truth_rows(demo, "reopen_cases")}
    leads = _read(demo, cases_to_reopen)
    found = {lead.crime for lead in leads}
    recall = len(planted & found) / len(planted)
    precision = len(planted & found) / len(found) if found else 0.0
    print(f"reopen leads: recall {recall:.2f} ({len(planted & found)}/{len(planted)}), precision {precision:.2f}")
    assert recall >= RECALL_FLOOR
    assert [lead.rank for lead in leads] == list(range(1, len(leads) + 1))
    assert all(lead.evidence and all(e.records for e in lead.evidence) for lead in leads)
    assert [lead.score for lead in leads] == sorted((lead.score for lead in leads), reverse=True)


def _file_rates(demo: Path) -> dict[str, dict[str, float]]:
    """Each force's rates read straight from its crimes export (not through the store)."""
    corrupted = {(r["file"], int(r["row"])) for r in truth_rows(demo, "corrupted_rows")}
    out: dict[str, dict[str, float]] = {}
    for force in FORCES[:3]:
        layout = force_layouts(force)["crimes"]
        col = {k: header(force.family, k) for k in ("crime_ref", "suspect_ref", "suspect_ethnicity", "victim_ref",
                                                     "victim_dob", "victim_age")}
        path = demo / "scenario" / layout.file
        rows = []
        with path.open(encoding=force.encoding, newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh, delimiter=force.delimiter), start=1):
                if (layout.file, n) not in corrupted:
                    rows.append(row)
        suspects = [r for r in rows if (r.get(col["suspect_ref"]) or "").strip()]
        aged: dict[str, bool] = defaultdict(bool)
        for r in rows:
            if (r.get(col["victim_ref"]) or "").strip():
                aged[r[col["crime_ref"]]] |= any((r.get(col[k]) or "").strip() for k in ("victim_dob", "victim_age"))
        out[force.name] = {
            "suspect_ethnicity_recorded": sum(bool((r.get(col["suspect_ethnicity"]) or "").strip())
                                              for r in suspects) / len(suspects),
            "victim_age_recorded": sum(aged.values()) / len(aged),
            "rows": len(rows), "corrupted": sum(1 for f, _ in corrupted if f == layout.file)}
    return out


def test_force_rates_equal_the_rates_in_the_exports_and_match_each_forces_practice(demo):
    rates = {f.force: f for f in _read(demo, force_rates)}
    from_files = _file_rates(demo)
    practice = {r["force"]: r for r in truth_rows(demo, "force_practice")}
    for force, expected in from_files.items():
        got = rates[force]
        # A corrupted row may still load (a rejected value), so allow one row's share for each.
        slack = (expected["corrupted"] + 1e-9) / max(1, got.suspect_rows)
        print(force, {k: round(v, 3) for k, v in got.rates.items() if v is not None}, "files:", expected)
        assert abs(got.rates["suspect_ethnicity_recorded"] - expected["suspect_ethnicity_recorded"]) <= slack
        assert abs(got.rates["victim_age_recorded"] - expected["victim_age_recorded"]) <= \
            (expected["corrupted"] + 1e-9) / max(1, got.victim_crimes)
        # The drawn practice rate, within four binomial standard errors of the observed share.
        p = float(practice[force]["suspect_ethnicity_recorded"])
        assert abs(got.rates["suspect_ethnicity_recorded"] - p) <= 4 * (p * (1 - p) / got.suspect_rows) ** 0.5 + 0.02
        mix = sum(got.rates[k] or 0 for k in ("charged", "no_further_action", "ongoing", "other_outcome"))
        assert abs(mix - 1) < 1e-9
    # The force that records suspect ethnicity least in practice records it least here too.
    worst = min(practice, key=lambda f: float(practice[f]["suspect_ethnicity_recorded"]))
    assert min(rates.values(), key=lambda f: f.rates["suspect_ethnicity_recorded"] or 0).force == worst


def _copy(demo: Path, tmp: Path) -> Path:
    copy_workspace(demo, tmp)
    return tmp


def test_the_review_command_prints_every_section_and_names_no_child(demo, tmp_path):
    ws = _copy(demo, tmp_path)
    chart, out_csv = tmp_path / "forces.png", tmp_path / "review.csv"
    result = runner.invoke(app, ["--db", f"sqlite:///{ws / 'lantern.db'}", "--user", "lead", "review",
                                 "--chart", str(chart), "--csv", str(out_csv)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for words in ("Findings by rule", "Closed cases worth reopening", "Consistency across forces", "Not checked"):
        assert words in result.output
    assert chart.stat().st_size > 0 and out_csv.stat().st_size > 0
    children = [(r["forename"], r["surname"]) for r in truth_rows(demo, "people") if r["is_child"] == "1"]
    text = result.output + out_csv.read_text(encoding="utf-8")
    assert not [f"{f} {s}" for f, s in children if f"{f} {s}".lower() in text.lower()]
    assert not [s for _, s in children if len(s) > 4 and s.upper() in text]
    bad = runner.invoke(app, ["--db", f"sqlite:///{ws / 'lantern.db'}", "--user", "lead", "review",
                              "--chart", str(tmp_path / "x.gif")])
    assert bad.exit_code == 1 and "chart file must end" in bad.output and "Traceback" not in bad.output

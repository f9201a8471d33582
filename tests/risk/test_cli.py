"""`lantern risk` through Typer's CliRunner: ranked children with reasons, the CSV, and no
child's real name anywhere unless revealed."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from lantern.cli import app
from lantern.commands.risk import CSV_COLUMNS
from lantern.export.tabular import write_csv
from tests.risk.conftest import truth_ids

runner = CliRunner()


def _victim_names(demo) -> list[str]:
    victims = truth_ids(demo, "victims")
    with (demo / "scenario" / "truth" / "people.csv").open() as fh:
        people = [r for r in csv.DictReader(fh) if r["person_id"] in victims]
    return [n for p in people for n in (f"{p['forename']} {p['surname']}", f"{p['surname']}, {p['forename']}")]


def test_risk_prints_ranked_children_and_writes_every_child_to_csv(demo, tmp_path):
    out = tmp_path / "risk.csv"
    base = ["--db", str(demo / "lantern.db"), "--user", "lead"]
    result = runner.invoke(app, [*base, "risk", "--limit", "5", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "Children at risk" in result.output and "group-tie +" in result.output
    assert result.output.count("[child ") + result.output.count("[victim ") >= 5
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["entity_id", "rank", "score", "reasons"]
    ranked = [r for r in rows[1:] if r[1]]
    assert [int(r[1]) for r in ranked] == list(range(1, len(ranked) + 1))
    assert len(rows) - 1 > len(ranked)  # children with no reason are written too, with score 0
    assert all(r[0].startswith(("[child ", "[victim ")) for r in rows[1:])
    assert all(" +" in r[3] and "[records " in r[3] for r in ranked)
    text = (result.output + out.read_text(encoding="utf-8")).casefold()
    leaked = [n for n in _victim_names(demo) if n.casefold() in text]
    assert not leaked


def test_reveal_needs_a_reason(demo):
    result = runner.invoke(app, ["--db", str(demo / "lantern.db"), "--user", "lead", "risk", "--reveal"])
    assert result.exit_code == 1 and "--reveal needs --reason" in result.output


def test_reveal_with_a_reason_shows_entity_ids_and_names(demo):
    result = runner.invoke(app, ["--db", str(demo / "lantern.db"), "--user", "lead", "risk", "--limit", "3",
                                 "--reveal", "--reason", "strategy meeting"])
    assert result.exit_code == 0, result.output
    assert "[child " not in result.output and "[victim " not in result.output
    assert any(n.casefold() in result.output.casefold() for n in _victim_names(demo))


def test_a_bad_weights_file_is_one_clear_line(demo, tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text("version: 1\nname: x\nreasons: {}\n", encoding="utf-8")
    result = runner.invoke(app, ["--db", str(demo / "lantern.db"), "--user", "lead", "risk", "--weights", str(bad)])
    assert result.exit_code == 1 and "no weights for reason kind(s)" in result.output
    assert "Traceback" not in result.output


def test_csv_cells_that_look_like_formulas_are_neutralised(tmp_path):
    path = tmp_path / "x.csv"
    write_csv(path, [["=HYPERLINK(1)", "1", "-2", "@SUM(A1)"]], CSV_COLUMNS)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(CSV_COLUMNS) and rows[1] == ["'=HYPERLINK(1)", "1", "'-2", "'@SUM(A1)"]
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # written beside it, then moved: no temporary left

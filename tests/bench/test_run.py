"""`make bench`: the one table from every script's figures, and the README generated from it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))  # the scripts import their neighbours (table, machine) by name


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


table, run = load("table"), load("run")


def record(bench: str, figures: list, machine: str = "2 cores (test CPU)") -> dict:
    return {"bench": bench, "date": "2026-11-26 12:00 UTC", "machine": machine,
            "command": f"{bench}.py --rows 10", "scale": {"rows": 10},
            "figures": [dict(vars(f), ratio=f.ratio) for f in figures]}


def test_ratio_reads_as_times_the_baseline_cost_whichever_way_better_is():
    slower = table.Figure("ingest", 6.0, "s", "sqlite3", 3.0)
    assert slower.ratio == pytest.approx(2.0)
    fewer_per_second = table.Figure("throughput", 50.0, "rows/s", "sqlite3", 100.0, better=table.HIGHER)
    assert fewer_per_second.ratio == pytest.approx(2.0)
    assert table.Figure("no baseline", 1.0, "s").ratio is None
    assert table.Figure("zero baseline", 1.0, "s", "x", 0.0).ratio is None


def test_the_table_shows_each_figure_beside_its_baseline_with_ratio_peak_date_and_command():
    results = {"ingest": record("ingest", [
        table.Figure("ingest 100,000 rows", 6.8, "s", "plain sqlite3 executemany", 3.2, peak_mib=199,
                     baseline_peak_mib=375),
        table.Figure("recall of planted cases", 1.0, "recall", better=table.HIGHER)])}
    text = run.render(results)
    assert "Machine: 2 cores (test CPU)." in text
    assert "2026-11-26 12:00 UTC" in text and "`bench/ingest.py --rows 10`" in text
    row = next(line for line in text.splitlines() if line.startswith("| ingest 100,000 rows"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == ["ingest 100,000 rows", "6.80 s", "plain sqlite3 executemany", "3.20 s", "2.12x",
                     "199 / 375", ""]
    recall = next(line for line in text.splitlines() if line.startswith("| recall"))
    assert "| - | - | - |" in recall  # no baseline, no ratio, no peak: dashes, not zeros


def test_scripts_on_different_machines_each_name_theirs():
    results = {"ingest": record("ingest", [table.Figure("a", 1, "s")], machine="machine one"),
               "synth": record("synth", [table.Figure("b", 1, "s")], machine="machine two")}
    text = run.render(results)
    assert "Machine:" not in text
    assert "machine one" in text and "machine two" in text


def test_the_readme_section_between_the_markers_is_replaced_and_nothing_else():
    readme = f"# Title\n\nintro\n\n{run.BEGIN}\nold table\n{run.END}\n\nafter\n"
    once = run.replace_section(readme, "| new |\n")
    assert "old table" not in once and "| new |" in once
    assert once.startswith("# Title\n\nintro\n\n") and once.endswith(f"{run.END}\n\nafter\n")
    assert run.replace_section(once, "| new |\n") == once
    with pytest.raises(SystemExit, match="no benchmark markers"):
        run.replace_section("# no markers\n", "| new |\n")


def test_the_readme_performance_table_is_the_committed_results_rendered():
    results = json.loads((BENCH / "results.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert run.replace_section(readme, run.render(results)) == readme
    for bench in results.values():  # every figure there carries its date and machine
        assert bench["date"] and bench["machine"] and bench["figures"]


def run_suite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH / "run.py"), "--results", str(tmp_path / "results.json"),
                           "--readme", str(tmp_path / "README.md"), "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, check=False, cwd=ROOT)


@pytest.mark.slow
def test_a_partial_run_replaces_its_scripts_figures_and_keeps_the_others(tmp_path):
    earlier = {"ingest": record("ingest", [table.Figure("ingest earlier", 6.8, "s", "sqlite3", 3.2)]),
               "synth": record("synth", [table.Figure("synth earlier", 99.0, "s")])}
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    (tmp_path / "README.md").write_text(f"# Lantern\n\n{run.BEGIN}\n{run.END}\n")

    done = run_suite(tmp_path, "--only", "synth", "--set", "synth=--people 300")
    assert done.returncode == 0, done.stdout + done.stderr

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["ingest"] == earlier["ingest"]
    assert results["synth"]["command"] == "synth.py --people 300"
    assert "synth earlier" not in json.dumps(results["synth"])
    readme = (tmp_path / "README.md").read_text()
    assert "ingest earlier" in readme and "synth.py --people 300" in readme
    assert (tmp_path / "out" / "table.md").read_text() in readme


@pytest.mark.slow
def test_a_failing_script_is_named_keeps_its_earlier_figures_and_fails_the_run(tmp_path):
    earlier = {"synth": record("synth", [table.Figure("synth earlier", 99.0, "s")])}
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    (tmp_path / "README.md").write_text(f"{run.BEGIN}\n{run.END}\n")

    done = run_suite(tmp_path, "--only", "synth", "--set", "synth=--people not-a-number")
    assert done.returncode == 1
    assert "failed: synth" in done.stdout
    assert json.loads((tmp_path / "results.json").read_text()) == earlier
    assert "synth.log" in done.stdout  # where to look


def test_unknown_benchmarks_are_refused_by_name(tmp_path):
    done = run_suite(tmp_path, "--only", "nosuch")
    assert done.returncode == 2
    assert "no such benchmark: nosuch" in done.stderr


def test_counts_read_as_counts_and_scores_keep_three_decimals():
    assert run.number(0.0, "errors") == "0"
    assert run.number(3440.0, "events") == "3,440"
    assert run.number(1.0, "recall") == "1.000"
    assert run.number(0.9962, "F1") == "0.996"
    assert run.number(0.003, "s") == "0.003"
    assert run.number(6.8, "s") == "6.80"


def test_render_only_rewrites_the_readme_from_the_results_and_runs_nothing(tmp_path):
    results = {"synth": record("synth", [table.Figure("synth earlier", 99.0, "s")])}
    (tmp_path / "results.json").write_text(json.dumps(results))
    (tmp_path / "README.md").write_text(f"{run.BEGIN}\nstale\n{run.END}\n")
    done = run_suite(tmp_path, "--render-only")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "results.json").read_text()) == results
    readme = (tmp_path / "README.md").read_text()
    assert "stale" not in readme and "synth earlier" in readme
    assert not (tmp_path / "out" / "synth.log").exists()


def test_adopt_takes_a_hand_run_scripts_figures_and_keeps_the_rest(tmp_path):
    earlier = {"national": record("national", [table.Figure("national earlier", 9.0, "s")]),
               "synth": record("synth", [table.Figure("synth earlier", 99.0, "s")])}
    (tmp_path / "results.json").write_text(json.dumps(earlier))
    (tmp_path / "README.md").write_text(f"{run.BEGIN}\n{run.END}\n")
    (tmp_path / "out").mkdir()
    by_hand = record("national", [table.Figure("national 1,000,000 people", 3600.0, "s")])
    (tmp_path / "out" / "national.json").write_text(json.dumps(by_hand))

    done = run_suite(tmp_path, "--adopt", "national")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results == {"national": by_hand, "synth": earlier["synth"]}
    readme = (tmp_path / "README.md").read_text()
    assert "national 1,000,000 people" in readme and "national earlier" not in readme
    assert not (tmp_path / "out" / "synth.log").exists()  # nothing ran


def test_adopt_refuses_a_script_with_no_figures_to_take(tmp_path):
    (tmp_path / "README.md").write_text(f"{run.BEGIN}\n{run.END}\n")
    done = run_suite(tmp_path, "--adopt", "national")
    assert done.returncode == 2
    assert "nothing to adopt" in done.stderr and "national.json" in done.stderr


def test_full_scale_figures_are_kept_beside_the_quick_ones(tmp_path):
    quick = {"national": record("national", [table.Figure("national 8,000 people", 9.0, "s")])}
    (tmp_path / "results.json").write_text(json.dumps(quick))
    (tmp_path / "README.md").write_text(f"{run.BEGIN}\n{run.END}\n")
    (tmp_path / "out").mkdir()
    full = record("national", [table.Figure("national 1,000,000 people", 3600.0, "s")])
    (tmp_path / "out" / "national.json").write_text(json.dumps(full))

    done = run_suite(tmp_path, "--adopt", "national", "--scale", "full")
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results == {"national": quick["national"], "national@full": full}
    readme = (tmp_path / "README.md").read_text()
    assert readme.index("national 8,000 people") < readme.index("**national** (full scale)") \
        < readme.index("national 1,000,000 people")

"""bench/national.py's arithmetic: partition parity, the adjusted Rand index, growth exponents.

No timing is asserted: the stages' figures are made up here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))  # the script imports its neighbour `table` by name


def _load():
    spec = importlib.util.spec_from_file_location("bench_national", BENCH / "national.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


national = _load()


def test_same_partition_ignores_labels():
    a = {1: "P1", 2: "P1", 3: "P3", 4: "P4"}
    b = {1: "X", 2: "X", 3: "Y", 4: "Z"}
    assert national.same_partition(a, b)
    assert national.adjusted_rand(a, b) == pytest.approx(1.0)


def test_a_split_is_not_the_same_partition():
    a = {1: "P1", 2: "P1", 3: "P1", 4: "P4", 5: "P5", 6: "P5"}
    b = {1: "P1", 2: "P1", 3: "P3", 4: "P4", 5: "P5", 6: "P5"}
    assert not national.same_partition(a, b)
    assert not national.same_partition(b, a)
    assert 0.0 < national.adjusted_rand(a, b) < 1.0
    assert not national.same_partition(a, {k: v for k, v in a.items() if k != 6})


def test_adjusted_rand_matches_a_worked_example():
    # contingency [[2,1],[0,2]]: sum C(nij,2)=2, rows 3+1=4, cols 1+3=4, C(5,2)=10
    # expected 1.6, max 4, ARI (2-1.6)/(4-1.6) = 1/6
    a = {1: "a", 2: "a", 3: "a", 4: "b", 5: "b"}
    b = {1: "x", 2: "x", 3: "y", 4: "y", 5: "y"}
    assert national.adjusted_rand(a, b) == pytest.approx(1 / 6)


def _stage(name: str, seconds: float, cpu: float, mib: float):
    return national.Stage(name, seconds, mib, mib, "log", cpu)


def _result(people: int, factor: float) -> dict:
    stages = {n: _stage(n, 2 + 10 * factor, 1 + 10 * factor, 100 * factor) for n in national.STAGES}
    return {"people": people, "stages": stages, "startup": _stage("(start-up)", 2, 1, 50),
            "counts": {"records": 10 * people}}


def test_growth_exponents_and_extrapolation():
    rows = national.growth([_result(1000, 1.0), _result(4000, 4.0)])
    assert {r["stage"] for r in rows} == set(national.STAGES)
    for r in rows:
        assert r["time_net"] == pytest.approx(1.0)
        assert r["cpu_net"] == pytest.approx(1.0)
        assert r["cpu_net_by_records"] == pytest.approx(1.0)
        assert r["memory"] == pytest.approx(1.0)
        assert r["time"] < 1.0  # the fixed start-up flattens the raw figure
        assert r["extrapolated_s"] == pytest.approx(42 * 250)


def test_growth_never_extrapolates_below_linear():
    rows = national.growth([_result(1000, 1.0), _result(4000, 1.5)])
    assert all(r["k_used"] == 1.0 for r in rows)
    assert national.exponent(0, 1, 1, 2) is None


def test_an_earlier_runs_figures_read_back_as_the_stages_that_made_them():
    """--again rebuilds the earlier run from its figures file, then measures some stages anew."""
    import dataclasses

    def scale(people: int, factor: float) -> dict:
        r = _result(people, factor)
        r["stages"]["calls"].extra = {"cdr_rows": 50 * people, "calls_per_person": 50, "cdr_bytes": 1}
        r["stages"]["network"].failed = "exited 1: too many SQL variables"
        r["duckdb"] = national.Stage("(duckdb)", 0.5, 90, 90, "", 0.4, {"rows": 7})
        r["duckdb_calls"] = national.Stage("(duckdb calls)", 0.2, 80, 80, "", 0.2, {"rows": 50 * people})
        r["counts"] = {"records": 10 * people}
        return r

    results = [scale(1000, 1.0), scale(4000, 4.0)]
    results[1]["spark"] = national.Stage("resolve on Spark", 99.0, 500, 2000, "", 9.0)
    results[1]["parity"] = {"identical": True, "ari": 1.0}
    written = {"scale": {"people": [1000, 4000], "counts": {"1000": {"records": 1}, "4000": {"records": 4}}},
               "figures": [dict(dataclasses.asdict(f), ratio=f.ratio)
                           for f in national.figures(results, national.growth(results))]}
    back = national.from_figures(written)
    assert [r["people"] for r in back] == [1000, 4000]
    for before, after in zip(results, back, strict=True):
        assert set(after["stages"]) == set(national.STAGES)
        for name, stage in before["stages"].items():
            got = after["stages"][name]
            assert got.failed == stage.failed
            if not stage.failed:
                assert (got.seconds, got.cpu_seconds, got.peak_mib, got.tree_peak_mib) == pytest.approx(
                    (stage.seconds, stage.cpu_seconds, stage.peak_mib, stage.tree_peak_mib))
        assert after["duckdb"].seconds == pytest.approx(0.5)
    assert back[1]["spark"].seconds == pytest.approx(99.0) and back[1]["parity"]["identical"]
    assert back[1]["stages"]["calls"].extra["cdr_rows"] == 200_000

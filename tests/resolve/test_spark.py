"""The Spark engine runs the same person model as DuckDB and gives the same clusters.

pyspark runs in local mode on two cores (the whole module takes about two minutes). The tests
are skipped only when pyspark or Java is missing.
"""

from __future__ import annotations

import os
import shutil
import sys
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lantern.cli import app
from lantern.errors import LanternError
from lantern.resolve import model, service
from lantern.resolve import spark as spark_engine
from lantern.resolve.features import person_records
from lantern.store import Workspace

pytestmark = pytest.mark.slow
HAVE_JAVA = bool(shutil.which("java") or os.environ.get("JAVA_HOME"))
try:
    import pyspark  # noqa: F401
    HAVE_PYSPARK = True
except ImportError:
    HAVE_PYSPARK = False
needs_spark = pytest.mark.skipif(not (HAVE_PYSPARK and HAVE_JAVA),
                                 reason="the Spark engine needs pyspark (pip install 'lantern[spark]') "
                                        "and Java 17+" + ("" if HAVE_JAVA else ": no java found"))
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def local_spark():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(spark_engine.MASTER_ENV, "local[2]")
        mp.setenv(spark_engine.PARTITIONS_ENV, "8")
        yield


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    """Two forces, 1,500 people: their Person-bearing exports ingested into one workspace."""
    from lantern.ingest.loader import ingest_file
    from lantern.ingest.profile import load_profile
    from lantern.synth import generate

    out = tmp_path_factory.mktemp("spark")
    summary = generate(out / "scenario", forces=2, people=1500, seed=3)
    made = runner.invoke(app, ["--db", str(out / "lantern.db"), "--user", "lead", "init"])
    assert made.exit_code == 0, made.output
    workspace = Workspace(str(out / "lantern.db"))
    for entry in summary.files:
        if entry["force"] != "national":
            ingest_file(workspace, out / "scenario" / entry["file"], load_profile(entry["profile"]),
                        user="lead")
    workspace.dispose()
    return out


def records_of(db: Path) -> list[Any]:
    workspace = Workspace(str(db))
    with workspace.reader() as conn:
        records = list(person_records(conn, workspace.case_id(conn)))
    workspace.dispose()
    return records


def partition(records: list[Any], pairs: list[dict[str, Any]]) -> dict[int, str]:
    return service._cluster(records, pairs, service.DEFAULT_THRESHOLD, {}).entity_of


def test_a_model_moves_between_engines_with_its_parameters():
    trained = model.settings(prior=0.001).create_settings_dict("duckdb")
    trained["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.8
    on_spark = model.for_engine(trained, "spark")
    assert on_spark["sql_dialect"] == "spark"
    assert on_spark["comparisons"][0]["comparison_levels"][1]["m_probability"] == 0.8
    conditions = [lv["sql_condition"] for c in on_spark["comparisons"] for lv in c["comparison_levels"]]
    assert not any("jaro_winkler_similarity" in c or "list_intersect" in c for c in conditions)
    assert any("size(array_intersect(phones_l, phones_r)) > 0" in c for c in conditions)
    back = model.for_engine(on_spark, "duckdb")
    assert back["comparisons"] == trained["comparisons"] and back["sql_dialect"] == "duckdb"


def test_without_pyspark_the_engine_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(LanternError, match=r"pip install 'lantern\[spark\]'"):
        spark_engine.session()


@needs_spark
@pytest.mark.parametrize("similarity", spark_engine.SIMILARITIES)
def test_spark_jaro_winkler_is_duckdbs_to_the_last_bit(similarity, monkeypatch):
    import duckdb
    import pyarrow as pa

    monkeypatch.setenv(spark_engine.SIMILARITY_ENV, similarity)
    names = ["mcdonaldson", "macdonaldson", "abena", "anna", "smith", "smyth", "aaliyah", "kayleigh",
             "mohammed", "muhammad", "lukasz", "łukasz", "a", "b", "ab", "ba", "christopher", "kristoffer",
             "oneil", "o neil", "王伟", "王芳", "jones", "joney", "", None]
    pairs = pa.table({"a": [a for a, _ in product(names, names)], "b": [b for _, b in product(names, names)]})
    con = duckdb.connect()
    con.register("pairs", pairs)
    expected = {(a, b): jw for a, b, jw in con.execute(
        "SELECT a, b, jaro_winkler_similarity(a, b) FROM pairs").fetchall()}
    spark = spark_engine.session()
    jaro_winkler = spark_engine.jaro_winkler("a", "b")
    assert jaro_winkler.startswith(spark_engine.UDF_NAME) == (similarity == "duckdb")
    found = {(r.a, r.b): r.jw for r in spark.createDataFrame(pairs).selectExpr(
        "a", "b", jaro_winkler + " AS jw").collect()}
    assert found == expected


def test_jaro_winkler_runs_in_duckdb_on_a_local_master_and_in_spark_sql_on_a_cluster(monkeypatch):
    monkeypatch.delenv(spark_engine.SIMILARITY_ENV, raising=False)
    assert spark_engine.similarity("local[4]") == "duckdb"
    assert spark_engine.similarity("spark://cluster:7077") == "sql"  # executors may have no Python packages
    assert spark_engine.similarity("yarn") == "sql"
    monkeypatch.setenv(spark_engine.SIMILARITY_ENV, "duckdb")
    assert spark_engine.similarity("yarn") == "duckdb"
    assert spark_engine.jaro_winkler("a", "b") == f"{spark_engine.UDF_NAME}(a, b)"
    monkeypatch.setenv(spark_engine.SIMILARITY_ENV, "sql")
    assert "aggregate(" in spark_engine.jaro_winkler("a", "b")
    monkeypatch.setenv(spark_engine.SIMILARITY_ENV, "rapidfuzz")
    with pytest.raises(LanternError, match="LANTERN_SPARK_SIMILARITY='rapidfuzz': choose one of duckdb, sql"):
        spark_engine.similarity()


@needs_spark
def test_a_session_already_running_decides_and_gets_the_function(monkeypatch):
    """Under spark-submit the session exists before Lantern asks: its master counts, not
    LANTERN_SPARK_MASTER, and the UDF is registered on it."""
    monkeypatch.delenv(spark_engine.SIMILARITY_ENV, raising=False)
    spark = spark_engine.session()  # local[2], from the module's fixture
    monkeypatch.setenv(spark_engine.MASTER_ENV, "spark://elsewhere:7077")
    assert spark_engine.similarity() == "duckdb"
    spark.sql(f"DROP TEMPORARY FUNCTION IF EXISTS {spark_engine.UDF_NAME}")
    assert not spark.catalog.functionExists(spark_engine.UDF_NAME)
    assert spark_engine.session() is spark
    assert spark.sql(f"SELECT {spark_engine.UDF_NAME}('smith', 'smyth') AS jw").first().jw > 0.85


@needs_spark
@pytest.mark.parametrize("similarity", spark_engine.SIMILARITIES)
def test_spark_scores_the_same_model_into_the_same_clusters(scenario, similarity, monkeypatch):
    monkeypatch.setenv(spark_engine.SIMILARITY_ENV, similarity)
    records = records_of(scenario / "lantern.db")
    rows = [r.features() for r in records]
    on_duckdb = model.score([dict(r) for r in rows])
    on_spark = model.score([dict(r) for r in rows], engine="spark", model=on_duckdb.model)
    assert on_spark.model["sql_dialect"] == "spark"

    def key(pair: dict[str, Any]) -> tuple[Any, ...]:
        return (pair["unique_id_l"], pair["unique_id_r"], pair["match_weight"],
                *(pair[f"gamma_{c}"] for c in service.COMPARISONS))

    # Same pairs, same levels, same match weights to the last bit; so the same clusters.
    assert len(on_duckdb.pairs) > 1000
    assert [key(p) for p in on_spark.pairs] == [key(p) for p in on_duckdb.pairs]
    assert partition(records, on_spark.pairs) == partition(records, on_duckdb.pairs)


@needs_spark
def test_lantern_resolve_engine_spark(scenario):
    db = scenario / "lantern.db"
    base = ["--db", str(db), "--user", "lead"]
    on_duckdb = runner.invoke(app, [*base, "resolve"])
    assert on_duckdb.exit_code == 0, on_duckdb.output
    on_spark = runner.invoke(app, [*base, "resolve", "--engine", "spark"])
    assert on_spark.exit_code == 0, on_spark.output
    workspace = Workspace(str(db))
    with workspace.reader() as conn:
        duck_run, spark_run = conn.exec_driver_sql(
            "SELECT id, engine FROM resolution_runs WHERE schema = 'Person' ORDER BY id").all()[-2:]
        assert (duck_run.engine, spark_run.engine) == ("duckdb", "spark")
        a, b = conn.exec_driver_sql(
            "SELECT record_a, record_b FROM resolution_pairs WHERE run_id = ? "
            "ORDER BY match_weight DESC LIMIT 1", (spark_run.id,)).first()
        duck_clusters, spark_clusters = service.entity_of(conn, duck_run.id), service.entity_of(conn, spark_run.id)
    workspace.dispose()
    # Trained on Spark: the same steps over the same pairs (u from one sample of records, EM on
    # the same blocks), so the same clusters.
    assert spark_clusters == duck_clusters
    # A run made on Spark is explained (in DuckDB) from its stored model.
    explained = runner.invoke(app, [*base, "explain", str(a), str(b)])
    assert explained.exit_code == 0, explained.output
    assert "Match probability" in explained.output


@needs_spark
def test_both_engines_train_em_on_the_same_sample_of_records(scenario, monkeypatch):
    import duckdb

    condition = model.em_sample(100_000, 30_000)
    assert condition is not None
    one_side = condition.split(" AND ")[0]
    spark = spark_engine.session()
    kept = "SELECT l.unique_id FROM (SELECT {} AS unique_id FROM range(1, 100001)) l WHERE " + one_side  # noqa: S608
    on_spark = {row.unique_id for row in spark.sql(kept.format("id")).collect()}
    on_duckdb = {i for (i,) in duckdb.sql(kept.format("range")).fetchall()}
    assert on_spark == on_duckdb and abs(len(on_duckdb) - 30_000) < 600

    records = records_of(scenario / "lantern.db")
    rows = [r.features() for r in records]
    monkeypatch.setattr(model, "EM_MAX_RECORDS", len(rows) // 2)
    on_duckdb_trained = model.score([dict(r) for r in rows])
    on_spark_trained = model.score([dict(r) for r in rows], engine="spark")
    for ours, theirs in zip(on_duckdb_trained.model["comparisons"], on_spark_trained.model["comparisons"],
                            strict=True):
        for a, b in zip(ours["comparison_levels"], theirs["comparison_levels"], strict=True):
            # u from the same sample of records (counted in DuckDB for both); m from EM over the
            # same sampled pairs, summed in another order.
            assert a.get("u_probability") == b.get("u_probability")
            assert a.get("m_probability", 0) == pytest.approx(b.get("m_probability", 0), abs=1e-9)
    assert partition(records, on_spark_trained.pairs) == partition(records, on_duckdb_trained.pairs)

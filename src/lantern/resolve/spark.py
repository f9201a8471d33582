"""Running the person model on Apache Spark: the session, and Spark SQL for DuckDB's Jaro-Winkler.

pyspark is optional (``pip install 'lantern[spark]'``) and imported only when the Spark engine
runs. The session is the one already active (``spark-submit``, Databricks) or one built from
the environment:

* ``LANTERN_SPARK_MASTER``: the master URL (default ``local[*]``; ``spark://host:7077``,
  ``yarn``, ``k8s://...`` for a cluster);
* ``LANTERN_SPARK_PARTITIONS``: ``spark.sql.shuffle.partitions`` (default 8 on a local master,
  Spark's own default elsewhere);
* ``LANTERN_SPARK_CHECKPOINT_DIR``: where Splink writes its intermediate tables as parquet
  (default a temporary folder, removed after the run; on a cluster, storage every executor
  reaches, such as ``hdfs:///tmp/lantern``);
* ``LANTERN_SPARK_SIMILARITY``: how Spark computes the model's Jaro-Winkler. ``duckdb`` (the
  default on a local master) hands batches of name pairs to DuckDB's own function in Spark's
  Python workers (an Arrow UDF): the same numbers by construction and several times faster,
  but every executor's Python needs the duckdb and pyarrow packages. ``sql`` (the default
  elsewhere) is the same algorithm in Spark's built-in SQL: executors need only Spark.

Any other Spark setting comes the usual way (``spark-defaults.conf``, ``PYSPARK_SUBMIT_ARGS``).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import pyarrow as pa

from lantern.errors import LanternError

MASTER_ENV = "LANTERN_SPARK_MASTER"
PARTITIONS_ENV = "LANTERN_SPARK_PARTITIONS"
CHECKPOINT_ENV = "LANTERN_SPARK_CHECKPOINT_DIR"
SIMILARITY_ENV = "LANTERN_SPARK_SIMILARITY"
SIMILARITIES = ("duckdb", "sql")
UDF_NAME = "lantern_jaro_winkler"
NEEDS_PYSPARK = "the Spark engine needs pyspark: pip install 'lantern[spark]'"


def session() -> Any:
    """The active SparkSession, or a new one configured from the environment."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise LanternError(NEEDS_PYSPARK) from exc
    logging.getLogger("py4j").setLevel(logging.ERROR)
    spark = SparkSession.getActiveSession() or _new_session(SparkSession)
    if similarity() == "duckdb":
        _register_duckdb_jaro_winkler(spark)
    return spark


def _new_session(spark_session: Any) -> Any:
    master = _master()
    # Whole-stage code generation gives up on the comparison expressions (too large for one
    # Java method) after trying for seconds, then runs them interpreted anyway: skip the try.
    builder = (spark_session.builder.appName("lantern-resolve").master(master)
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.codegen.wholeStage", "false"))
    partitions = os.environ.get(PARTITIONS_ENV) or ("8" if master.startswith("local") else None)
    if partitions:
        builder = builder.config("spark.sql.shuffle.partitions", partitions)
    if master.startswith("local"):
        # Python workers run this interpreter (pyspark reads only the environment for it), so
        # they import what Lantern imports.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # no Java, or a master that cannot be reached
        raise LanternError(f"could not start Spark ({master}): {exc}. The Spark engine needs "
                           f"Java 17 or newer, and {MASTER_ENV} naming a reachable master") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _master() -> str:
    """The active session's master (``spark-submit``), else the one Lantern would start."""
    try:
        from pyspark.sql import SparkSession
        active = SparkSession.getActiveSession()
    except ImportError:
        active = None
    return str(active.sparkContext.master) if active is not None else os.environ.get(MASTER_ENV, "local[*]")


def similarity(master: str | None = None) -> str:
    """How Jaro-Winkler is computed on Spark (``duckdb``, an Arrow UDF, or ``sql``) under
    ``master`` (default: the master that runs, or would run, the model)."""
    local = (master or _master()).startswith("local")
    chosen = os.environ.get(SIMILARITY_ENV) or ("duckdb" if local else "sql")
    if chosen not in SIMILARITIES:
        raise LanternError(f"{SIMILARITY_ENV}={chosen!r}: choose one of {', '.join(SIMILARITIES)}")
    return chosen


def jaro_winkler(a: str, b: str) -> str:
    """DuckDB's ``jaro_winkler_similarity(a, b)`` as the Spark engine computes it."""
    return f"{UDF_NAME}({a}, {b})" if similarity() == "duckdb" else jaro_winkler_sql(a, b)


def duckdb_jaro_winkler() -> Callable[[pa.Array, pa.Array], pa.Array]:
    """A function for Spark's Python workers: one Arrow batch of pairs through DuckDB's own
    Jaro-Winkler. A closure, so Spark ships it whole: workers need DuckDB and pyarrow, not
    Lantern."""
    import duckdb

    connection: list[Any] = []  # one per worker process: Spark already runs a task per core

    def jaro_winkler_similarity(a: pa.Array, b: pa.Array) -> pa.Array:
        if not connection:
            connection.append(duckdb.connect(config={"threads": 1}))
        pairs = connection[0].from_arrow(pa.table({"a": a, "b": b}))
        return pairs.select("jaro_winkler_similarity(a, b) AS s").to_arrow_table().column("s").combine_chunks()

    return jaro_winkler_similarity


def _register_duckdb_jaro_winkler(spark: Any) -> None:
    from pyspark.sql.pandas.functions import arrow_udf
    from pyspark.sql.types import DoubleType

    # (pyspark's stubs know only functions whose hints it can read, not a closure's)
    spark.udf.register(UDF_NAME, arrow_udf(duckdb_jaro_winkler(), DoubleType()))  # type: ignore[call-overload]


@contextmanager
def checkpoint_dir(spark: Any) -> Iterator[str]:
    """A fresh folder for Splink's intermediate parquet; a temporary one is removed afterwards."""
    base = os.environ.get(CHECKPOINT_ENV)
    made = None if base else tempfile.mkdtemp(prefix="lantern-spark-")
    path = f"{(base or made or '').rstrip('/')}/run-{uuid.uuid4().hex[:12]}"
    spark.sparkContext.setCheckpointDir(path)
    try:
        yield path
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)


_TWO_53, _TWO_55, _TWO_56 = 2 ** 53, 2 ** 55, 2 ** 56


def jaro_winkler_sql(a: str, b: str) -> str:
    """DuckDB's ``jaro_winkler_similarity(a, b)`` in Spark SQL, equal to the last bit.

    Splink's Spark jar has a Jaro-Winkler too, but it is another function: transpositions are
    not rounded down and the prefix boost shrinks for strings over ten characters (McDonaldson
    and MacDonaldson: 0.907 there, 0.920 in DuckDB), so levels cut at 0.92 and 0.88 would fire
    for other pairs. This is DuckDB's algorithm (rapidfuzz): for each character of ``b`` in
    turn, the first unmatched equal character of ``a`` within the window; transpositions are
    halved with integer division; the Winkler boost (0.1 per common prefix character, at most
    four, when Jaro is above 0.7) is added in one rounding, as DuckDB's fused multiply-add does.
    That last step is done exactly in integers: Jaro j = K / 2^53 and the boost weight
    w = A / 2^56, so j + w (1 - j) = (K 2^56 + A (2^53 - K)) / 2^109, rounded half to even.
    Only built-in functions are used: executors need nothing installed beyond Spark.
    """
    window = ("IF(greatest(1, j - s.bound) <= least(s.lp, j + s.bound), "
              "sequence(greatest(1, j - s.bound), least(s.lp, j + s.bound)), array())")
    step = (f"(acc, j) -> element_at(transform(array(array_min(filter({window}, i -> "
            "NOT element_at(acc.used, i) AND substr(s.p, i, 1) = substr(s.t, j, 1)))), k -> "
            "IF(k IS NULL, acc, named_struct('used', transform(acc.used, (u, i) -> u OR i + 1 = k), "
            "'tm', concat(acc.tm, array(substr(s.t, j, 1)))))), 1)")
    jaro = ("(CAST(r.m AS DOUBLE) / s.lp + CAST(r.m AS DOUBLE) / s.lt "
            "+ CAST(r.m - r.half AS DOUBLE) / r.m) / CAST(3 AS DOUBLE)")
    prefix = " ".join(f"WHEN substr(s.p, 1, {n}) = substr(s.t, 1, {n}) THEN {n}" for n in (4, 3, 2, 1))
    weight = " ".join(f"WHEN {n} THEN {int(Fraction(n * 0.1) * _TWO_56)}" for n in (1, 2, 3, 4))
    numerator = (f"CAST(w.k AS DECIMAL(38, 0)) * {_TWO_56} + CAST(CASE w.p {weight} ELSE 0 END "
                 f"AS DECIMAL(38, 0)) * CAST({_TWO_53} - w.k AS DECIMAL(38, 0))")
    rounded = (f"(CAST(v.q AS DOUBLE) + CASE WHEN v.r > {_TWO_55} THEN 1 WHEN v.r < {_TWO_55} THEN 0 "
               f"ELSE v.q % 2 END) / CAST({_TWO_53} AS DOUBLE)")
    fused = (f"element_at(transform(array(named_struct('n', {numerator})), z -> element_at(transform("
             f"array(named_struct('q', CAST((z.n - z.n % {_TWO_56}) / {_TWO_56} AS BIGINT), "
             f"'r', z.n % {_TWO_56})), v -> {rounded}), 1)), 1)")
    winkler = (f"element_at(transform(array(named_struct('x', {jaro}, 'p', CASE {prefix} ELSE 0 END)), "
               f"x -> IF(x.x > CAST(0.7 AS DOUBLE) AND x.p > 0, element_at(transform(array(named_struct("
               f"'k', CAST(x.x * CAST({_TWO_53} AS DOUBLE) AS BIGINT), 'p', x.p)), w -> {fused}), 1), "
               "x.x)), 1)")
    finish = ("acc -> element_at(transform(array(named_struct('m', size(acc.tm), 'tm', acc.tm, 'pm', "
              "transform(filter(sequence(1, s.lp), i -> element_at(acc.used, i)), i -> substr(s.p, i, 1)))), "
              "q -> element_at(transform(array(named_struct('m', q.m, 'half', IF(q.m = 0, 0, "
              "floor(size(filter(sequence(1, q.m), k -> element_at(q.pm, k) != element_at(q.tm, k))) / 2)))), "
              f"r -> IF(r.m = 0, CAST(0 AS DOUBLE), {winkler})), 1)), 1)")
    body = ("CASE WHEN s.lp = 0 OR s.lt = 0 THEN CAST(0 AS DOUBLE) "
            "WHEN s.lp = 1 AND s.lt = 1 THEN IF(s.p = s.t, CAST(1 AS DOUBLE), CAST(0 AS DOUBLE)) "
            "ELSE aggregate(sequence(1, s.lt), named_struct('used', array_repeat(false, s.lp), "
            f"'tm', CAST(array() AS ARRAY<STRING>)), {step}, {finish}) END")
    bind = (f"named_struct('p', {a}, 't', {b}, 'lp', length({a}), 'lt', length({b}), "
            f"'bound', CAST(floor(greatest(length({a}), length({b})) / 2) AS INT) - 1)")
    return (f"(CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL "
            f"ELSE element_at(transform(array({bind}), s -> {body}), 1) END)")

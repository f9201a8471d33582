"""The Splink model for people in police records: comparisons, blocking, training, scoring.

Comparisons are built on Splink's comparison-level library, with levels that fit police
records: names in either order, nicknames and transliterations, initials; dates of birth
keyed with day and month swapped, a year off by one, or known only as a year; shared phones,
postcodes and addresses. Parameters are estimated from the data each run (u from every pair
of a sample of records, m by expectation maximisation, over a sample of records in a large
case; both samples chosen by record id, so every engine trains on the same pairs) and the model
is kept as Splink's JSON, never a pickle, with the algorithm version that made it.

The same model runs on DuckDB (one machine) or Apache Spark (a cluster): conditions are
written in DuckDB SQL, and the few expressions Spark SQL writes differently are rewritten for
it (``_DIALECT_SQL``), so both engines put each pair in the same level.
"""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import And, CustomRule
from splink.internals.dialects import SplinkDialect
from splink.internals.exceptions import EMTrainingException

from lantern import analytics
from lantern.errors import LanternError
from lantern.resolve import spark as spark_engine

ALGORITHM_VERSION = "lantern-people-v1"
COMPARISON_NAMES = ("name", "dob", "phones", "address", "gender")
# The columns of a scored pair that Lantern keeps (all names come from Splink's settings).
PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_weight", "match_probability",
                *(f"gamma_{c}" for c in COMPARISON_NAMES), *(f"mw_{c}" for c in COMPARISON_NAMES))
# Pairs scored below this are not kept at all; clustering uses its own, higher threshold.
KEEP_PAIRS_ABOVE = 0.2
FEATURE_COLUMNS = ("unique_id", "source_key", "forename", "surname", "forename_canonical",
                   "forename_phonetic", "surname_phonetic", "full_name", "alias", "dob", "dob_year",
                   "dob_month", "dob_day", "gender", "phones", "phone1", "postcode",
                   "postcode_sector", "address", "email")
ENGINES = ("duckdb", "spark")
# EM learns m from the pairs in its training blocks, and those grow with the square of the
# records (126M surname-and-forename pairs at 1.3M records: EM's iterations outlasted scoring on
# Spark). Above this many records EM trains on a fixed sample of them; the scoring still sees
# every record.
EM_MAX_RECORDS = 400_000
_SAMPLE_MODULUS = 1_000_003  # a prime

# The few DuckDB expressions that another engine writes differently; every other condition
# (=, IS NULL, AND/OR, abs, left) is the same SQL on both. Keys are Splink dialect names.
_DIALECT_SQL: dict[str, tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...]] = {
    "duckdb": (),
    "spark": (
        (re.compile(r"jaro_winkler_similarity\((\w+), (\w+)\)"),
         lambda m: spark_engine.jaro_winkler(m[1], m[2])),
        (re.compile(r"len\(list_intersect\((\w+), (\w+)\)\)"),
         lambda m: f"size(array_intersect({m[1]}, {m[2]}))"),
    ),
}


def in_dialect(sql: str, dialect: str) -> str:
    """A condition written in DuckDB SQL, as the named Splink dialect writes it."""
    if dialect not in _DIALECT_SQL:
        raise LanternError(f"no SQL for the {dialect!r} dialect; engines: {', '.join(ENGINES)}")
    for pattern, rewrite in _DIALECT_SQL[dialect]:
        sql = pattern.sub(rewrite, sql)
    return sql


class _Level(cll.CustomLevel):
    """A custom level written in DuckDB SQL, rewritten for the engine that runs it."""

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        return in_dialect(self.sql_condition, sql_dialect.sql_dialect_str)


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            _Level("surname_l IS NULL OR surname_r IS NULL OR forename_l IS NULL "
                            "OR forename_r IS NULL").configure(is_null_level=True),
            _Level("forename_l = forename_r AND surname_l = surname_r", "exact name"),
            _Level("forename_l = surname_r AND surname_l = forename_r",
                            "forename and surname swapped"),
            _Level("forename_canonical_l = forename_canonical_r AND surname_l = surname_r",
                            "nickname of the same forename, same surname"),
            _Level("forename_phonetic_l = forename_phonetic_r "
                            "AND surname_phonetic_l = surname_phonetic_r",
                            "names sound alike (transliteration)"),
            _Level("jaro_winkler_similarity(surname_l, surname_r) >= 0.92 AND "
                            "jaro_winkler_similarity(forename_canonical_l, forename_canonical_r) >= 0.88",
                            "names spelt slightly differently"),
            _Level("surname_l = surname_r AND left(forename_l, 1) = left(forename_r, 1)",
                            "same surname and initial"),
            _Level("surname_phonetic_l = surname_phonetic_r", "surname only"),
            cll.ElseLevel(),
        ],
    )


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            _Level("dob_year_l IS NULL OR dob_year_r IS NULL").configure(is_null_level=True),
            _Level("dob_l = dob_r", "same date of birth"),
            _Level("dob_year_l = dob_year_r AND dob_day_l = dob_month_r AND dob_month_l = dob_day_r",
                            "day and month swapped"),
            _Level("(dob_l IS NULL OR dob_r IS NULL) AND dob_year_l = dob_year_r AND "
                            "(dob_month_l IS NULL OR dob_month_r IS NULL OR dob_month_l = dob_month_r)",
                            "same year, one date partial"),
            _Level("(dob_year_l = dob_year_r AND dob_month_l = dob_month_r) OR "
                            "(dob_year_l = dob_year_r AND dob_day_l = dob_day_r) OR "
                            "(abs(dob_year_l - dob_year_r) = 1 AND dob_month_l = dob_month_r "
                            "AND dob_day_l = dob_day_r)", "one part of the date differs"),
            _Level("abs(dob_year_l - dob_year_r) <= 2", "within two years"),
            cll.ElseLevel(),
        ],
    )


def _phones() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="phones",
        comparison_levels=[
            _Level("phones_l IS NULL OR phones_r IS NULL").configure(is_null_level=True),
            _Level("len(list_intersect(phones_l, phones_r)) > 0", "a phone in common"),
            cll.ElseLevel(),
        ],
    )


def _place() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            _Level("postcode_l IS NULL OR postcode_r IS NULL").configure(is_null_level=True),
            _Level("postcode_l = postcode_r AND address_l = address_r", "same address"),
            _Level("postcode_l = postcode_r", "same postcode"),
            _Level("postcode_sector_l = postcode_sector_r", "same postcode sector"),
            cll.ElseLevel(),
        ],
    )


def _gender() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[
            _Level("gender_l IS NULL OR gender_r IS NULL").configure(is_null_level=True),
            _Level("gender_l = gender_r", "same gender"),
            # Gender is miskeyed now and then; EM sees too few such matches to learn it and
            # would make one typo veto a match. Fixed at 1 in 50 of true matches.
            cll.ElseLevel().configure(m_probability=0.02, fix_m_probability=True,
                                      label_for_charts="different gender"),
        ],
    )


BLOCKING_RULES = (
    block_on("surname_phonetic", "dob_year"),
    block_on("dob"),
    block_on("forename_canonical", "surname"),
    block_on("forename_phonetic", "postcode"),
    block_on("phone1"),
)


def settings(prior: float = 0.0001) -> SettingsCreator:
    """Splink settings; ``prior`` is replaced by an estimate from the data when one is possible."""
    return SettingsCreator(
        probability_two_random_records_match=prior,
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[_name(), _dob(), _phones(), _place(), _gender()],
        blocking_rules_to_generate_predictions=list(BLOCKING_RULES),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,  # Splink emits the gamma (level) columns only with them
        additional_columns_to_retain=["source_key"],
    )


@dataclass
class Scored:
    """Scored pairs, and the trained model as Splink's JSON."""

    pairs: list[dict[str, Any]]
    model: dict[str, Any]


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    for row in rows:
        phones = row.get("phones")
        row["phone1"] = phones[0] if phones else None
    schema = pa.schema([
        ("unique_id", pa.int64()), ("source_key", pa.string()), ("forename", pa.string()),
        ("surname", pa.string()), ("forename_canonical", pa.string()), ("forename_phonetic", pa.string()),
        ("surname_phonetic", pa.string()), ("full_name", pa.string()), ("alias", pa.string()),
        ("dob", pa.string()), ("dob_year", pa.int32()), ("dob_month", pa.int32()), ("dob_day", pa.int32()),
        ("gender", pa.string()), ("phones", pa.list_(pa.string())), ("phone1", pa.string()),
        ("postcode", pa.string()), ("postcode_sector", pa.string()), ("address", pa.string()),
        ("email", pa.string()),
    ])
    return pa.Table.from_pylist([{c: row.get(c) for c in FEATURE_COLUMNS} for row in rows], schema=schema)


def _duckdb_linker(rows: list[dict[str, Any]],
                   model: dict[str, Any] | SettingsCreator) -> tuple[Linker, Callable[[], None]]:
    con = analytics.connect()
    people = _table(rows)  # noqa: F841 - read by DuckDB's replacement scan below
    con.execute("CREATE TABLE people AS SELECT * FROM people").fetchall()
    db_api = DuckDBAPI(connection=con)
    return Linker(db_api.register("people"), model, log_level=None), con.close


def _spark_linker(rows: list[dict[str, Any]],
                  model: dict[str, Any] | SettingsCreator) -> tuple[Linker, Callable[[], None]]:
    try:
        from splink.backends.spark import SparkAPI
    except ImportError as exc:
        raise LanternError(spark_engine.NEEDS_PYSPARK) from exc
    spark = spark_engine.session()
    cleanup = ExitStack()
    cleanup.enter_context(spark_engine.checkpoint_dir(spark))
    view = f"lantern_people_{uuid.uuid4().hex[:12]}"
    spark.createDataFrame(_table(rows)).createOrReplaceTempView(view)
    cleanup.callback(spark.catalog.dropTempView, view)
    # Splink's jar is not needed: the model's only non-standard function is rewritten in Spark SQL.
    db_api = SparkAPI(spark_session=spark, register_udfs_automatically=False)  # type: ignore[no-untyped-call]
    return Linker(db_api.register(view), model, log_level=None), cleanup.close


def _linker(rows: list[dict[str, Any]], model: dict[str, Any] | SettingsCreator,
            engine: str = "duckdb") -> tuple[Linker, Callable[[], None]]:
    logging.getLogger("splink").setLevel(logging.ERROR)
    if engine not in ENGINES:
        raise LanternError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if isinstance(model, dict):
        model = for_engine(model, engine)
    return (_spark_linker if engine == "spark" else _duckdb_linker)(rows, model)


def for_engine(model: dict[str, Any], engine: str) -> dict[str, Any]:
    """A saved model with its SQL written for another engine; the trained parameters unchanged."""
    if model.get("sql_dialect", "duckdb") == engine == "duckdb":
        return model  # (Spark's SQL depends on the engine's settings: always written afresh)
    out = settings(model["probability_two_random_records_match"]).create_settings_dict(engine)
    out["sql_dialect"] = engine
    if [c["output_column_name"] for c in out["comparisons"]] != [
            c["output_column_name"] for c in model["comparisons"]] or any(
            len(new["comparison_levels"]) != len(old["comparison_levels"])
            for new, old in zip(out["comparisons"], model["comparisons"], strict=True)):
        raise LanternError("this model was made by another version of the comparisons; resolve again")
    for new, old in zip(out["comparisons"], model["comparisons"], strict=True):
        for new_level, old_level in zip(new["comparison_levels"], old["comparison_levels"], strict=True):
            for key in ("m_probability", "u_probability", "fix_m_probability", "fix_u_probability"):
                if key in old_level:
                    new_level[key] = old_level[key]
    return out


def score(rows: list[dict[str, Any]], *, seed: int = 1, u_pairs: float | None = None,
          engine: str = "duckdb", model: dict[str, Any] | None = None) -> Scored:
    """Train on these records and score every candidate pair that blocking produces.

    ``engine`` is ``duckdb`` (in process) or ``spark`` (see ``lantern.resolve.spark``); both
    run the same training steps and the same comparisons. With ``model`` (a saved model, from
    either engine) nothing is trained: the pairs are scored with that model's parameters.
    Pairs come back ordered by record ids, so clustering sees them in the same order whichever
    engine scored them.
    """
    if model is not None:
        linker, close = _linker(rows, model, engine)
    else:
        linker, close = _train(rows, seed=seed, u_pairs=u_pairs, engine=engine)
    try:
        predictions = linker.inference.predict(threshold_match_probability=KEEP_PAIRS_ABOVE)
        # Only ids, weights and levels come back into Python: explain reads values from the store.
        # A comparison Splink found constant in this data can be missing from its output.
        present = {c.strip('"`') for c in predictions.columns_escaped}
        wanted = ", ".join(c for c in PAIR_COLUMNS if c in present)
        selected = linker.misc.query_sql(f"SELECT {wanted} FROM {predictions.physical_name}")  # type: ignore[no-untyped-call]  # noqa: S608, E501
        pairs = sorted(selected.as_record_list(), key=lambda p: (int(p["unique_id_l"]), int(p["unique_id_r"])))
        trained = linker.misc.save_model_to_json()
    finally:
        close()
    return Scored(pairs, trained)


def _bucket_sql(side: str) -> str:
    # Stepped and squared modulo a prime: neighbouring ids (one person's records, loaded together)
    # land far apart; a linear step alone kept neighbours together 3 times as often.
    mixed = f"(({side}.unique_id % {_SAMPLE_MODULUS}) * 65537 % {_SAMPLE_MODULUS})"
    return f"({mixed} * {mixed} % {_SAMPLE_MODULUS})"  # < 1e12: no overflow in any engine


def _bucket(unique_id: int, seed: int = 0) -> int:
    """``_bucket_sql`` in Python (with a seed to pick another sample)."""
    mixed = ((unique_id + seed) % _SAMPLE_MODULUS) * 65537 % _SAMPLE_MODULUS
    return mixed * mixed % _SAMPLE_MODULUS


def em_sample(records: int, max_records: int | None = None) -> str | None:
    """The condition that keeps a pair for EM training when there are more than ``max_records``
    records (default ``EM_MAX_RECORDS``): both records in a sample of about that many, or None.

    The sample is picked from the record id in integer arithmetic that every engine computes alike
    (Splink's own EM sampling hashes with each engine's ``hash()``, which differ), so DuckDB and
    Spark train on the same pairs.
    """
    limit = EM_MAX_RECORDS if max_records is None else max_records
    if records <= limit:
        return None
    below = max(1, round(_SAMPLE_MODULUS * limit / records))
    return f"{_bucket_sql('l')} < {below} AND {_bucket_sql('r')} < {below}"


def u_sample(rows: list[dict[str, Any]], max_pairs: float, seed: int) -> list[dict[str, Any]]:
    """The records whose every pair u is estimated from: about ``max_pairs`` pairs' worth, the
    same records whichever engine resolves (chosen here, by record id)."""
    wanted = math.ceil(0.5 * ((8 * max_pairs + 1) ** 0.5 + 1))  # r(r-1)/2 = max_pairs
    if wanted >= len(rows):
        return rows
    return sorted(rows, key=lambda row: (_bucket(int(row["unique_id"]), seed), row["unique_id"]))[:wanted]


def _u_probabilities(rows: list[dict[str, Any]], max_pairs: float, seed: int) -> dict[str, Any]:
    """A model whose u probabilities come from every pair of ``u_sample``, in DuckDB on any
    engine: counting levels over the same pairs gives the same u to the last bit (Spark and DuckDB
    would each draw their own random pairs), and the sample is small."""
    sample = u_sample(rows, max_pairs, seed)
    linker, close = _duckdb_linker(sample, settings())
    try:
        linker.training.estimate_u_using_random_sampling(max_pairs=len(sample) ** 2)
        return linker.misc.save_model_to_json()
    finally:
        close()


def _train(rows: list[dict[str, Any]], *, seed: int, u_pairs: float | None,
           engine: str) -> tuple[Linker, Callable[[], None]]:
    # u from every pair of a sample of records: about 200 pairs a record, at most 5M pairs.
    with_u = _u_probabilities(rows, u_pairs or min(5e6, max(2e5, len(rows) * 200)), seed)
    linker, close = _linker(rows, with_u, engine)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("forename_canonical", "surname", "dob")], recall=0.7)
        if not 0 < linker.misc.save_model_to_json()["probability_two_random_records_match"] < 1:
            # No exact duplicates to estimate from: assume each record has about one other record.
            close()
            linker, close = _linker(rows, {**with_u, "probability_two_random_records_match": 1 / max(len(rows), 2)},
                                    engine)
        sample = em_sample(len(rows))
        for rule in (block_on("dob"), block_on("surname", "forename_canonical")):
            # Too few comparisons in a small case: Splink's defaults stand.
            with suppress(EMTrainingException):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    And(rule, CustomRule(sample)) if sample else rule)
    except BaseException:
        close()
        raise
    return linker, close


def score_pair(model: dict[str, Any], left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Score one pair with a saved model, from either engine, in DuckDB (for explanations, and
    pairs that blocking never put together)."""
    linker, close = _linker([left, right], model)
    a, b = _table([left]).to_pylist()[0], _table([right]).to_pylist()[0]
    try:
        scored = linker.inference.score_pair(a, b).as_record_list()[0]
    finally:
        close()
    return dict(scored)


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison name -> comparison vector value (gamma) -> the level's label."""
    out: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        labels: dict[int, str] = {}
        gamma = len([lv for lv in levels if not lv.get("is_null_level")]) - 1
        for level in levels:
            if level.get("is_null_level"):
                labels[-1] = "a value is missing"
                continue
            labels[gamma] = level.get("label_for_charts") or level["sql_condition"]
            gamma -= 1
        out[comparison["output_column_name"]] = labels
    return out

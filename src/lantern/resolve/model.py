"""The Splink model for people in police records: comparisons, blocking, training, scoring.

Comparisons are built on Splink's comparison-level library, with levels that fit police
records: names in either order, nicknames and transliterations, initials; dates of birth
keyed with day and month swapped, a year off by one, or known only as a year; shared phones,
postcodes and addresses. Parameters are estimated from the data each run (u by random
sampling, m by expectation maximisation) and the model is kept as Splink's JSON, never a
pickle, with the algorithm version that made it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

ALGORITHM_VERSION = "lantern-people-v1"
# Pairs scored below this are not kept at all; clustering uses its own, higher threshold.
KEEP_PAIRS_ABOVE = 0.2
FEATURE_COLUMNS = ("unique_id", "source_key", "forename", "surname", "forename_canonical",
                   "forename_phonetic", "surname_phonetic", "full_name", "alias", "dob", "dob_year",
                   "dob_month", "dob_day", "gender", "phones", "phone1", "postcode",
                   "postcode_sector", "address", "email")


def _name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.CustomLevel("surname_l IS NULL OR surname_r IS NULL OR forename_l IS NULL "
                            "OR forename_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel("forename_l = forename_r AND surname_l = surname_r", "exact name"),
            cll.CustomLevel("forename_l = surname_r AND surname_l = forename_r",
                            "forename and surname swapped"),
            cll.CustomLevel("forename_canonical_l = forename_canonical_r AND surname_l = surname_r",
                            "nickname of the same forename, same surname"),
            cll.CustomLevel("forename_phonetic_l = forename_phonetic_r "
                            "AND surname_phonetic_l = surname_phonetic_r",
                            "names sound alike (transliteration)"),
            cll.CustomLevel("jaro_winkler_similarity(surname_l, surname_r) >= 0.92 AND "
                            "jaro_winkler_similarity(forename_canonical_l, forename_canonical_r) >= 0.88",
                            "names spelt slightly differently"),
            cll.CustomLevel("surname_l = surname_r AND left(forename_l, 1) = left(forename_r, 1)",
                            "same surname and initial"),
            cll.CustomLevel("surname_phonetic_l = surname_phonetic_r", "surname only"),
            cll.ElseLevel(),
        ],
    )


def _dob() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.CustomLevel("dob_year_l IS NULL OR dob_year_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel("dob_l = dob_r", "same date of birth"),
            cll.CustomLevel("dob_year_l = dob_year_r AND dob_day_l = dob_month_r AND dob_month_l = dob_day_r",
                            "day and month swapped"),
            cll.CustomLevel("(dob_l IS NULL OR dob_r IS NULL) AND dob_year_l = dob_year_r AND "
                            "(dob_month_l IS NULL OR dob_month_r IS NULL OR dob_month_l = dob_month_r)",
                            "same year, one date partial"),
            cll.CustomLevel("(dob_year_l = dob_year_r AND dob_month_l = dob_month_r) OR "
                            "(dob_year_l = dob_year_r AND dob_day_l = dob_day_r) OR "
                            "(abs(dob_year_l - dob_year_r) = 1 AND dob_month_l = dob_month_r "
                            "AND dob_day_l = dob_day_r)", "one part of the date differs"),
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 2", "within two years"),
            cll.ElseLevel(),
        ],
    )


def _phones() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="phones",
        comparison_levels=[
            cll.CustomLevel("phones_l IS NULL OR phones_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel("len(list_intersect(phones_l, phones_r)) > 0", "a phone in common"),
            cll.ElseLevel(),
        ],
    )


def _place() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel("postcode_l IS NULL OR postcode_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel("postcode_l = postcode_r AND address_l = address_r", "same address"),
            cll.CustomLevel("postcode_l = postcode_r", "same postcode"),
            cll.CustomLevel("postcode_sector_l = postcode_sector_r", "same postcode sector"),
            cll.ElseLevel(),
        ],
    )


def _gender() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[
            cll.CustomLevel("gender_l IS NULL OR gender_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel("gender_l = gender_r", "same gender"),
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
        retain_matching_columns=True,
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


def _linker(rows: list[dict[str, Any]], model: dict[str, Any] | SettingsCreator) -> tuple[Linker, Any]:
    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    people = _table(rows)  # noqa: F841 - read by DuckDB's replacement scan below
    con.execute("CREATE TABLE people AS SELECT * FROM people").fetchall()
    db_api = DuckDBAPI(connection=con)
    return Linker(db_api.register("people"), model, log_level=None), con


def score(rows: list[dict[str, Any]], *, seed: int = 1, u_pairs: float | None = None) -> Scored:
    """Train on these records and score every candidate pair that blocking produces."""
    linker, con = _linker(rows, settings())
    # u from random pairs: the sample scales with the data (1e7 pairs cost ~10 s whatever the size).
    max_pairs = u_pairs or min(5e6, max(2e5, len(rows) * 200))
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename_canonical", "surname", "dob")], recall=0.7)
    if not 0 < linker.misc.save_model_to_json()["probability_two_random_records_match"] < 1:
        # No exact duplicates to estimate from: assume each record has about one other record.
        con.close()
        linker, con = _linker(rows, settings(prior=1 / max(len(rows), 2)))
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    trained = []
    for rule in (block_on("dob"), block_on("surname", "forename_canonical")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
            trained.append(True)
        except EMTrainingException:  # too few comparisons in a small case: Splink's defaults stand
            trained.append(False)
    predictions = linker.inference.predict(threshold_match_probability=KEEP_PAIRS_ABOVE)
    pairs = predictions.as_record_list()
    model = linker.misc.save_model_to_json()
    con.close()
    return Scored(pairs, model)


def score_pair(model: dict[str, Any], left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Score one pair with a saved model (for pairs that blocking never put together)."""
    linker, con = _linker([left, right], model)
    a, b = _table([left]).to_pylist()[0], _table([right]).to_pylist()[0]
    scored = linker.inference.score_pair(a, b).as_record_list()[0]
    con.close()
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

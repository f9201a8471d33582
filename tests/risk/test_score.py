"""The score's construction: every reason names real records, contributions add up and respect
their caps, text indicators feed in, and protected characteristics change nothing."""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest
from sqlalchemy import select

from lantern.errors import LanternError
from lantern.risk import assess, load_weights
from lantern.risk.facts import Age, CaseFacts, Episode
from lantern.risk.hits import TextHit
from lantern.risk.read import READ_PROPERTIES, protected_properties, read_case
from lantern.risk.score import assess_facts
from lantern.store import Workspace, tables

from ..conftest import copy_workspace

PROTECTED = ("ethnicity", "religion", "nationality")


def test_the_reader_never_selects_a_protected_characteristic():
    assert set(PROTECTED) <= protected_properties()
    assert READ_PROPERTIES.isdisjoint(protected_properties())


def test_every_child_has_reasons_that_add_up_and_name_records_in_the_store(demo, facts):
    case_facts, _ = facts
    weights = load_weights()
    assessment = assess_facts(case_facts, weights)
    assert assessment.ranked and [c.rank for c in assessment.ranked] == list(range(1, len(assessment.ranked) + 1))
    assert [c.score for c in assessment.ranked] == sorted((c.score for c in assessment.ranked), reverse=True)
    cited: set[int] = set()
    for child in assessment.ranked:
        assert child.reasons, child.entity
        assert child.childhood.oldest < 18
        assert child.score == pytest.approx(sum(r.weight for r in child.reasons))
        for kind in {r.kind for r in child.reasons}:
            assert sum(r.weight for r in child.reasons if r.kind == kind) <= weights[kind].cap + 1e-9
        for reason in child.reasons:
            assert reason.records and reason.detail and reason.weight >= 0
            cited |= set(reason.records)
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        r = tables.records
        known = {int(x) for (x,) in conn.execute(select(r.c.id).where(r.c.id.in_(sorted(cited))))}
    ws.dispose()
    assert cited - known == set()


def test_permuting_ethnicity_religion_and_nationality_changes_no_score_or_rank(demo, tmp_path):
    copy_workspace(demo, tmp_path)
    before = _scores(demo / "lantern.db")
    seed = 20240801
    print(f"\npermutation seed {seed}")
    rng = random.Random(seed)
    ws = Workspace(str(tmp_path / "lantern.db"))
    s = tables.statements
    changed = 0
    with ws.writer() as conn:
        for prop in PROTECTED:
            rows = conn.execute(select(s.c.id, s.c.value).where(s.c.prop == prop).order_by(s.c.id)).all()
            values = [v for _, v in rows]
            rng.shuffle(values)
            if len(set(values)) == 1:  # a single recorded value: swap in others so something changes
                values = [f"shuffled-{n}" for n in range(len(values))]
            for (statement, old), new in zip(rows, values, strict=True):
                if new != old:
                    conn.execute(s.update().where(s.c.id == statement).values(value=new, original=new))
                    changed += 1
    ws.dispose()
    assert changed > 1000
    assert _scores(tmp_path / "lantern.db") == before


def _scores(db) -> list[tuple[str, int, float, tuple[tuple[str, float, str], ...]]]:
    ws = Workspace(str(db))
    with ws.reader() as conn:
        found = assess(conn, ws.case_id(conn))
    ws.dispose()
    return [(c.entity, c.rank, c.score, tuple((r.kind, r.weight, r.detail) for r in c.reasons)) for c in found.ranked]


def test_text_indicator_hits_feed_the_score_and_negated_ones_do_not(facts):
    case_facts, _ = facts
    weights = load_weights()
    plain = assess_facts(case_facts, weights)
    child = next(c for c in plain.ranked if case_facts.episodes.get(c.entity))
    record = case_facts.episodes[child.entity][0].record
    hits = {record: [
        TextHit("older-boyfriend", "older boyfriend", (10, 25)),
        {"indicator_id": "gifts", "label": "gifts or a new phone", "span": (30, 41), "uncertain": True},
        {"id": "alcohol-drugs", "label": "alcohol or drugs given", "start": 50, "end": 62, "negated": True},
    ]}
    with_text = assess_facts(case_facts, weights, hits)
    scored = next(c for c in with_text.ranked if c.entity == child.entity)
    text = [r for r in scored.reasons if r.kind == "text-indicator"]
    kw = weights["text-indicator"]
    assert sorted(r.weight for r in text) == [kw.per_item * kw.param("uncertain"), kw.per_item]
    assert all(r.records == (record,) for r in text)
    assert any("older boyfriend" in r.detail and "10-25" in r.detail for r in text)
    assert not any("alcohol" in r.detail for r in text)
    assert scored.score == pytest.approx(child.score + sum(r.weight for r in text))
    others = {c.entity: c.score for c in with_text.ranked if c.entity != child.entity}
    assert others == {c.entity: c.score for c in plain.ranked if c.entity != child.entity}


def test_a_hit_without_an_indicator_is_refused_clearly(facts):
    with pytest.raises(LanternError, match="record 7 needs an indicator id and a span"):
        assess_facts(facts[0], load_weights(), {7: [{"label": "x"}]})


def test_a_kind_past_its_cap_adds_no_more_and_says_so():
    facts = CaseFacts(reference=date(2024, 12, 31))
    facts.ages["P1"] = Age(born=date(2010, 5, 1), born_record=1)
    facts.episodes["P1"] = [Episode(100 + n, datetime(2024, 1, 1 + n, 20), datetime(2024, 1, 2 + n, 9), "Town centre")
                            for n in range(10)]
    facts.dates["P1"] = [date(2024, 1, 1)]
    weights = load_weights()
    [child] = assess_facts(facts, weights).ranked
    episodes = [r for r in child.reasons if r.kind == "missing-episodes"]
    assert [r.weight for r in episodes] == [weights["missing-episodes"].cap]
    assert "cap reached" in episodes[0].detail
    assert not [r for r in child.reasons if r.kind == "missing-pattern"]  # "Town centre" is no one place
    assert child.childhood.describe().startswith("aged 13")


def test_a_child_known_only_by_a_stated_age_is_included_with_that_noted():
    facts = CaseFacts(reference=date(2024, 12, 31))
    facts.ages["P2"] = Age(stated=14, stated_record=9)
    facts.episodes["P2"] = [Episode(200, datetime(2024, 3, 1, 21), datetime(2024, 3, 1, 23), None)]
    [child] = assess_facts(facts, load_weights()).ranked
    assert "no date of birth recorded; age stated on record 9" in child.childhood.describe()


def test_no_network_yet_is_a_clear_error(sqlite_workspace):
    with sqlite_workspace.reader() as conn, pytest.raises(LanternError, match="run `lantern network` first"):
        read_case(conn, sqlite_workspace.case_id(conn))

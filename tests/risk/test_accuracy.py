"""Children at risk on the demo scenario, against the generator's truth: recall and precision
at 50 for Lantern and a naive baseline (number of missing episodes) in the same run; decoy
children (missing often, no group link) rank below the children a group exploits."""

from __future__ import annotations

import statistics

from lantern.risk import baseline, load_weights
from lantern.risk.score import assess_facts
from tests.risk.conftest import truth_ids

K = 50


def _at_k(order: list[str], person_of: dict[str, str], victims: set[str], k: int = K) -> tuple[float, float]:
    """(recall, precision) at k: distinct true victims among the first k children."""
    top = order[:k]
    found = {person_of.get(e) for e in top} & victims
    return len(found) / len(victims), sum(person_of.get(e) in victims for e in top) / len(top)


def _all_children(assessment) -> list[str]:
    """Every child in rank order: those with reasons first, then those with none."""
    return [c.entity for c in assessment.ranked] + [e for e, _ in assessment.quiet]


def test_recall_and_precision_at_50_beat_the_missing_episodes_baseline(demo, facts, person_of_entity):
    case_facts, _ = facts
    assessment = assess_facts(case_facts, load_weights())
    victims = truth_ids(demo, "victims")
    children = set(_all_children(assessment))
    assert set(baseline(case_facts)) == children  # the same children, ranked two ways
    # Every planted victim is a child in Lantern's eyes (through at least one resolved entity).
    assert victims <= {person_of_entity.get(e) for e in children}
    recall, precision = _at_k(_all_children(assessment), person_of_entity, victims)
    base_recall, base_precision = _at_k(baseline(case_facts), person_of_entity, victims)
    print(f"\n{len(children)} children, {len(victims)} planted victims; at {K}: "
          f"Lantern recall {recall:.3f} precision {precision:.3f}; "
          f"baseline (missing episodes) recall {base_recall:.3f} precision {base_precision:.3f}")
    assert recall >= 0.85
    assert recall - base_recall >= 0.4 and precision - base_precision >= 0.4


def test_decoys_rank_below_victims(demo, facts, person_of_entity):
    case_facts, _ = facts
    assessment = assess_facts(case_facts, load_weights())
    victims, decoys = truth_ids(demo, "victims"), truth_ids(demo, "decoys")
    order = _all_children(assessment)
    rank = {}
    for n, entity in enumerate(order, start=1):
        rank.setdefault(person_of_entity.get(entity), n)  # a person split in two: their best rank
    victim_ranks = [rank[v] for v in victims if v in rank]
    decoy_ranks = [rank[d] for d in decoys if d in rank]
    in_top = sum(r <= K for r in decoy_ranks)
    base_order = baseline(case_facts)
    base_in_top = len({person_of_entity.get(e) for e in base_order[:K]} & decoys)
    print(f"\nmedian rank: victims {statistics.median(victim_ranks)}, decoys {statistics.median(decoy_ranks)}; "
          f"decoys in the top {K}: Lantern {in_top}, baseline {base_in_top} (of {len(decoy_ranks)})")
    assert len(decoy_ranks) >= 0.9 * len(decoys)
    assert statistics.median(decoy_ranks) > 2 * statistics.median(victim_ranks)
    assert in_top <= 0.05 * len(decoy_ranks)
    assert base_in_top > in_top  # the count rule falls for the decoys; the reasons do not

"""Clustering against an oracle (networkx connected components) and the over-merge guard."""

from __future__ import annotations

import os
import random

import networkx as nx
import pytest

from lantern.resolve.cluster import cluster, dobs_compatible
from lantern.resolve.evaluate import accuracy

SEED = int(os.environ.get("LANTERN_TEST_SEED", random.randrange(1_000_000)))


def test_without_constraints_clusters_are_connected_components():
    print(f"seed {SEED} (set LANTERN_TEST_SEED to repeat)")
    rng = random.Random(SEED)
    for _ in range(30):
        n = rng.randint(2, 200)
        edges = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randint(0, 2 * n))}
        pairs = [{"unique_id_l": a, "unique_id_r": b, "match_weight": rng.uniform(0, 20),
                  "match_probability": rng.random()} for a, b in edges]
        found = cluster(list(range(n)), threshold=0.5, pairs=pairs)
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_edges_from((p["unique_id_l"], p["unique_id_r"]) for p in pairs if p["match_probability"] >= 0.5)
        oracle = {node: f"C{min(component)}" for component in nx.connected_components(graph) for node in component}
        assert accuracy(found.entity_of, oracle).f1 == 1.0
        assert found.entity_of == {node: f"P{oracle[node][1:]}" for node in range(n)}


def test_judgements_and_impossible_dates_of_birth_hold_joins():
    pairs = [{"unique_id_l": 1, "unique_id_r": 2, "match_weight": 10, "match_probability": 0.99},
             {"unique_id_l": 2, "unique_id_r": 3, "match_weight": 9, "match_probability": 0.99},
             {"unique_id_l": 3, "unique_id_r": 4, "match_weight": 8, "match_probability": 0.99}]
    # 1 and 4 are a father and son: 1 to 3 can join, but 4 cannot join them.
    dobs = {1: "1975-03-02", 4: "2009-11-20"}
    found = cluster([1, 2, 3, 4], threshold=0.9, pairs=pairs, dob_of=dobs)
    assert found.entity_of[1] == found.entity_of[2] == found.entity_of[3] != found.entity_of[4]
    assert [(h.a, h.b) for h in found.held] == [(3, 4)] and "cannot be one person" in found.held[0].reason
    split = cluster([1, 2, 3, 4], threshold=0.9, pairs=pairs, judged_different=[(1, 3)])
    assert split.entity_of[1] == split.entity_of[2] != split.entity_of[3]
    joined = cluster([1, 2, 3, 4, 5], threshold=0.9, pairs=[], judged_same=[(1, 5)],
                     same_system_id=[[2, 3]])
    assert joined.entity_of[1] == joined.entity_of[5] and joined.entity_of[2] == joined.entity_of[3]


@pytest.mark.parametrize(("a", "b", "ok"), [
    ("1988-04-03", "1988-04-03", True), ("1988-04-03", "1988-03-04", True),
    ("1988-04-03", "1989-04-03", True), ("1988-04-03", "1988-04-13", True),
    ("1988-04-03", "1990-04-03", False), ("1988-04-03", "2011-04-03", False),
    ("1988-04-03", "1988-07-21", False),
])
def test_dates_of_birth_compatible_with_keying_errors(a, b, ok):
    assert dobs_compatible(a, b) is ok


def test_accuracy_measures():
    truth = {1: "a", 2: "a", 3: "b", 4: "b"}
    assert accuracy({1: "x", 2: "x", 3: "y", 4: "y"}, truth).f1 == 1.0
    merged = accuracy({1: "x", 2: "x", 3: "x", 4: "x"}, truth)
    assert merged.recall == 1.0 and merged.precision == pytest.approx(2 / 6)
    split = accuracy({1: "x", 2: "y", 3: "z", 4: "w"}, truth)
    assert split.precision == 1.0 and split.recall == 0.0 and split.bcubed_precision == 1.0

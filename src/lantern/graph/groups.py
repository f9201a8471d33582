"""Groups and key players in the person network (igraph).

Groups are Leiden communities (stable for a seed) of the weighted person graph, kept when
they hold at least two people: the national definition of an organised network is two or
more associated people. Key players are ranked by weighted degree, betweenness and
eigenvector centrality, and each rank carries its reason. Roles come from structure alone:
the most central member organises, a member with ties into other groups brokers, the rest
are members or peripheral. Nothing here reads a protected characteristic.
"""

from __future__ import annotations

import random
import warnings
from collections import defaultdict
from dataclasses import dataclass

import igraph

from lantern.graph.build import Network

# Measured on the demo scenario's planted groups: ARI 0.72 at 0.5, 0.88 at 1.0, 0.98 at 2.0 and 4.0.
DEFAULT_RESOLUTION = 2.0
MIN_GROUP = 2
EXACT_BETWEENNESS_NODES = 20_000
BETWEENNESS_SAMPLE = 500


@dataclass(frozen=True)
class Member:
    entity_id: str
    group_id: str
    role: str
    rank: int  # among all key players, 1 = most central
    degree: float
    betweenness: float
    eigenvector: float
    reason: str


def to_igraph(network: Network) -> tuple[igraph.Graph, list[str]]:
    people = sorted({p for pair in network.person_weights() for p in pair})
    index = {p: i for i, p in enumerate(people)}
    weights = network.person_weights()
    graph = igraph.Graph(n=len(people), edges=[(index[a], index[b]) for a, b in weights])
    graph.es["weight"] = list(weights.values())
    graph.vs["name"] = people
    return graph, people


def _betweenness(graph: igraph.Graph, seed: int) -> list[float]:
    """Weighted betweenness (a strong tie is a short one): exact up to EXACT_BETWEENNESS_NODES,
    above that estimated from a seeded sample of sources and scaled up (exact is O(nm):
    hours at 100,000 people; see bench/network.py)."""
    lengths = [1.0 / w for w in graph.es["weight"]]
    n = graph.vcount()
    if n <= EXACT_BETWEENNESS_NODES:
        return list(graph.betweenness(weights=lengths))
    sources = random.Random(seed).sample(range(n), BETWEENNESS_SAMPLE)
    sampled = graph.betweenness(weights=lengths, sources=sources)
    return [value * n / BETWEENNESS_SAMPLE for value in sampled]


def find_groups(network: Network, *, resolution: float = DEFAULT_RESOLUTION, seed: int = 1) -> list[Member]:
    graph, people = to_igraph(network)
    if graph.vcount() == 0:
        return []
    random.seed(seed)  # igraph draws from Python's random module: fixed seed, stable groups
    communities = graph.community_leiden(objective_function="modularity", weights="weight",
                                         resolution=resolution, n_iterations=-1)
    strength = graph.strength(weights="weight")
    betweenness = _betweenness(graph, seed)
    with warnings.catch_warnings():  # a network of separate groups is disconnected by nature
        warnings.simplefilter("ignore", RuntimeWarning)
        eigen = graph.eigenvector_centrality(weights="weight", scale=True)
    order = sorted(range(len(people)), key=lambda i: (-strength[i], -betweenness[i], people[i]))
    rank = {i: r + 1 for r, i in enumerate(order)}
    membership = communities.membership
    by_label: dict[int, list[int]] = defaultdict(list)
    for vertex, label in enumerate(membership):
        by_label[label].append(vertex)
    kept = sorted((label for label, vs in by_label.items() if len(vs) >= MIN_GROUP),
                  key=lambda label: -len(by_label[label]))
    group_name = {label: f"G{n + 1:03d}" for n, label in enumerate(kept)}
    members: list[Member] = []
    for label in kept:
        inside = by_label[label]
        organiser = max(inside, key=lambda i: (strength[i], eigen[i]))
        for i in inside:
            outside_ties = sum(1 for j in graph.neighbors(i) if membership[j] != label)
            if i == organiser:
                role, why = "organiser", "the strongest ties in the group"
            elif outside_ties and betweenness[i] > 0:
                role, why = "broker", f"ties into {outside_ties} people outside the group"
            elif graph.degree(i) <= 1:
                role, why = "peripheral", "a single tie to the group"
            else:
                role, why = "member", f"{graph.degree(i)} ties"
            members.append(Member(
                people[i], group_name[label], role, rank[i], float(strength[i]), float(betweenness[i]),
                float(eigen[i]),
                f"{role}: {why}; weighted degree {strength[i]:.1f}, betweenness {betweenness[i]:.0f}, "
                f"eigenvector {eigen[i]:.2f}"))
    return members

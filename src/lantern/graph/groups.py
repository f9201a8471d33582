"""Groups and key players in the person network (igraph).

Groups are Leiden communities (CPM by default; stable for a seed) of the weighted person
graph, kept when they hold at least two people; ties from a shared home address do not count
towards them (a household is not a group). A group meets the national definition of an
organised network when two or more of its people are not recorded as victims and at least one
victim is tied to it.

Key players are ranked by four measures together: weighted degree (how strongly tied),
weighted betweenness (how often on the strongest route between others), eigenvector
centrality (tied to people who are themselves central; within each connected part) and
brokerage (one minus Burt's constraint: ties to people who are not tied to each other).
A person's score is the mean of their percentile on each, and the reason names the measures
that put them where they are. Roles come from structure and records alone: the adult member
with the strongest ties to the group's other adult, non-victim members organises; an adult
member tied to a vehicle in the records is a driver or vehicle link; a member with ties into
other groups brokers; a member with one tie is peripheral. Nothing here reads a protected
characteristic (see docs/network.md).
"""

from __future__ import annotations

import random
import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import igraph

from lantern.graph.edges import Network

# Leiden's objective and resolution. CPM's resolution is a density: a group holds when its ties
# weigh more than this per pair of members, whatever the size of the graph. Measured on the demo
# scenario's planted groups (ARI): CPM 0.79 at 0.1, 0.83 at 0.5, 0.93 at 1.0, 0.98 at 3.0, 0.89
# at 5.0; modularity 0.93 at 2.0. Modularity compares a group with the whole graph, so on far
# larger graphs small groups merge (its resolution limit; bench/network.py measures both).
DEFAULT_OBJECTIVE = "cpm"
DEFAULT_RESOLUTION = {"cpm": 3.0, "modularity": 2.0}
OBJECTIVES = ("modularity", "cpm")
MIN_GROUP = 2
EXACT_BETWEENNESS_NODES = 20_000
BETWEENNESS_SAMPLE = 500
# Living at one address says who shares a home, not who acts together: such ties stay in the
# network (paths, charts, exports) but do not shape groups or rankings.
HOUSEHOLD_TIES = frozenset({"shared-address"})
MEASURES = ("weighted degree", "betweenness", "eigenvector", "brokerage")


@dataclass(frozen=True)
class Member:
    entity_id: str
    group_id: str
    role: str
    rank: int  # among all key players, 1 = most central; 0 = not ranked (a child or a recorded victim)
    degree: float
    betweenness: float
    eigenvector: float
    reason: str
    brokerage: float = 0.0
    score: float = 0.0


@dataclass
class GroupSummary:
    group_id: str
    members: list[str]
    offenders: int  # members not recorded as victims anywhere
    victims: dict[str, set[str]] = field(default_factory=dict)  # victim -> how tied to the group
    vehicles: dict[str, str] = field(default_factory=dict)
    premises: dict[str, str] = field(default_factory=dict)

    @property
    def organised_network(self) -> bool:
        """Two or more associated people involved in or facilitating child sexual exploitation."""
        return self.offenders >= 2 and bool(self.victims)


def to_igraph(network: Network) -> tuple[igraph.Graph, list[str]]:
    weights = network.person_weights(leave_out=HOUSEHOLD_TIES)
    people = sorted({p for pair in weights for p in pair})
    index = {p: i for i, p in enumerate(people)}
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


def _eigenvector(graph: igraph.Graph) -> list[float]:
    """Eigenvector centrality over a graph in separate parts: within each part, scaled by the
    part's leading eigenvalue against the strongest part's. One global vector would be zero
    everywhere but the strongest part; this keeps A x = lambda x true in every part."""
    parts = graph.connected_components()
    values = [0.0] * graph.vcount()
    found: list[tuple[list[int], list[float], float]] = []
    for part in parts:
        if len(part) == 2:  # a pair: both equally central, the eigenvalue is their tie's weight
            found.append((part, [1.0, 1.0], float(graph.es[graph.get_eid(*part)]["weight"])))
            continue
        sub = graph.induced_subgraph(part) if len(parts) > 1 else graph
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            vector, eigenvalue = sub.eigenvector_centrality(weights="weight", scale=True, return_eigenvalue=True)
        found.append((part, vector, float(eigenvalue)))
    strongest = max((eigenvalue for *_, eigenvalue in found), default=1.0) or 1.0
    for part, vector, eigenvalue in found:
        for vertex, value in zip(part, vector, strict=True):
            values[vertex] = float(value) * eigenvalue / strongest
    return values


def _percentiles(values: list[float]) -> list[float]:
    """Each value's share of the others it is at least as high as (ties share a percentile)."""
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i])
    out = [0.0] * n
    start = 0
    while start < n:
        end = start
        while end + 1 < n and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            out[order[k]] = end / max(n - 1, 1)
        start = end + 1
    return out


def _communities(graph: igraph.Graph, objective: str, resolution: float, seed: int) -> list[int]:
    random.seed(seed)  # igraph draws from Python's random module: fixed seed, stable groups
    found = graph.community_leiden(objective_function=objective, weights="weight", resolution=resolution,
                                   n_iterations=-1)
    return list(found.membership)


def find_groups(network: Network, *, resolution: float | None = None, seed: int = 1,
                objective: str = DEFAULT_OBJECTIVE) -> list[Member]:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}")
    graph, people = to_igraph(network)
    if graph.vcount() == 0:
        return []
    membership = _communities(graph, objective, DEFAULT_RESOLUTION[objective] if resolution is None else resolution,
                              seed)
    strength = graph.strength(weights="weight")
    betweenness = _betweenness(graph, seed)
    eigen = _eigenvector(graph)
    brokerage = [1.0 - c if c == c else 0.0 for c in graph.constraint(weights="weight")]  # NaN: isolated
    measures = (strength, betweenness, eigen, brokerage)
    percentile = [_percentiles(list(m)) for m in measures]
    score = [sum(p[i] for p in percentile) / len(measures) for i in range(len(people))]
    children = network.children()
    # Children and recorded victims are not ranked as key players of a network exploiting them.
    unranked = network.victims | children
    order = sorted((i for i in range(len(people)) if people[i] not in unranked),
                   key=lambda i: (-score[i], -strength[i], people[i]))
    rank = {i: r + 1 for r, i in enumerate(order)}
    ends, weights = graph.get_edgelist(), graph.es["weight"]
    by_label: dict[int, list[int]] = defaultdict(list)
    for vertex, label in enumerate(membership):
        by_label[label].append(vertex)
    kept = sorted((label for label, vs in by_label.items() if len(vs) >= MIN_GROUP),
                  key=lambda label: (-len(by_label[label]), min(rank.get(v, len(people)) for v in by_label[label])))
    group_name = {label: f"G{n + 1:03d}" for n, label in enumerate(kept)}
    members: list[Member] = []
    for label in kept:
        inside = by_label[label]
        organiser = _organiser(graph, inside, people, network.victims | children, strength, ends, weights)
        for i in inside:
            role, why = _role(graph, i, i == organiser, people[i], network, membership, label, children)
            ranking = (_rank_reason(rank[i], [p[i] for p in percentile], measures, i) if i in rank else
                       "not ranked as a key player: " + ("recorded as a victim" if people[i] in network.victims
                                                         else "under 18 throughout the records"))
            members.append(Member(
                people[i], group_name[label], role, rank.get(i, 0), float(strength[i]), float(betweenness[i]),
                float(eigen[i]), f"{role}: {why}; {ranking}", float(brokerage[i]), float(score[i])))
    return members


def _organiser(graph: igraph.Graph, inside: list[int], people: list[str], excluded: set[str],
               strength: list[float], ends: list[tuple[int, int]], weights: list[float]) -> int | None:
    """The adult member most strongly tied to the group's other adult, non-victim members
    (none in a group of children and victims)."""
    offenders = {i for i in inside if people[i] not in excluded}
    if not offenders:
        return None

    def ties_to_offenders(i: int) -> float:
        return float(sum(weights[e] for e in graph.incident(i) if (ends[e][0] if ends[e][1] == i else ends[e][1])
                         in offenders))

    return max(sorted(offenders), key=lambda i: (ties_to_offenders(i), strength[i]))


def _role(graph: igraph.Graph, i: int, organises: bool, person: str, network: Network, membership: list[int],
          label: int, children: set[str]) -> tuple[str, str]:
    outside = {membership[j] for j in graph.neighbors(i) if membership[j] != label}
    if organises:
        return "organiser", "the strongest ties to the group's other members"
    if person in network.victims:
        return "victim", "recorded as a victim"
    if person in children:
        return "child", "under 18 throughout the records"
    if network.vehicles.get(person) and person not in children:
        plates = ", ".join(sorted(network.vehicles[person].values())[:3])
        return "driver", f"tied to vehicle {plates} in the records"
    if outside:
        return "broker", f"ties into {len(outside)} other communit{'y' if len(outside) == 1 else 'ies'}"
    if graph.degree(i) <= 1:
        return "peripheral", "a single tie to the group"
    return "member", f"{graph.degree(i)} ties in the network"


def _rank_reason(rank: int, percentiles: list[float], measures: tuple[list[float], ...], i: int) -> str:
    high = [f"{name} {measure[i]:,.{0 if name in ('weighted degree', 'betweenness') else 2}f} "
            f"(top {max(1, round(100 * (1 - p)))}%)"
            for name, p, measure in zip(MEASURES, percentiles, measures, strict=True) if p >= 0.9]
    if not high:
        return f"key-player rank {rank}: no measure in the top 10%"
    return f"key-player rank {rank}: " + ", ".join(high)


def summarise(network: Network, members: list[Member]) -> dict[str, GroupSummary]:
    """Per group: its people, how many are not victims, the victims tied to it and how, and the
    vehicles and premises its members are tied to in the records."""
    groups: dict[str, GroupSummary] = {}
    group_of = {m.entity_id: m.group_id for m in members}
    visitors: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for m in members:
        summary = groups.setdefault(m.group_id, GroupSummary(m.group_id, [], 0))
        summary.members.append(m.entity_id)
        for place in network.premises.get(m.entity_id, {}):
            visitors[m.group_id][place].add(m.entity_id)
        if m.entity_id in network.victims:
            summary.victims.setdefault(m.entity_id, set()).add("in the group")
        else:
            summary.offenders += 1
            summary.vehicles.update(network.vehicles.get(m.entity_id, {}))
    for group, places in visitors.items():  # premises used: where two or more of the group were seen
        labels = {p: label for person in groups[group].members for p, label in network.premises.get(person, {}).items()}
        groups[group].premises = {p: labels[p] for p, seen in places.items() if len(seen) >= 2}
    for edge in network.edges.values():
        for member, other in ((edge.a, edge.b), (edge.b, edge.a)):
            tied_group = group_of.get(member)
            if tied_group and member not in network.victims and other in network.victims:
                groups[tied_group].victims.setdefault(other, set()).add(edge.type)
    return groups

"""The children-at-risk score: the sum of capped, weighted reasons, ranked.

For each reason kind, the items found for a child are taken strongest first; each adds
``per_item x strength`` until the kind's cap is reached (an item past the cap is still shown,
with the part it adds). The score is the sum of what the reasons add, so every point of it can
be traced to a reason and its records. A naive baseline (the number of missing episodes) is
here too, for measuring the score against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from lantern.risk import reasons as r
from lantern.risk.children import Childhood, childhood
from lantern.risk.facts import CaseFacts
from lantern.risk.hits import TextHit, TextHits, normalise_hits
from lantern.risk.weights import Weights

ALGORITHM_VERSION = "lantern-risk-v1"
PERSON = re.compile(r"\{([^{}]+)\}")

# The reason kinds, in the order they are shown, and the function that finds each one's items.
FINDERS: tuple[tuple[str, Callable[..., list[r.Item]]], ...] = (
    ("recorded-victim", r.recorded_victim),
    ("group-tie", r.group_ties),
    ("premises-of-concern", r.premises_of_concern),
    ("suspect-tie", r.suspect_ties),
    ("victim-peers", r.victim_peers),
    ("age-gap", r.age_gap),
    ("missing-episodes", r.missing_episodes),
    ("missing-recent", r.missing_recent),
    ("missing-overnight", r.missing_overnight),
    ("missing-pattern", r.missing_pattern),
    ("text-indicator", r.text_indicators),
)


@dataclass(frozen=True)
class Reason:
    kind: str
    weight: float  # what this reason adds to the score
    detail: str  # plain English; people as {P123}
    records: tuple[int, ...]

    def text(self, label: Callable[[str], str] = lambda e: e) -> str:
        """The detail with each person shown as ``label`` gives them (a pseudonym, say)."""
        return PERSON.sub(lambda m: label(m.group(1)), self.detail)

    def people(self) -> list[str]:
        return PERSON.findall(self.detail)


@dataclass(frozen=True)
class ChildRisk:
    entity: str
    score: float
    childhood: Childhood
    reasons: tuple[Reason, ...]
    rank: int = 0


@dataclass(frozen=True)
class Assessment:
    ranked: list[ChildRisk]  # children with at least one reason, highest score first
    quiet: list[tuple[str, Childhood]]  # children in the records with no reason found
    weights: str
    network_run: int | None = None
    recorded_victims: frozenset[str] = frozenset()  # people named as victims: shown as [victim ...]

    def children(self) -> set[str]:
        return {c.entity for c in self.ranked} | {e for e, _ in self.quiet}

    def top(self, n: int) -> list[ChildRisk]:
        return self.ranked[:n]


def capped(kind: str, items: Iterable[r.Item], weights: Weights) -> list[Reason]:
    kw = weights[kind]
    left = kw.cap
    out = []
    for item in sorted(items, key=lambda i: (-i.strength, i.detail)):
        full = kw.per_item * item.strength
        added = round(min(full, left), 4)
        left = max(0.0, left - added)
        note = "" if added >= round(full, 4) else " (cap reached: adds nothing more)" if added == 0 else \
            f" (cap reached: adds {added:g} of {full:g})"
        out.append(Reason(kind, added, item.detail + note, item.records))
    return out


def _hits_by_person(facts: CaseFacts, hits: dict[int, list[TextHit]], people: Iterable[str]
                    ) -> dict[str, list[tuple[int, TextHit]]]:
    if not hits:
        return {}
    out: dict[str, list[tuple[int, TextHit]]] = {}
    for person in people:
        found = [(record, hit) for record in sorted(facts.records.get(person, ())) for hit in hits.get(record, [])]
        if found:
            out[person] = found
    return out


def children_of(facts: CaseFacts) -> dict[str, Childhood]:
    people = set(facts.ages)
    found = {}
    for person in sorted(people):
        if (c := childhood(facts.ages.get(person), facts.dates.get(person), facts.reference)) is not None:
            found[person] = c
    return found


def score_child(entity: str, found: Childhood, facts: CaseFacts, weights: Weights,
                hits: list[tuple[int, TextHit]], children: dict[str, Childhood],
                premises_at: dict[str, list[str]]) -> ChildRisk:
    child = r.Child(entity, found, facts, weights, hits, premises_at)
    reasons: list[Reason] = []
    for kind, finder in FINDERS:
        finder_of = partial(finder, childhood_of=children.get) if finder is r.victim_peers else finder
        reasons += capped(kind, finder_of(child), weights)
    return ChildRisk(entity, round(sum(x.weight for x in reasons), 4), found, tuple(reasons))


def assess_facts(facts: CaseFacts, weights: Weights, text_hits: TextHits | None = None,
                 network_run: int | None = None) -> Assessment:
    """Score and rank every child in the facts."""
    children = children_of(facts)
    hits = _hits_by_person(facts, normalise_hits(text_hits), children)
    premises_at = r.premises_index(facts)
    scored, quiet = [], []
    for entity, found in children.items():
        risk = score_child(entity, found, facts, weights, hits.get(entity, []), children, premises_at)
        if risk.reasons:
            scored.append(risk)
        else:
            quiet.append((entity, found))
    scored.sort(key=lambda c: (-c.score, -len(c.reasons), c.entity))
    ranked = [ChildRisk(c.entity, c.score, c.childhood, c.reasons, n) for n, c in enumerate(scored, start=1)]
    return Assessment(ranked, quiet, weights.label, network_run, frozenset(facts.victim_in))


def baseline(facts: CaseFacts) -> list[str]:
    """The naive rule an assessment is measured against: children by number of missing
    episodes, most first (those with none last)."""
    children = children_of(facts)
    return sorted(children, key=lambda e: (-len(facts.episodes.get(e, [])), e))

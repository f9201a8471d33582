"""The reasons a child may be at risk: one function per reason kind, each naming its records.

A function returns the items it found for one child: each a strength (what ``per_item``
multiplies), a plain-English detail and the source records. Details name people as
``{P123}`` so that whoever shows them can pseudonymise children and victims. Nothing here
reads, or can read, a protected characteristic (see lantern.risk.facts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from lantern.risk.children import Childhood, is_adult
from lantern.risk.facts import (
    NOT_ADULT_ROLES,
    CaseFacts,
    Episode,
    Tie,
    normalise_place,
    parse_when,
    years_between,
)
from lantern.risk.hits import TextHit
from lantern.risk.weights import Weights

# A household is not exploitation: ties from a shared home or a recorded family link are left
# out of every association reason. A victim-suspect tie is the crime itself: it counts once,
# under recorded-victim, not again as a tie to the suspect.
HOUSEHOLD = frozenset({"family", "shared-address"})
NOT_ASSOCIATION = HOUSEHOLD | {"victim-suspect"}
SHOWN_RECORDS = 20  # records kept per item (the network keeps a sample of 20 per tie too)


@dataclass(frozen=True)
class Item:
    strength: float
    detail: str
    records: tuple[int, ...]


@dataclass(frozen=True)
class Child:
    """What the reason functions need about the child being scored."""

    entity: str
    childhood: Childhood
    facts: CaseFacts
    weights: Weights
    hits: list[tuple[int, TextHit]]
    premises_at: dict[str, list[str]]  # a premises' normalised address -> the premises (premises_index)

    def ties(self) -> dict[str, Tie]:
        return self.facts.ties.get(self.entity, {})

    def family(self) -> set[str]:
        return {other for other, tie in self.ties().items() if set(tie.counts) & HOUSEHOLD}


def _span(episodes: list[Episode]) -> str:
    days = sorted(e.start.date().isoformat() for e in episodes if e.start)
    if not days:
        return ""
    return f" ({days[0]})" if days[0] == days[-1] else f" ({days[0]} to {days[-1]})"


def _records(values: list[int]) -> tuple[int, ...]:
    return tuple(sorted(set(values))[:SHOWN_RECORDS])


def missing_episodes(child: Child) -> list[Item]:
    episodes = child.facts.episodes.get(child.entity, [])
    if not episodes:
        return []
    n = len(episodes)
    return [Item(float(n), f"reported missing {n} time{'s' if n > 1 else ''}{_span(episodes)}",
                 _records([e.record for e in episodes]))]


def missing_recent(child: Child) -> list[Item]:
    days = int(child.weights["missing-recent"].param("days"))
    since = child.facts.reference - timedelta(days=days)
    recent = [e for e in child.facts.episodes.get(child.entity, []) if e.start and e.start.date() > since]
    if not recent:
        return []
    return [Item(float(len(recent)), f"{len(recent)} of the episodes in the {days} days before "
                 f"{child.facts.reference.isoformat()}, the latest record in the case{_span(recent)}",
                 _records([e.record for e in recent]))]


def _overnight(episode: Episode, hours: float) -> bool:
    if episode.start is None or episode.end is None:
        return False
    return episode.end.date() > episode.start.date() or (episode.end - episode.start) >= timedelta(hours=hours)


def missing_overnight(child: Child) -> list[Item]:
    hours = child.weights["missing-overnight"].param("hours")
    away = [e for e in child.facts.episodes.get(child.entity, []) if _overnight(e, hours)]
    if not away:
        return []
    return [Item(float(len(away)), f"away overnight {len(away)} time{'s' if len(away) > 1 else ''}{_span(away)}",
                 _records([e.record for e in away]))]


def _specific(place: str) -> bool:
    """An address or premises that can be found again: it gives a house number or a postcode
    ("Town centre" or "a friend's address" alone could be anywhere)."""
    return any(ch.isdigit() for ch in place)


def missing_pattern(child: Child) -> list[Item]:
    least = int(child.weights["missing-pattern"].param("min_times"))
    places: dict[str, list[Episode]] = defaultdict(list)
    for episode in child.facts.episodes.get(child.entity, []):
        if episode.found and _specific(episode.found):
            places[normalise_place(episode.found)].append(episode)
    return [Item(1.0, f"found {len(found)} times at the same place, {found[0].found}{_span(found)}",
                 _records([e.record for e in found]))
            for _, found in sorted(places.items()) if len(found) >= least]


def _tied_on(tie: Tie, facts: CaseFacts) -> date:
    when = parse_when(tie.last)
    return when.date() if when else facts.reference


def _adult(facts: CaseFacts, other: str, tie: Tie) -> bool:
    """Whether the other person counts as an adult for this tie: known to be one, or, with no
    age recorded, a group member in an adult's role or a suspect (a child cannot organise)."""
    known = is_adult(facts.ages.get(other), _tied_on(tie, facts))
    return known is not False


def group_ties(child: Child) -> list[Item]:
    facts, kw = child.facts, child.weights["group-tie"]
    by_group: dict[str, list[tuple[str, Tie]]] = defaultdict(list)
    for other, tie in child.ties().items():
        member = facts.membership.get(other)
        if (member is None or member.role in NOT_ADULT_ROLES or not tie.kinds(NOT_ASSOCIATION)
                or other in child.family() or not _adult(facts, other, tie)):
            continue
        by_group[member.group].append((other, tie))
    items = []
    for group, tied in sorted(by_group.items()):
        weight = sum(tie.weight(NOT_ASSOCIATION) for _, tie in tied)
        organised = group in facts.organised
        strength = min(1.0, weight / kw.param("strong_tie")) * kw.param("organised_network" if organised else "other_group")
        own = facts.membership.get(child.entity)
        inside = f"; the child is in the group too, as {own.role}" if own and own.group == group else ""
        people = "; ".join(f"{{{other}}} {facts.membership[other].role} ({tie.described(NOT_ASSOCIATION)})"
                           for other, tie in sorted(tied, key=lambda x: -x[1].weight(NOT_ASSOCIATION)))
        items.append(Item(strength, f"tied to {len(tied)} adult{'s' if len(tied) > 1 else ''} of group {group}"
                          f"{' (an organised network)' if organised else ' (not an organised network)'}: "
                          f"{people}; tie weight {weight:.1f}"
                          f"{inside}", _records([r for _, t in tied for r in t.records(NOT_ASSOCIATION)])))
    return items


def suspect_ties(child: Child) -> list[Item]:
    facts, kw = child.facts, child.weights["suspect-tie"]
    items = []
    for other, tie in sorted(child.ties().items()):
        member = facts.membership.get(other)
        in_group_as_adult = member is not None and member.role not in NOT_ADULT_ROLES
        crimes = facts.suspect_in.get(other)
        if (not crimes or in_group_as_adult or not tie.kinds(NOT_ASSOCIATION) or other in child.family()
                or not _adult(facts, other, tie)):
            continue
        weight = tie.weight(NOT_ASSOCIATION)
        items.append(Item(min(1.0, weight / kw.param("strong_tie")),
                          f"tied to {{{other}}}, an adult recorded as a suspect in {len(crimes)} "
                          f"crime{'s' if len(crimes) > 1 else ''} ({tie.described(NOT_ASSOCIATION)}; "
                          f"tie weight {weight:.1f})",
                          _records(tie.records(NOT_ASSOCIATION) + crimes[:5])))
    return items


# Ties that say two people were together in person, not only in contact by phone.
BY_PHONE = frozenset({"called", "saved-contact", "shared-phone"})


def age_gap(child: Child) -> list[Item]:
    facts = child.facts
    own = facts.ages.get(child.entity)
    kw = child.weights["age-gap"]
    least = kw.param("min_years")
    if own is None or own.born is None:
        return []
    items = []
    for other, tie in sorted(child.ties().items()):
        age = facts.ages.get(other)
        if (age is None or age.born is None or other in child.family() or not tie.kinds(NOT_ASSOCIATION)
                or is_adult(age, _tied_on(tie, facts)) is not True):
            continue
        gap = years_between(age.born, own.born)
        if gap >= least:
            by_phone = set(tie.kinds(NOT_ASSOCIATION)) <= BY_PHONE
            items.append(Item(kw.param("phone_only") if by_phone else 1.0,
                              f"tied to {{{other}}}, an adult {gap} years older "
                              f"({tie.described(NOT_ASSOCIATION)}{'; by phone only' if by_phone else ''})",
                              _records(tie.records(NOT_ASSOCIATION) + ([age.born_record] if age.born_record else []))))
    return items


def premises_index(facts: CaseFacts) -> dict[str, list[str]]:
    """Each premises of concern under each normalised address it is known by (built once)."""
    index: dict[str, list[str]] = defaultdict(list)
    for place, premises in sorted(facts.premises.items()):
        for match in premises.match:
            if match:
                index[match].append(place)
    return dict(index)


def _found_at(found: str, index: dict[str, list[str]]) -> set[str]:
    """The premises whose address is a run of the comma-separated parts of where a child was
    found ("Pizza Plaza, 17 Brook Row, Holmford" holds "17 Brook Row, Holmford")."""
    parts = normalise_place(found).split(", ")
    return {place for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)
            for place in index.get(", ".join(parts[i:j]), ())}


def premises_of_concern(child: Child) -> list[Item]:
    facts = child.facts
    visits: dict[str, list[int]] = defaultdict(list)
    for place, record in facts.visits.get(child.entity, []):
        if place in facts.premises:
            visits[place].append(record)
    found: dict[str, list[int]] = defaultdict(list)
    for episode in facts.episodes.get(child.entity, []):
        for place in _found_at(episode.found, child.premises_at) if episode.found and child.premises_at else ():
            found[place].append(episode.record)
    items = []
    for place in sorted(set(visits) | set(found)):
        premises = facts.premises[place]
        how = []
        if visits[place]:
            how.append(f"seen there {len(set(visits[place]))} time{'s' if len(set(visits[place])) > 1 else ''}")
        if found[place]:
            how.append(f"found there when missing {len(found[place])} time{'s' if len(found[place]) > 1 else ''}")
        items.append(Item(1.0, f"{' and '.join(how)}: {premises.label}, where two or more adults of group"
                          f"{'s' if len(premises.groups) > 1 else ''} {', '.join(premises.groups)} were seen",
                          _records(visits[place] + found[place] + list(premises.records[:5]))))
    return items


def victim_peers(child: Child, childhood_of: Callable[[str], Childhood | None]) -> list[Item]:
    facts = child.facts
    items = []
    for other, tie in sorted(child.ties().items()):
        crimes = facts.victim_in.get(other)
        if not crimes or childhood_of(other) is None:
            continue
        kinds: frozenset[str] = frozenset()  # every tie counts here: a victim sibling is a concern too
        items.append(Item(1.0, f"tied to {{{other}}}, a child recorded as a victim ({tie.described(kinds)})",
                          _records(tie.records(kinds) + [c for c, _ in crimes])))
    return items


def recorded_victim(child: Child) -> list[Item]:
    facts = child.facts
    items = []
    for crime, suspects in facts.victim_in.get(child.entity, []):
        offence = facts.offences.get(crime, "a crime")
        named = ", ".join(f"{{{s}}}" for s in suspects) or "no suspect named"
        items.append(Item(1.0, f"named as the victim of {offence!r} in record {crime} (suspects: {named})",
                          (crime,)))
    return items


def text_indicators(child: Child) -> list[Item]:
    factor = child.weights["text-indicator"].param("uncertain")
    by_indicator: dict[str, list[tuple[int, TextHit]]] = defaultdict(list)
    for record, hit in child.hits:
        by_indicator[hit.indicator].append((record, hit))
    items = []
    for indicator, found in sorted(by_indicator.items()):
        certain = any(not h.uncertain for _, h in found)
        where = ", ".join(f"record {r} (characters {h.span[0]}-{h.span[1]}"
                          f"{', uncertain' if h.uncertain else ''})" for r, h in found[:5])
        items.append(Item(1.0 if certain else factor,
                          f"{found[0][1].label!r} ({indicator}) in the text of {where}"
                          + (f" and {len(found) - 5} more" if len(found) > 5 else ""),
                          _records([r for r, _ in found])))
    return items

"""Search hits and profiles as the CLI and the web show them: children and victims as keyed
pseudonyms, their identifying values as tokens, free text scrubbed (unless revealed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from lantern.lookup.hits import Hit
from lantern.lookup.privacy import Labels, labels_for
from lantern.lookup.profile import Fact, Profile

HIDDEN_KINDS = {"phone": "phone", "location": "address"}  # a victim's phone or home is identifying too


@dataclass(frozen=True)
class ShownHit:
    kind: str
    id: str  # for a person: the entity id a profile is opened with
    label: str
    why: str
    score: float
    records: list[int]
    count: int
    people: list[str]  # person entity ids (for links)
    people_labels: list[str]  # how each is shown
    snippet: str


@dataclass(frozen=True)
class ShownFact:
    prop: str
    value: str
    written: list[str]
    records: list[int]
    sources: list[str]  # "file row N (source id)"


@dataclass(frozen=True)
class ShownEvent:
    when: str
    until: str
    kind: str
    summary: str
    people: list[str]
    reference: str
    grading: str
    sources: list[str]
    records: list[int]


@dataclass(frozen=True)
class ShownLink:
    other: str
    label: str
    types: list[str]
    count: int
    first: str
    last: str
    records: list[int]


@dataclass(frozen=True)
class ShownReason:
    kind: str
    weight: float
    text: str
    records: list[int]


@dataclass(frozen=True)
class ShownProfile:
    entity: str
    label: str
    pseudonymised: bool  # the person is a child or a victim shown by tokens
    names: list[ShownFact]
    dobs: list[ShownFact]
    phones: list[ShownFact]
    addresses: list[ShownFact]
    events: list[ShownEvent]
    links: list[ShownLink]
    groups: list[dict[str, str | int]]
    risk_score: float | None
    risk_reasons: list[ShownReason]
    network_run: int | None


def show_hits(conn: Connection, case_id: int, hits: list[Hit], pseudonym_key: bytes,
              reveal: bool = False) -> list[ShownHit]:
    people = {h.id for h in hits if h.kind == "person"} | {p for h in hits for p in h.people}
    labels = labels_for(conn, case_id, people, pseudonym_key, reveal)
    return [_hit(h, labels) for h in hits]


def _hit(hit: Hit, labels: Labels) -> ShownHit:
    if hit.kind == "person":
        label = labels.person(hit.id, hit.label)
    else:
        # A number or an address that a child or victim gives is theirs to keep hidden too.
        hidden = hit.kind in HIDDEN_KINDS and any(labels.hidden(p) for p in hit.people)
        label = labels.value(HIDDEN_KINDS.get(hit.kind, hit.kind), hit.label, hidden)
    shown_id = label if hit.kind != "person" and label != hit.label else hit.id
    return ShownHit(hit.kind, shown_id, label, labels.scrub(hit.why), hit.score, list(hit.records), hit.count,
                    list(hit.people), [labels.person(p) for p in hit.people], labels.scrub(hit.snippet))


def show_profile(conn: Connection, case_id: int, profile: Profile, pseudonym_key: bytes,
                 reveal: bool = False) -> ShownProfile:
    labels = labels_for(conn, case_id, profile.people(), pseudonym_key, reveal)
    if profile.child:
        labels.statuses.setdefault(profile.entity, "child")
    hidden = labels.hidden(profile.entity)

    def facts(found: list[Fact]) -> list[ShownFact]:
        return [ShownFact(f.prop, labels.value(f.prop, f.value, hidden),
                          [] if hidden else [labels.scrub(w) for w in f.written], f.records,
                          [s.describe() for s in f.sources]) for f in found]

    risk = profile.risk
    return ShownProfile(
        profile.entity, labels.person(profile.entity, profile.names[0].value if profile.names else ""), hidden,
        facts(profile.names), facts(profile.dobs), facts(profile.phones), facts(profile.addresses),
        [ShownEvent(e.when.isoformat(sep=" ") if e.when else "", e.until.isoformat(sep=" ") if e.until else "",
                    e.kind, labels.scrub(e.summary), [f"{labels.person(p.entity)} ({p.role})" for p in e.people],
                    e.reference or "", e.grading or "", [s.describe() for s in e.sources], list(e.records))
         for e in profile.events],
        [ShownLink(link.other, labels.person(link.other), list(link.types), link.count, link.first or "",
                   link.last or "", list(link.records)) for link in profile.links],
        [{"group": m.group, "role": m.role, "rank": m.rank, "reason": m.reason} for m in profile.groups],
        risk.score if risk else None,
        [ShownReason(r.kind, r.weight, labels.scrub(r.text(labels.person)), list(r.records))
         for r in (risk.reasons if risk else ())],
        profile.network_run,
    )

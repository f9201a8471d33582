"""The case-review checklist: every crime file checked against the versioned rules in
``checklist.yaml``; each finding names the rule, the crime, the force and the records.

Ethnicity and nationality are read only to say whether they were recorded (data quality);
no rule ranks, scores or compares people by them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Connection

from lantern.errors import LanternError
from lantern.review.facts import (
    ACTION_SCHEMAS,
    NFA_OUTCOMES,
    CrimeFile,
    PersonEvent,
    ReviewFacts,
    concern_mentions,
    load_facts,
    person_events,
)

RECORDED_FIELDS = ("ethnicity", "nationality")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    why: str
    severity: str
    proxy: str = ""
    checkable: bool = True
    not_checkable: str = ""


@dataclass(frozen=True)
class Checklist:
    version: str
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise LanternError(f"no rule {rule_id!r} in checklist {self.version}")


@dataclass(frozen=True)
class Finding:
    """One rule that fired on one crime, with the records a reviewer opens to check it."""

    rule: str
    title: str
    severity: str
    crime: str  # the crime's reference in its force's system
    force: str
    records: tuple[int, ...]
    detail: str  # names adults by entity id; never a victim's name or id
    people: tuple[str, ...] = ()  # the suspects (entity ids) the finding is about
    victims: tuple[str, ...] = ()  # victims' entity ids: shown only as pseudonyms
    checklist_version: str = ""


@dataclass(frozen=True)
class NotChecked:
    rule: str
    title: str
    reason: str


def _parse(document: Any) -> Checklist:
    try:
        rules = tuple(Rule(id=str(r["id"]), title=str(r["title"]), why=" ".join(str(r["why"]).split()),
                           severity=str(r["severity"]), proxy=" ".join(str(r.get("proxy", "")).split()),
                           checkable=bool(r.get("checkable", True)),
                           not_checkable=" ".join(str(r.get("not_checkable", "")).split()))
                      for r in document["rules"])
        version = str(document["version"])
    except (KeyError, TypeError) as exc:
        raise LanternError(f"the review checklist is malformed: {exc}") from None
    if len({r.id for r in rules}) != len(rules):
        raise LanternError("the review checklist repeats a rule id")
    return Checklist(version, rules)


@cache
def load_checklist() -> Checklist:
    """The shipped, versioned checklist (lantern/review/checklist.yaml)."""
    text = resources.files("lantern.review").joinpath("checklist.yaml").read_text(encoding="utf-8")
    return _parse(yaml.safe_load(text))


class _Reviewer:
    """The rules over one case's facts; each method yields findings for one crime."""

    def __init__(self, facts: ReviewFacts, events: dict[str, list[PersonEvent]],
                 concerns: dict[int, list[tuple[str, str]]] | None, checklist: Checklist) -> None:
        self.facts, self.events, self.concerns, self.checklist = facts, events, concerns, checklist
        # Fields each source records for at least one person: only those can be "unrecorded".
        self.fields_of_source: dict[int, set[str]] = defaultdict(set)
        for record, values in facts.values.items():
            source = facts.person_keys.get(record, (0, "", ""))[0]
            self.fields_of_source[source] |= {f for f in RECORDED_FIELDS if f in values}

    def finding(self, rule_id: str, crime: CrimeFile, records: list[int], detail: str,
                people: list[str] | None = None, victims: list[str] | None = None) -> Finding:
        rule = self.checklist.rule(rule_id)
        return Finding(rule.id, rule.title, rule.severity, crime.reference, crime.force,
                       tuple(dict.fromkeys(records)), detail, tuple(dict.fromkeys(people or [])),
                       tuple(dict.fromkeys(victims or [])), self.checklist.version)

    def suspects(self, crime: CrimeFile) -> dict[str, list[int]]:
        """suspect entity -> its records on this crime, in row order."""
        out: dict[str, list[int]] = defaultdict(list)
        for record in crime.suspects:
            out[self.facts.entity(record)].append(record)
        return dict(out)

    def review(self, crime: CrimeFile) -> list[Finding]:
        found: list[Finding] = []
        suspects = self.suspects(crime)
        for entity, records in suspects.items():
            found += self.not_interviewed(crime, entity, records)
            found += self.unrecorded(crime, entity, records)
            found += self.intelligence(crime, entity, records)
            found += self.links(crime, entity, records)
        if suspects and crime.outcome in NFA_OUTCOMES:
            found.append(self.finding(
                "nfa-named-suspect", crime, [*crime.records, *crime.suspects],
                f"closed as {crime.outcome.replace('_', ' ')} with {len(suspects)} named suspect(s): "
                + ", ".join(suspects), list(suspects)))
        found += self.victim_age(crime)
        found += self.blaming(crime)
        return found

    def not_interviewed(self, crime: CrimeFile, entity: str, records: list[int]) -> list[Finding]:
        custody = [e for e in self.events.get(entity, []) if e.schema == "Custody"
                   and (not crime.day or not e.day or e.day >= crime.day)]
        if custody:
            return []
        return [self.finding("suspect-not-interviewed", crime, [*crime.records, *records],
                             f"{entity} is named as a suspect; no custody record for them on or after "
                             f"{crime.day or 'the crime'}", [entity])]

    def unrecorded(self, crime: CrimeFile, entity: str, records: list[int]) -> list[Finding]:
        missing = []
        for field in RECORDED_FIELDS:
            recorded_here = any(field in self.facts.values.get(r, {}) for r in records)
            source = self.facts.person_keys.get(records[0], (0, "", ""))[0]
            if not recorded_here and field in self.fields_of_source[source]:
                missing.append(field)
        if not missing:
            return []
        return [self.finding("suspect-ethnicity-nationality-unrecorded", crime, [*crime.records, *records],
                             f"{entity}: {' and '.join(missing)} not recorded on the crime (the force's export "
                             "records it for others)", [entity])]

    def intelligence(self, crime: CrimeFile, entity: str, records: list[int]) -> list[Finding]:
        events = self.events.get(entity, [])
        idle = []
        for intel in (e for e in events if e.schema == "IntelligenceReport" and e.day):
            acted = any(e.schema in ACTION_SCHEMAS and e.day > intel.day and e.link in ("suspect-in", "subject-of")
                        for e in events)
            if not acted:
                idle.append(intel)
        if not idle:
            return []
        return [self.finding("intelligence-not-actioned", crime, [*(e.event for e in idle), *records],
                             f"{entity}: {len(idle)} intelligence report(s) with no later custody, stop or crime "
                             f"for them ({', '.join(f'{e.reference} {e.day}' for e in idle[:5])})", [entity])]

    def links(self, crime: CrimeFile, entity: str, records: list[int]) -> list[Finding]:
        keys = {self.facts.person_keys.get(r, (0, "", ""))[1:] for r in records}
        other: dict[str, PersonEvent] = {}
        for e in self.events.get(entity, []):
            if (e.schema, e.link) not in (("Crime", "suspect-in"), ("IntelligenceReport", "subject-of")):
                continue
            if e.schema == "Crime" and self.facts.crime_of.get(e.event) is crime:
                continue
            if self.facts.person_keys.get(e.person_record, (0, "", ""))[1:] in keys:
                continue  # the force's own system names the same person: the link is there already
            other.setdefault(e.reference, e)
        if not other:
            return []
        shown = ", ".join(f"{e.reference} ({'crime' if e.schema == 'Crime' else 'intelligence'})"
                          for e in list(other.values())[:6])
        more = f" +{len(other) - 6} more" if len(other) > 6 else ""
        return [self.finding("links-not-made", crime, [*records, *(e.event for e in other.values())],
                             f"{entity} is also named in {len(other)} other record(s) under another person "
                             f"reference: {shown}{more}", [entity])]

    def victim_age(self, crime: CrimeFile) -> list[Finding]:
        by_victim: dict[str, list[int]] = defaultdict(list)
        for record in crime.victims:
            by_victim[self.facts.entity(record)].append(record)
        out = []
        for entity, records in by_victim.items():
            if not any({"dob", "age"} & set(self.facts.values.get(r, {})) for r in records):
                out.append(self.finding("victim-age-unrecorded", crime, [*crime.records, *records],
                                        "the victim's record on this crime has no date of birth or age",
                                        victims=[entity]))
        return out

    def blaming(self, crime: CrimeFile) -> list[Finding]:
        if self.concerns is None:
            return []
        victims = {self.facts.entity(r) for r in crime.victims}
        missing = [e.event for v in victims for e in self.events.get(v, []) if e.schema == "MissingEpisode"]
        flagged = {rec: self.concerns[rec] for rec in dict.fromkeys([*crime.records, *missing]) if rec in self.concerns}
        if not flagged:
            return []
        words = sorted({w.lower() for found in flagged.values() for w, _ in found})
        where = "crime" if any(r in crime.records for r in flagged) else "victim's missing-episode records"
        return [self.finding("victim-blaming-language", crime, list(flagged),
                             f"{sum(len(v) for v in flagged.values())} phrase(s) in the {where}: "
                             + "; ".join(f'"{w}"' for w in words[:5]), victims=sorted(victims))]


def review_cases(conn: Connection, case_id: int, checklist: Checklist | None = None) -> list[Finding]:
    """Every crime of the case checked against the checklist; findings in crime order."""
    checklist = checklist or load_checklist()
    facts = load_facts(conn, case_id)
    events = person_events(conn, case_id, facts.person_of)
    reviewer = _Reviewer(facts, events, concern_mentions(conn, case_id), checklist)
    found: list[Finding] = []
    for crime in facts.crimes:
        found += reviewer.review(crime)
    return found


def not_checked(conn: Connection, case_id: int, checklist: Checklist | None = None) -> list[NotChecked]:
    """Rules the data cannot answer, each with the reason (shown beside the findings)."""
    checklist = checklist or load_checklist()
    out = [NotChecked(r.id, r.title, r.not_checkable) for r in checklist.rules if not r.checkable]
    if concern_mentions(conn, case_id) is None:
        rule = checklist.rule("victim-blaming-language")
        out.append(NotChecked(rule.id, rule.title, "no text extraction in this case yet: run `lantern extract`"))
    return out

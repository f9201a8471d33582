"""What the briefing pack shows, gathered into plain data: one function per section.

Every function reads the store through the same functions the commands use (`status`,
`network`, `players`, `risk`, `timeline`, `review`), so the pack says exactly what an analyst
would see at the terminal. People are shown the way every shared product shows them:
children and recorded victims as keyed pseudonyms (unless the pack is revealed), adults by
their entity ids; free text is scrubbed of victims' identifiers. Charts are PNG bytes, ready
to embed, so the pack carries no file beside it and opens offline.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from lantern import __version__
from lantern.comms.callstore import CallStore
from lantern.comms.frame import CommsFrame, load_frame
from lantern.graph import query
from lantern.graph.build import Clusters, clusters
from lantern.graph.chart import draw
from lantern.graph.service import group_details, latest_network
from lantern.graph.view import NetworkView
from lantern.review import (
    cases_to_reopen,
    consistency_chart,
    force_rates,
    load_checklist,
    not_checked,
    review_cases,
)
from lantern.review.consistency import METRICS
from lantern.review.reopen import ALGORITHM_VERSION as REOPEN_VERSION
from lantern.risk import assess
from lantern.risk.score import ALGORITHM_VERSION as RISK_VERSION
from lantern.risk.score import Assessment, Reason
from lantern.risk.service import display_names
from lantern.security.pseudonymise import Pseudonymiser
from lantern.store import queries, tables
from lantern.timeline import build_timeline
from lantern.timeline.chart import timeline_chart
from lantern.timeline.export import row_of
from lantern.timeline.privacy import protected_people
from lantern.timeline.subject import phone_numbers

MARKING = "OFFICIAL-SENSITIVE"
PERCENT = ("suspect_ethnicity_recorded", "suspect_nationality_recorded", "victim_age_recorded", "charged",
           "no_further_action", "ongoing")
Label = Callable[[str], str]


@dataclass(frozen=True)
class Limits:
    """How much of each section a pack shows (the full lists stay in the commands and CSVs)."""

    groups: int = 10  # organised networks listed
    charts: int = 3  # of which drawn, and given a chronology
    players: int = 15
    children: int = 10
    events: int = 15  # most recent events of each chronology
    leads: int = 10
    findings: int = 3  # examples per checklist rule


@dataclass
class Privacy:
    """How a pack shows people: pseudonymised (the default) or revealed with a reason."""

    pseudonymiser: Pseudonymiser | None  # None: revealed
    reason: str | None = None

    @property
    def revealed(self) -> bool:
        return self.pseudonymiser is None

    def scrub(self, text: str) -> str:
        """Victims' identifiers in free text, replaced in whole words only (as `lantern review`)."""
        if self.pseudonymiser is None or not text:
            return text
        return self.pseudonymiser.scrub(text, whole_words=True) or text

    def token(self, kind: str, entity: str) -> str:
        return entity if self.pseudonymiser is None else self.pseudonymiser.token(kind, entity)


@dataclass
class Context:
    conn: Connection
    case_id: int
    case_name: str
    privacy: Privacy
    bulk: CallStore | None = None
    limits: Limits = field(default_factory=Limits)


# ---- summary and data quality -----------------------------------------------------------------

def summary_section(ctx: Context) -> dict[str, Any]:
    found = queries.case_summary(ctx.conn, ctx.case_id)
    return {"sources": len(found.sources), "records": sum(found.records_by_schema.values()),
            "links": sum(found.links_by_type.values()),
            "rows_rejected": found.quarantine.get("row rejected", 0),
            "values_rejected": found.quarantine.get("value rejected", 0)}


def data_quality_section(ctx: Context) -> dict[str, Any]:
    """Sources with their loading figures, records by type, and why rows were quarantined."""
    found = queries.case_summary(ctx.conn, ctx.case_id)
    q, src = tables.quarantine, tables.sources
    reasons = ctx.conn.execute(
        select(src.c.file_name, q.c.action, q.c.field, func.count()).join(src, src.c.id == q.c.source_id)
        .where(q.c.case_id == ctx.case_id).group_by(src.c.file_name, q.c.action, q.c.field)
        .order_by(func.count().desc(), src.c.file_name).limit(20)).all()
    return {
        "sources": [{"id": s.id, "file": s.file_name, "profile": s.profile_name, "rows_read": s.rows_read,
                     "rows_loaded": s.rows_loaded, "rows_quarantined": s.rows_quarantined,
                     "records": found.records_by_source.get(s.id, 0), "loaded": s.loaded_at.replace("T", " "),
                     "loaded_by": s.loaded_by} for s in found.sources],
        "records_by_type": sorted(found.records_by_schema.items(), key=lambda x: -x[1]),
        "links_by_type": sorted(found.links_by_type.items(), key=lambda x: -x[1]),
        "quarantine": {"rows_rejected": found.quarantine.get("row rejected", 0),
                       "values_rejected": found.quarantine.get("value rejected", 0)},
        # Counted by file and field, never showing the raw values (they may hold a victim's details).
        "quarantine_by_field": [{"file": f, "action": a, "field": fl or "(whole row)", "count": int(n)}
                                for f, a, fl, n in reasons],
    }


# ---- groups, charts and key players -----------------------------------------------------------

def _best_ranked(conn: Connection, run_id: int) -> dict[str, int]:
    """Organised networks -> the best key-player rank among their members (as `lantern demo`)."""
    g = tables.network_groups
    details = group_details(conn, run_id)
    best: dict[str, int] = {}
    for group, rank in conn.execute(select(g.c.group_id, g.c.rank).where(g.c.run_id == run_id, g.c.rank > 0)):
        if details.get(group, {}).get("organised_network"):
            best[group] = min(best.get(group, rank), int(rank))
    for group, d in details.items():  # an organised network with no ranked member still counts
        if d.get("organised_network"):
            best.setdefault(group, 10**9)
    return best


def top_groups(ctx: Context) -> list[str]:
    best = _best_ranked(ctx.conn, latest_network(ctx.conn, ctx.case_id))
    return sorted(best, key=lambda g: (best[g], g))


def _png(draw_to: Callable[[Path], Path]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lantern-report-") as folder:
        return draw_to(Path(folder) / "chart.png").read_bytes()


def groups_section(ctx: Context, view: NetworkView) -> dict[str, Any]:
    """The organised networks, strongest key players first; profile and chart of the top ones."""
    run_id = latest_network(ctx.conn, ctx.case_id)
    details = group_details(ctx.conn, run_id)
    ranked = top_groups(ctx)
    net = query.load(ctx.conn, ctx.case_id)
    shown = []
    for n, group in enumerate(ranked[:ctx.limits.groups]):
        profile = query.group_profile(ctx.conn, ctx.case_id, net, group)
        victims = {v for v, _ in profile.victims}
        children = {c for c, _ in profile.children}

        def who(entity: str, victims: set[str] = victims, children: set[str] = children) -> str:
            if entity in victims:
                return ctx.privacy.token("victim", entity)
            return ctx.privacy.token("child", entity) if entity in children else entity

        members = [{"person": who(m), "role": role, "rank": rank or None, "reason": ctx.privacy.scrub(reason or "")}
                   for m, role, rank, reason in profile.members]
        chart = None
        if n < ctx.limits.charts:
            keep = {node["id"] for node in view.nodes if node["group"] == group}
            title = f"Group {group}: {len(keep)} people"
            chart = _png(lambda path, keep=keep, title=title: draw(view, keep, title, path))  # type: ignore[misc]
        shown.append({
            "id": group, "people": len(profile.members), "offenders": details.get(group, {}).get("offenders"),
            "forces": profile.forces, "organiser": next((x["person"] for x in members if x["role"] == "organiser"), ""),
            "members": members,
            "victims": [{"who": ctx.privacy.token("victim", v), "how": how} for v, how in profile.victims],
            "children": [{"who": ctx.privacy.token("child", c), "how": how} for c, how in profile.children],
            "vehicles": profile.vehicles, "premises": [ctx.privacy.scrub(p) for p in profile.premises],
            "chart": chart,
        })
    return {"organised": len(ranked), "total": len(details), "groups": shown, "run_id": run_id}


def players_section(ctx: Context) -> list[dict[str, Any]]:
    """Key players (never children or recorded victims: they are not ranked). A name that
    matches a victim's identifier is scrubbed all the same: a namesake must not show it."""
    return [{"rank": rank, "person": person, "name": ctx.privacy.scrub(name), "group": group, "role": role,
             "reason": ctx.privacy.scrub(reason or "")}
            for person, name, group, role, rank, reason in query.key_players(ctx.conn, ctx.case_id,
                                                                             ctx.limits.players)]


# ---- children at risk ---------------------------------------------------------------------------

def _risk_label(assessment: Assessment, ctx: Context) -> Label:
    """As `lantern risk`: pseudonyms for children and recorded victims; names only when revealed."""
    from lantern.commands.risk import labeller

    names = display_names(ctx.conn, ctx.case_id, assessment.children()) if ctx.privacy.revealed else None
    label, _ = labeller(assessment, ctx.privacy.pseudonymiser, names)
    return label


def risk_section(ctx: Context) -> dict[str, Any]:
    assessment = assess(ctx.conn, ctx.case_id)
    label = _risk_label(assessment, ctx)

    def reason(r: Reason) -> dict[str, Any]:
        return {"kind": r.kind, "adds": f"{r.weight:g}", "text": ctx.privacy.scrub(r.text(label)),
                "records": list(r.records[:8]), "more": max(0, len(r.records) - 8)}

    return {"with_reasons": len(assessment.ranked), "children": len(assessment.ranked) + len(assessment.quiet),
            "weights": assessment.weights, "network_run": assessment.network_run,
            "top": [{"rank": c.rank, "child": label(c.entity), "age": c.childhood.describe(), "score": f"{c.score:g}",
                     "reasons": [reason(r) for r in c.reasons]} for c in assessment.top(ctx.limits.children)]}


# ---- chronologies -------------------------------------------------------------------------------

def chronology(ctx: Context, group: str, people: Clusters, calls: CommsFrame,
               users: dict[str, set[str]]) -> dict[str, Any]:
    """A group's chronology: the picture, counts by kind, and its most recent events."""
    found = build_timeline(ctx.conn, ctx.case_id, group, bulk=ctx.bulk, frame=calls, users=users)
    protected = protected_people(ctx.conn, ctx.case_id, found, people)

    def label(entity: str) -> str:
        return ctx.privacy.token(protected[entity], entity) if entity in protected else entity

    dated = [e for e in found.events if e.when is not None]
    span = found.span()
    recent = [row_of(e, label, ctx.privacy.scrub) for e in dated[-ctx.limits.events:]][::-1]
    return {"group": group, "events": len(found.events), "people": len(found.entities),
            "from": f"{span[0]:%d %b %Y}" if span else "", "to": f"{span[1]:%d %b %Y}" if span else "",
            "by_kind": Counter(e.kind for e in found.events).most_common(),
            "chart": _png(lambda path: timeline_chart(found, path, label)) if found.events else None,
            "recent": recent}


def chronologies_section(ctx: Context) -> list[dict[str, Any]]:
    people = clusters(ctx.conn, ctx.case_id, "Person")
    groups = top_groups(ctx)[:ctx.limits.charts]
    if not groups:
        return []
    # The case's calls and who uses which number, read once for every group (most of a
    # chronology's time at scale).
    users = phone_numbers(ctx.conn, people.entity_of)
    with load_frame(ctx.conn, ctx.case_id, only=("calls",), bulk=ctx.bulk) as calls:
        return [chronology(ctx, group, people, calls, users) for group in groups]


# ---- lines of enquiry, case review, forces ------------------------------------------------------

def leads_section(ctx: Context) -> dict[str, Any]:
    leads = cases_to_reopen(ctx.conn, ctx.case_id)
    return {"total": len(leads), "leads": [
        {"rank": lead.rank, "crime": lead.crime, "force": lead.force, "outcome": lead.outcome.replace("_", " "),
         "day": lead.day, "score": f"{lead.score:g}", "groups": lead.groups,
         "evidence": [{"text": ctx.privacy.scrub(e.text), "records": list(e.records[:6])} for e in lead.evidence]}
        for lead in leads[:ctx.limits.leads]]}


def findings_section(ctx: Context) -> dict[str, Any]:
    checklist = load_checklist()
    found = review_cases(ctx.conn, ctx.case_id, checklist)
    by_rule: dict[str, list[Any]] = defaultdict(list)
    for f in found:
        by_rule[f.rule].append(f)
    rules = []
    for rule in checklist.rules:
        if not rule.checkable:
            continue
        hits = by_rule.get(rule.id, [])
        rules.append({"title": rule.title, "why": rule.why, "severity": rule.severity, "findings": len(hits),
                      "crimes": len({f.crime for f in hits}), "forces": sorted({f.force for f in hits}),
                      "examples": [{"crime": f.crime, "force": f.force,
                                    "detail": ctx.privacy.scrub(f.detail) + (
                                        " (victim " + ", ".join(ctx.privacy.token("victim", v) for v in f.victims)
                                        + ")" if f.victims else ""),
                                    "records": list(f.records[:8])} for f in hits[:ctx.limits.findings]]})
    skipped = [{"title": n.title, "reason": n.reason} for n in not_checked(ctx.conn, ctx.case_id, checklist)]
    return {"checklist": checklist.version, "total": len(found), "rules": rules, "not_checked": skipped}


def _rate(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.0f}%" if metric in PERCENT else f"{value:.1f}"


def forces_section(ctx: Context) -> dict[str, Any]:
    rates = force_rates(ctx.conn, ctx.case_id)
    return {"metrics": list(METRICS.values()),
            "forces": [{"force": f.force, "crimes": f.crimes,
                        "cells": [{"value": _rate(m, f.rates.get(m)), "outlier": f.outliers.get(m, "")}
                                  for m in METRICS]} for f in rates],
            "chart": _png(lambda path: consistency_chart(rates, path)) if rates else None}


# ---- provenance ---------------------------------------------------------------------------------

def provenance_section(ctx: Context, network_run: int, risk_weights: str) -> dict[str, Any]:
    """The sources (with SHA-256) and every run the pack's figures come from."""
    conn, case_id = ctx.conn, ctx.case_id
    rr, nr, tr = tables.resolution_runs, tables.network_runs, tables.text_runs
    net = conn.execute(select(nr).where(nr.c.id == network_run)).one()
    resolution = conn.execute(select(rr).where(rr.c.id == net.resolution_run_id)).one_or_none()
    text = conn.execute(select(tr).where(tr.c.case_id == case_id).order_by(tr.c.id.desc()).limit(1)).one_or_none()
    src = tables.sources
    runs = [{"what": "network (groups, roles, key players)", "run": net.id, "version": net.algorithm_version,
             "parameters": json.loads(net.params_json), "by": net.run_by, "at": str(net.created_at)}]
    if resolution is not None:
        runs.insert(0, {"what": f"resolution ({resolution.schema})", "run": resolution.id,
                        "version": resolution.algorithm_version,
                        "parameters": {"engine": resolution.engine, "threshold": resolution.threshold},
                        "by": resolution.run_by, "at": str(resolution.finished_at)})
    if text is not None:
        runs.append({"what": "text extraction", "run": text.id, "version": text.algorithm_version,
                     "parameters": {"lexicon": text.lexicon_version}, "by": text.run_by, "at": str(text.created_at)})
    runs.append({"what": "children-at-risk score (computed for this pack)", "run": None, "version": RISK_VERSION,
                 "parameters": {"weights": risk_weights, "network_run": network_run}, "by": "", "at": ""})
    runs.append({"what": "case review (computed for this pack)", "run": None, "version": REOPEN_VERSION,
                 "parameters": {"checklist": load_checklist().version}, "by": "", "at": ""})
    return {"software": f"lantern {__version__}",
            "sources": [{"id": row.id, "file": row.file_name, "sha256": row.sha256, "profile": row.profile_name,
                         "profile_sha256": row.profile_sha256} for row in conn.execute(
                select(src).where(src.c.case_id == case_id).order_by(src.c.id))],
            "runs": runs}


def next_audit_seq(conn: Connection) -> int:
    """The sequence number the pack's own DISCLOSE event will get: the event is appended in this
    same write transaction (which holds the workspace's write lock), after the last one."""
    a = tables.audit_events
    return int(conn.scalar(select(func.max(a.c.seq))) or 0) + 1

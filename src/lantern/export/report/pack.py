"""The briefing pack as one plain-data object: every section, collected in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lantern.export.report import content as c
from lantern.graph.view import network_view

# The sections in the order the pack shows them: (anchor, heading). Tests and docs read this.
SECTIONS = (
    ("summary", "Summary"),
    ("groups", "Groups"),
    ("players", "Key players"),
    ("children", "Children at risk"),
    ("chronologies", "Chronologies"),
    ("leads", "Lines of enquiry"),
    ("findings", "Case review findings"),
    ("forces", "Consistency across forces"),
    ("quality", "Data quality"),
    ("provenance", "Provenance"),
)


@dataclass(frozen=True)
class Meta:
    """Who produced the pack, for whom, and the audit event that released it."""

    case: str
    produced_by: str
    recipient: str
    purpose: str
    audit_seq: int | None
    revealed: bool
    reason: str | None
    produced_at: str = ""

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def collect(ctx: c.Context, meta: Meta) -> dict[str, Any]:
    """Every section of the pack as plain data (lists, dicts, strings, PNG bytes)."""
    view = network_view(ctx.conn, ctx.case_id, ctx.privacy.pseudonymiser)
    groups = c.groups_section(ctx, view)
    risk = c.risk_section(ctx)
    leads = c.leads_section(ctx)
    findings = c.findings_section(ctx)
    summary = c.summary_section(ctx)
    summary.update({"groups": groups["total"], "organised": groups["organised"],
                    "children_with_reasons": risk["with_reasons"], "children": risk["children"],
                    "leads": leads["total"], "findings": findings["total"]})
    return {
        "marking": c.MARKING,
        "meta": meta,
        "sections": SECTIONS,
        "summary": summary,
        "groups": groups,
        "players": c.players_section(ctx),
        "risk": risk,
        "chronologies": c.chronologies_section(ctx),
        "leads": leads,
        "findings": findings,
        "forces": c.forces_section(ctx),
        "quality": c.data_quality_section(ctx),
        "provenance": c.provenance_section(ctx, groups["run_id"], risk["weights"]),
    }

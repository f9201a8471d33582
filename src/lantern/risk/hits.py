"""Exploitation indicators found in free text, as the risk score takes them.

``text_hits`` maps a record id to the hits in that record's text. The text extraction
(``lantern.text.indicators.indicator_hits(conn, case_id)``) gives them; anything with an
indicator id, a label and a character span will do: a mapping or an object, with the id as
``indicator``, ``indicator_id`` or ``id``. A hit marked ``negated`` ("denies", "no indication
of") never counts; one marked ``uncertain`` ("possibly") counts for less.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lantern.errors import LanternError

TextHits = Mapping[int, Sequence[Any]]


@dataclass(frozen=True)
class TextHit:
    indicator: str
    label: str
    span: tuple[int, int]
    negated: bool = False
    uncertain: bool = False


def _get(hit: Any, *names: str) -> Any:
    for name in names:
        if isinstance(hit, Mapping) and name in hit:
            return hit[name]
        if not isinstance(hit, Mapping) and hasattr(hit, name):
            return getattr(hit, name)
    return None


def as_hit(record: int, hit: Any) -> TextHit:
    if isinstance(hit, TextHit):
        return hit
    indicator = _get(hit, "indicator", "indicator_id", "id")
    label = _get(hit, "label")
    span = _get(hit, "span")
    if span is None and _get(hit, "start") is not None:
        span = (_get(hit, "start"), _get(hit, "end"))
    if not indicator or span is None or len(tuple(span)) != 2:
        raise LanternError(f"text indicator hit on record {record} needs an indicator id and a span: {hit!r}")
    certainty = _get(hit, "certainty")
    start, end = (int(x) for x in span)
    return TextHit(str(indicator), str(label or indicator), (start, end), bool(_get(hit, "negated")),
                   bool(_get(hit, "uncertain")) or certainty in ("uncertain", "possible", "possibly"))


def normalise_hits(text_hits: TextHits | None) -> dict[int, list[TextHit]]:
    """record -> its hits that may count (negated ones dropped)."""
    out: dict[int, list[TextHit]] = {}
    for record, hits in (text_hits or {}).items():
        kept = [h for h in (as_hit(int(record), hit) for hit in hits) if not h.negated]
        if kept:
            out[int(record)] = kept
    return out

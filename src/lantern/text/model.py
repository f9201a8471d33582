"""A mention found in free text: what, where (character span) and what it links to."""

from __future__ import annotations

from dataclasses import dataclass, replace

KINDS = ("phone", "vrm", "postcode", "date", "email", "handle", "nickname", "premises", "person",
         "indicator", "concern")


@dataclass(frozen=True)
class Mention:
    kind: str
    start: int  # text[start:end] is exactly what was written
    end: int
    text: str
    normalised: str
    entity_id: str | None = None
    link_method: str | None = None  # e.g. "pivot:phone", "name:exact", "name:fuzzy", "ambiguous:3"
    confidence: float | None = None
    negated: bool = False
    uncertain: bool = False
    indicator_id: str | None = None  # the lexicon entry (indicators) or phrase id (concern)

    def linked(self, entity_id: str | None, method: str, confidence: float) -> Mention:
        return replace(self, entity_id=entity_id, link_method=method, confidence=confidence)

"""Language of concern: victim-blaming phrases in records, for review and training.

A phrase such as "lifestyle choice", "putting herself at risk" or "consenting" written about a
child says something about the record and its author's practice, not about the child. These
flags go to reviewers and trainers with the record, the author's unit and the date. They
NEVER feed a child's risk score or ranking: nothing in ``lantern.risk`` may read them, and
``indicator_hits`` (the scorer's only way into text) returns indicators alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lantern.text.model import Mention

# (id, pattern): ids are stored with each flag; keep them stable.
PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((i, re.compile(p, re.IGNORECASE)) for i, p in (
    ("lifestyle_choice", r"\blifestyle choices?\b"),
    ("putting_self_at_risk", r"\bputting (?:her|him|them)(?:self|selves)? at risk\b|\bplacing (?:her|him|them)self at risk\b"),
    ("consent", r"\b(?:consensual|consenting|consented|willing participant|willingly)\b"),
    ("promiscuous", r"\bpromiscu\w+\b"),
    ("streetwise", r"\bstreet[- ]?wise\b"),
    ("own_choices", r"\bmaking (?:her|his|their) own (?:choices|decisions)\b"),
    ("sexually_active", r"\bsexually active\b"),
    ("prostitution", r"\b(?:child )?prostitut\w+\b|\bsex work(?:er)?\b"),
    ("knows_what_doing", r"\bknows what (?:she|he|they) (?:is|are) doing\b"),
    ("old_for_age", r"\b(?:mature|old) for (?:her|his|their) age\b"),
    ("boyfriend_framing", r"\b(?:her|his) boy ?friend\b(?=[^.;]{0,40}\b(?:aged|years old|adult)\b)"),
))
# "cannot consent", "not consensual": correct language, not a concern.
_DENIED = re.compile(r"\b(?:not|cannot|can't|could not|couldn't|unable to|no|never|incapable of)\s+(?:\w+\s+)?$",
                     re.IGNORECASE)


def find_concerns(text: str) -> Iterator[Mention]:
    for phrase_id, pattern in PHRASES:
        for m in pattern.finditer(text):
            if _DENIED.search(text[max(0, m.start() - 40):m.start()]):
                continue
            yield Mention("concern", m.start(), m.end(), m.group(0), phrase_id, indicator_id=phrase_id)

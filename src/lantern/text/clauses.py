"""Negation and uncertainty within a clause (a small NegEx): a cue counts for a hit only when it
sits in the same clause, before the hit, so "denies X; Y" leaves Y untouched."""

from __future__ import annotations

import re

# Clauses end at sentence punctuation, semicolons and contrasting conjunctions.
_BOUNDARY = re.compile(r"[.;!?\n]|\b(?:but|however|although|whereas)\b", re.IGNORECASE)
NEGATION = re.compile(
    r"\b(?:no|not|never|nor|without|denies|denied|deny|denying|declines? to confirm|ruled out|"
    r"no (?:indication|evidence|sign|concerns?) (?:of|about|that)|nothing to suggest|"
    r"there is no|there are no|none)\b", re.IGNORECASE)
UNCERTAIN = re.compile(
    r"\b(?:possibly|possible|perhaps|maybe|may|might|could|believed to|thought to|suggests?|"
    r"said to be|reportedly|reported to be|alleged(?:ly)?|unconfirmed|suspected|appears? to|"
    r"rumou?red|unverified|likely)\b", re.IGNORECASE)
WINDOW = 300  # a clause longer than this is cut: bounded work on hostile text
_AFTER_NEGATION = re.compile(r"^\s*(?:\w+\s+){0,3}(?:denied|not (?:confirmed|substantiated|found))\b",
                             re.IGNORECASE)


def clause_start(text: str, position: int) -> int:
    """Where the clause holding ``position`` begins."""
    start = max(0, position - WINDOW)
    for match in _BOUNDARY.finditer(text, start, position):
        start = match.end()
    return start


def clause_end(text: str, position: int) -> int:
    match = _BOUNDARY.search(text, position, position + WINDOW)
    return match.start() if match else min(len(text), position + WINDOW)


def flags(text: str, start: int, end: int) -> tuple[bool, bool]:
    """(negated, uncertain) for the hit text[start:end]."""
    before = text[clause_start(text, start):start]
    after = text[end:clause_end(text, end)]
    negated = bool(NEGATION.search(before)) or bool(_AFTER_NEGATION.match(after))
    return negated, bool(UNCERTAIN.search(before))

"""Victims' identifiers in free text (security/pseudonymise.IdentifierFinder) are found where the
regex alternation it replaced found them: the leftmost, then longest, match, anywhere or as whole
words, in any case. The regex is the oracle; the finder reads a text once however many
identifiers a case holds."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from lantern.security.pseudonymise import IdentifierFinder

from .conftest import fuzz

# Small alphabets make identifiers overlap, nest and touch word edges often.
LETTERS = st.sampled_from("aAbBnN eE'-_1ß")
WORDS = st.text(LETTERS, min_size=1, max_size=6)


def oracle(identifiers: list[str], text: str, whole_words: bool) -> list[tuple[int, int]]:
    ordered = sorted({i for i in identifiers if i}, key=len, reverse=True)
    if not ordered:
        return []
    body = "|".join(re.escape(i) for i in ordered)
    pattern = rf"(?<!\w)(?:{body})(?!\w)" if whole_words else body
    return [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]


@fuzz(300)
@given(st.lists(WORDS, min_size=1, max_size=8), st.text(LETTERS, max_size=40), st.booleans())
@example(["ann", "annie smith", "smith"], "met Annie Smith and ANN at annual smithy", False)
@example(["ann", "annie smith", "smith"], "met Annie Smith and ANN at annual smithy", True)
@example(["Holt"], "HOLT, holt; Holtby", True)
def test_the_finder_finds_what_the_regex_found(identifiers, text, whole_words):
    assert IdentifierFinder(identifiers).spans(text, whole_words) == oracle(identifiers, text, whole_words)


def test_no_identifiers_find_nothing():
    assert IdentifierFinder([]).spans("anything at all") == []
    assert IdentifierFinder(["", ""]).spans("anything") == []


def test_a_letter_that_lowers_to_two_keeps_positions():
    """'İ' lowers to two characters; the spans still point into the text as given."""
    text = "İstanbul Grace HOLT"
    spans = IdentifierFinder(["grace", "holt"]).spans(text)
    assert [text[a:b] for a, b in spans] == ["Grace", "HOLT"]

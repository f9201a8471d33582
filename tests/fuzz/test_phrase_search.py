"""Search's phrase match (lookup.search.Corpus.with_phrase) finds the reports a case-insensitive
whole-word regex over every report finds: the folded-text check it makes first for an ASCII
query never loses one. The regex is the oracle; the alphabet holds the letters that regex
matches to ASCII ones (dotted and dotless I, long s, the Kelvin sign) and some that fold to two."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from lantern.lookup.search import Corpus, folded
from lantern.text.similar import Report

from .conftest import fuzz

LETTERS = st.sampled_from("aIiSsKk \u0130\u0131\u017f\u212a\u00df\ufb01-.1")
QUERY = st.text(st.sampled_from("aIiSsKk -.1\u00df"), min_size=1, max_size=4)


def corpus(texts: list[str]) -> Corpus:
    reports = [Report(i, "Crime", "", "export.csv", f"R{i}", text) for i, text in enumerate(texts)]
    return Corpus(reports, None, [folded(t) for t in texts])


@fuzz(400)
@given(st.lists(st.text(LETTERS, max_size=30), max_size=6), QUERY)
@example(["Kirk was seen", "kIrk", "KIRK", "k\u0131rk", "K\u0130RK", "\u212airk"], "kirk")
@example(["the \u017fame car", "same"], "same")
@example(["stra\u00dfe", "strasse"], "strasse")
def test_the_reports_with_a_phrase_are_those_the_regex_finds(texts, query):
    phrase = re.compile(rf"\b{re.escape(query)}\b", re.IGNORECASE)
    found = corpus(texts).with_phrase(query)
    assert [r.text for r in found] == [t for t in texts if phrase.search(t)]

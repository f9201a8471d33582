"""An optional spaCy pipeline, used only when one is pip-installed (nothing is downloaded).

It proposes extra person and premises spans; they still go through the workspace gazetteer,
so a name spaCy finds is kept only when the workspace knows it. Lantern works without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

PIPELINES = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg")
MAX_CHARS = 100_000  # spaCy's cost grows with length; longer texts go without it


@cache
def pipeline() -> Any | None:
    try:
        import spacy
    except ImportError:
        return None
    for name in PIPELINES:
        if spacy.util.is_package(name):
            return spacy.load(name, disable=["parser", "lemmatizer"])
    return None


def name() -> str | None:
    found = pipeline()
    return None if found is None else str(found.meta.get("name"))


def spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(label, start, end) of PERSON, FAC and ORG entities, when a pipeline is installed."""
    nlp = pipeline()
    if nlp is None or len(text) > MAX_CHARS:
        return
    for ent in nlp(text).ents:
        if ent.label_ in ("PERSON", "FAC", "ORG"):
            yield ent.label_, ent.start_char, ent.end_char

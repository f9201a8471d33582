"""Exploitation indicators in text, from the versioned lexicon in ``lexicon.yaml``.

Every hit keeps its span and two flags read from its own clause: ``negated`` ("no indication
of", "denies", "not") and ``uncertain`` ("possibly", "believed to", "said to be"). Negated hits
are stored, so a reviewer can see them, but they never count as evidence for risk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from lantern.errors import LanternError
from lantern.text.clauses import flags
from lantern.text.model import Mention


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    patterns: tuple[re.Pattern[str], ...]
    note: str


@dataclass(frozen=True)
class Lexicon:
    version: str
    indicators: tuple[Indicator, ...]

    def label(self, indicator_id: str) -> str:
        return next((i.label for i in self.indicators if i.id == indicator_id), indicator_id)


def parse_lexicon(raw: str, where: str = "lexicon") -> Lexicon:
    try:
        data = yaml.safe_load(raw)
        items = tuple(Indicator(str(e["id"]), str(e["label"]),
                                tuple(re.compile(p, re.IGNORECASE) for p in e["patterns"]),
                                str(e.get("note", ""))) for e in data["indicators"])
        version = str(data["version"])
    except (yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise LanternError(f"{where}: not a valid indicator lexicon ({exc})") from None
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise LanternError(f"{where}: indicator ids must be unique")
    return Lexicon(version, items)


@cache
def lexicon() -> Lexicon:
    """The lexicon that ships with Lantern."""
    return parse_lexicon(resources.files("lantern.text").joinpath("lexicon.yaml").read_text("utf-8"),
                         "lantern/text/lexicon.yaml")


def find_indicators(text: str, lex: Lexicon | None = None) -> Iterator[Mention]:
    """One hit per indicator and span: overlapping patterns of one indicator count once."""
    for indicator in (lex or lexicon()).indicators:
        taken: list[tuple[int, int]] = []
        for pattern in indicator.patterns:
            for m in pattern.finditer(text):
                if m.end() == m.start() or any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                negated, uncertain = flags(text, m.start(), m.end())
                yield Mention("indicator", m.start(), m.end(), m.group(0), indicator.id,
                              negated=negated, uncertain=uncertain, indicator_id=indicator.id)

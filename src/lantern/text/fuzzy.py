"""String similarity in [0, 1]: rapidfuzz when installed, else the standard library's difflib."""

from __future__ import annotations

from difflib import SequenceMatcher

try:  # an optional speed-up, never required
    from rapidfuzz.fuzz import ratio as _rapid_ratio
except ImportError:  # pragma: no cover - depends on the environment
    _rapid_ratio = None

METHOD = "rapidfuzz" if _rapid_ratio is not None else "difflib"


def similarity(a: str, b: str) -> float:
    if _rapid_ratio is not None:
        return float(_rapid_ratio(a, b)) / 100.0
    return SequenceMatcher(None, a, b).ratio()

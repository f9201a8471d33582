"""The risk weights: a versioned YAML file, checked on load so a bad edit fails clearly.

Each reason kind has ``per_item`` (what one counted item adds), ``cap`` (the most the kind can
add) and its own parameters. A file that misses a kind, adds an unknown one, or gives a value
of the wrong type is refused with the file and the key named, never half-used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lantern.errors import LanternError

# Every reason kind the scorer knows, with the parameters each takes beyond per_item and cap.
KINDS: dict[str, tuple[str, ...]] = {
    "missing-episodes": (),
    "missing-recent": ("days",),
    "missing-overnight": ("hours",),
    "missing-pattern": ("min_times",),
    "group-tie": ("organised_network", "other_group", "strong_tie"),
    "suspect-tie": ("strong_tie",),
    "age-gap": ("min_years", "phone_only"),
    "premises-of-concern": (),
    "victim-peers": (),
    "recorded-victim": (),
    "text-indicator": ("uncertain",),
}


@dataclass(frozen=True)
class KindWeights:
    per_item: float
    cap: float
    params: Mapping[str, float]

    def param(self, name: str) -> float:
        return self.params[name]


@dataclass(frozen=True)
class Weights:
    version: int
    name: str
    kinds: Mapping[str, KindWeights]
    source: str

    def __getitem__(self, kind: str) -> KindWeights:
        return self.kinds[kind]

    @property
    def label(self) -> str:
        return f"{self.name} (weights version {self.version})"


def default_weights_path() -> Path:
    return Path(str(resources.files("lantern.risk").joinpath("weights.yaml")))


def load_weights(path: Path | None = None) -> Weights:
    """Read and check a weights file (the shipped one by default)."""
    path = path or default_weights_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LanternError(f"cannot read risk weights {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise LanternError(f"risk weights {path} is not valid YAML: {exc}") from None
    return parse_weights(document, str(path))


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LanternError(f"{where} must be a number, not {value!r}")
    if value < 0:
        raise LanternError(f"{where} must not be negative (got {value})")
    return float(value)


def parse_weights(document: Any, source: str = "<weights>") -> Weights:
    if not isinstance(document, dict):
        raise LanternError(f"risk weights {source}: expected a mapping with version, name and reasons")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise LanternError(f"risk weights {source}: `version` must be a whole number of 1 or more")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        raise LanternError(f"risk weights {source}: `name` must be given")
    reasons = document.get("reasons")
    if not isinstance(reasons, dict):
        raise LanternError(f"risk weights {source}: `reasons` must map each reason kind to its weights")
    unknown = sorted(set(reasons) - set(KINDS))
    if unknown:
        raise LanternError(f"risk weights {source}: unknown reason kind(s) {', '.join(unknown)}; "
                           f"known: {', '.join(KINDS)}")
    missing = [k for k in KINDS if k not in reasons]
    if missing:
        raise LanternError(f"risk weights {source}: no weights for reason kind(s) {', '.join(missing)}")
    kinds: dict[str, KindWeights] = {}
    for kind, wanted in KINDS.items():
        spec = reasons[kind]
        where = f"risk weights {source}: reasons.{kind}"
        if not isinstance(spec, dict):
            raise LanternError(f"{where} must be a mapping with per_item and cap")
        extra = sorted(set(spec) - {"per_item", "cap", *wanted})
        if extra:
            raise LanternError(f"{where}: unknown setting(s) {', '.join(extra)}")
        for key in ("per_item", "cap", *wanted):
            if key not in spec:
                raise LanternError(f"{where}.{key} is missing")
        kinds[kind] = KindWeights(_number(f"{where}.per_item", spec["per_item"]),
                                  _number(f"{where}.cap", spec["cap"]),
                                  {p: _number(f"{where}.{p}", spec[p]) for p in wanted})
    return Weights(version, name.strip(), kinds, source)

"""The weights file: the shipped one loads and is documented; a bad one fails clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lantern.errors import LanternError
from lantern.risk.weights import KINDS, default_weights_path, load_weights, parse_weights

MODEL_CARD = Path(__file__).resolve().parents[2] / "docs" / "risk-model-card.md"


def _shipped() -> dict:
    return yaml.safe_load(default_weights_path().read_text(encoding="utf-8"))


def test_the_shipped_weights_load_and_every_kind_is_in_the_model_card():
    weights = load_weights()
    assert set(weights.kinds) == set(KINDS) and weights.version >= 1
    card = MODEL_CARD.read_text(encoding="utf-8")
    for kind, spec in _shipped()["reasons"].items():
        assert f"`{kind}`" in card, kind
        for key, value in spec.items():
            assert f"{key}" in card, (kind, key)
            assert f"{value:g}" in card, (kind, key, value)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["reasons"].pop("age-gap"), "no weights for reason kind(s) age-gap"),
    (lambda d: d["reasons"].update({"ethnicity": {"per_item": 1, "cap": 1}}), "unknown reason kind(s) ethnicity"),
    (lambda d: d["reasons"]["group-tie"].update({"cap": "high"}), "reasons.group-tie.cap must be a number"),
    (lambda d: d["reasons"]["missing-episodes"].update({"per_item": -1}), "must not be negative"),
    (lambda d: d["reasons"]["missing-recent"].pop("days"), "reasons.missing-recent.days is missing"),
    (lambda d: d["reasons"]["victim-peers"].update({"colour": 1}), "unknown setting"),
    (lambda d: d.update({"version": "one"}), "`version` must be a whole number"),
    (lambda d: d.pop("reasons"), "`reasons` must map"),
])
def test_a_bad_weights_file_is_refused_naming_the_key(tmp_path, edit, message):
    document = _shipped()
    edit(document)
    path = tmp_path / "weights.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(LanternError, match=re.escape(message)) as raised:
        load_weights(path)
    assert str(path) in str(raised.value)


def test_unreadable_or_invalid_yaml_is_a_clear_error(tmp_path):
    with pytest.raises(LanternError, match="cannot read risk weights"):
        load_weights(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("reasons: [unclosed", encoding="utf-8")
    with pytest.raises(LanternError, match="is not valid YAML"):
        load_weights(broken)
    with pytest.raises(LanternError, match="expected a mapping"):
        parse_weights(["a list"])

"""Truth for text extraction: which values the generator put into each free-text field.

Read from the template itself (``string.Formatter().parse``), so only fields the chosen
template really used are listed. Writing this truth draws no random numbers: the scenario is
the same with or without it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

import phonenumbers

from lantern.synth.context import Context
from lantern.synth.forces import Force

# Template field -> the kind of mention an extractor should find for it.
FIELD_KINDS = {"phone": "phone", "vrm": "vrm", "name": "person", "alias": "nickname",
               "premises": "premises", "victim": "forename"}
NOT_A_VALUE = {"", "not known", "A female"}  # placeholders the templates use when nothing is known


def normalised(kind: str, value: str) -> str:
    """The value as an extractor should normalise it (phones E.164, VRMs without space)."""
    if kind == "phone":
        number = phonenumbers.parse(value, "GB")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == "vrm":
        return value.replace(" ", "").upper()
    return value


def record(ctx: Context, force: Force, kind: str, ref: str, template: str,
           values: Mapping[str, object]) -> None:
    """One truth row per value the template used in the record ``ref`` of ``kind`` exports."""
    file = ctx.writers[(force.index, kind)].layout.file
    used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    for field in sorted(used):
        mention = FIELD_KINDS.get(field)
        value = str(values.get(field, ""))
        if mention is None or value in NOT_A_VALUE:
            continue
        ctx.truth.write("text_mentions", file, ref, mention, normalised(mention, value), value)

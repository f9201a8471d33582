"""Each extractor on hand-made sentences: exact spans, normalised values, flags."""

from __future__ import annotations

from datetime import datetime

from lantern.text.concern import find_concerns
from lantern.text.extract import extract
from lantern.text.gazetteer import Gazetteer
from lantern.text.indicators import find_indicators, lexicon, parse_lexicon
from lantern.text.model import Mention

WEDNESDAY = datetime(2024, 3, 13, 10, 0)


def _of(kind: str, text: str, **kw) -> list[Mention]:
    found = [m for m in extract(text, **kw) if m.kind == kind]
    for m in found:
        assert text[m.start:m.end] == m.text  # the span is exactly what was written
    return found


def test_phones_in_every_format_normalise_to_e164_and_references_are_not_phones():
    text = "Call 07700 900123, +44 7700 900124 or (07700) 900125; ref CR/24/000123 on 2024-03-01."
    found = _of("phone", text)
    assert [m.normalised for m in found] == ["+447700900123", "+447700900124", "+447700900125"]
    assert found[0].text == "07700 900123"


def test_vrms_current_and_older_formats():
    found = _of("vrm", "Vehicle ZA12 ABC, then ZB70XYZ, an older A123 BCD and ABC 123D.")
    assert [m.normalised for m in found] == ["ZA12ABC", "ZB70XYZ", "A123BCD", "ABC123D"]


def test_postcodes_emails_and_handles():
    text = "Lives at QA1 2BC (or QB12 3CD); email jj.smith@example.com, snap: tazzy99, insta jj_x and @smiler_01."
    assert [m.normalised for m in _of("postcode", text)] == ["QA1 2BC", "QB12 3CD"]
    assert [m.normalised for m in _of("email", text)] == ["jj.smith@example.com"]
    assert [m.normalised for m in _of("handle", text)] == ["snap:tazzy99", "insta:jj_x", "@smiler_01"]


def test_nicknames_quoted_or_bare():
    text = "A male known as 'JJ' and another called \u2018Tiny\u2019, aka Smiler."
    found = _of("nickname", text)
    assert [m.normalised for m in found] == ["JJ", "Tiny", "Smiler"]
    assert text[found[0].start - 1] == "'"  # the span is the name, not its quotes


def test_relative_dates_resolve_against_the_record_date():
    text = "Went missing yesterday, seen last night at 23:10, on Friday, 3 days ago and on 01/02/2024."
    values = [m.normalised for m in _of("date", text, record_date=WEDNESDAY)]
    assert values == ["2024-03-12", "2024-03-12", "23:10", "2024-03-08", "2024-03-10", "2024-02-01"]
    undated = [m.normalised for m in _of("date", "seen yesterday", record_date=None)]
    assert undated == ["yesterday"]  # nothing to resolve against: the phrase is kept


def test_premises_by_pattern_and_known_names_win():
    text = "Found at the Golden Kebab, later at Flat 3, Mill Street, Qington and in The Red Lion."
    found = {m.normalised for m in _of("premises", text)}
    assert {"Golden Kebab", "Flat 3, Mill Street, Qington", "The Red Lion"} <= found


def test_known_people_link_exact_then_fuzzy_and_shared_aliases_stay_unlinked():
    gaz = Gazetteer()
    gaz.add("P1", "Person", "name", "Jade Hall")
    gaz.add("P1", "Person", "phone", "+447700900123")
    gaz.add("P2", "Person", "name", "Dean Robinson")
    gaz.add("P2", "Person", "alias", "Taz")
    gaz.add("P3", "Person", "alias", "Taz")
    gaz.add("P4", "Person", "alias", "Ace")
    gaz.finish()
    text = "Driver believed to be Jade Hall; Daen Robinson on 07700 900123 known as 'Taz', another called 'Ace'."
    found = extract(text, gazetteer=gaz)
    people = [(m.text, m.entity_id, m.link_method) for m in found if m.kind == "person"]
    assert people == [("Jade Hall", "P1", "name:exact"), ("Daen Robinson", "P2", "name:fuzzy")]
    phone = next(m for m in found if m.kind == "phone")
    assert (phone.entity_id, phone.link_method, phone.confidence) == ("P1", "pivot:phone", 1.0)
    nick = {m.normalised: m for m in found if m.kind == "nickname"}
    assert nick["Taz"].entity_id is None and nick["Taz"].link_method == "ambiguous:2"
    assert nick["Ace"].entity_id == "P4"


def test_indicators_keep_spans_and_flag_negation_and_uncertainty_within_the_clause():
    text = ("No indication of gifts. Possibly given alcohol by older males. Denies getting into a car; "
            "returned with a new phone.")
    hits = {(m.indicator_id, m.text): m for m in find_indicators(text)}
    assert hits[("gifts", "gifts")].negated
    assert hits[("alcohol_drugs_given", "given alcohol")].uncertain
    assert not hits[("alcohol_drugs_given", "given alcohol")].negated
    assert hits[("vehicles", "getting into a car")].negated
    phone = hits[("gifts", "new phone")]  # after the semicolon: a new clause, not denied
    assert not phone.negated and not phone.uncertain
    for m in hits.values():
        assert text[m.start:m.end] == m.text


def test_lexicon_is_versioned_documented_and_bad_ones_are_clear_errors():
    lex = lexicon()
    assert lex.version and len(lex.indicators) >= 8
    assert all(i.label and i.note and i.patterns for i in lex.indicators)
    import pytest

    from lantern.errors import LanternError
    with pytest.raises(LanternError, match="not a valid indicator lexicon"):
        parse_lexicon("version: 1\nindicators:\n  - id: x\n    label: y\n    patterns: ['(']\n")


def test_concern_phrases_and_correct_language_is_not_flagged():
    text = ("Officer view: this appears to be a lifestyle choice. Child is putting herself at risk and "
            "appears to be consenting. The child cannot consent; it was not consensual. She is streetwise.")
    found = [(m.indicator_id, m.text) for m in find_concerns(text)]
    assert ("lifestyle_choice", "lifestyle choice") in found
    assert ("putting_self_at_risk", "putting herself at risk") in found
    assert ("consent", "consenting") in found
    assert ("streetwise", "streetwise") in found
    assert all(t not in ("consent", "consensual") for _, t in found)


def test_hostile_input_does_not_crash():
    hostile = [
        "=HYPERLINK(\"http://x\",\"07700 900123\")\x00\x07\x1b[31m",
        "\u202e" + "A" * 50_000,
        ("07700 900123 ZA12 ABC QA1 2BC known as 'x' at the " * 5000),
        "(" * 10_000 + "'" * 10_000,
        "",
    ]
    for text in hostile:
        found = extract(text, record_date=WEDNESDAY)
        for m in found:
            assert 0 <= m.start <= m.end <= len(text)
    assert any(m.kind == "phone" for m in extract(hostile[0]))

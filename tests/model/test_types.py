"""Property types clean values on the way in, keep the original, and never raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lantern.model.types import (
    DEFAULT_OPTIONS,
    PROPERTY_TYPES,
    CleanOptions,
    pivot_types,
    property_type,
)

DMY = CleanOptions(formats=("%d/%m/%Y",))


def clean(type_name: str, raw: str, options: CleanOptions = DEFAULT_OPTIONS):
    return property_type(type_name).clean(raw, options)


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [
        ("KHAN, Mohammed", CleanOptions(), "Mohammed Khan"),
        ("  o'brien ,  sean ", CleanOptions(), "Sean O'Brien"),
        ("MCDONALD Amy", CleanOptions(order="surname_first"), "Amy McDonald"),
        ("Mohammed Khan", CleanOptions(), "Mohammed Khan"),
        ("JEAN-PAUL DE SOUZA", CleanOptions(), "Jean-Paul de Souza"),
    ],
)
def test_names_are_put_in_forename_surname_order(raw, options, expected):
    assert clean("name", raw, options).value == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ß", "ß"),  # upper case 'SS' would be calmed to 'Ss' on the next clean
        ("strauß", "Strauß"),
        ("ŉ", "ŉ"),  # upper case 'ʼN'
        ("DE smith", "de Smith"),  # all lower once 'DE' is calmed: calmed again, at once
        ("SMITH, John, Paul", "John Paul Smith"),  # no comma left to reorder by again
        ("a;,b", "B A"),
    ],
)
def test_a_cleaned_name_cleans_to_itself(raw, expected):
    assert clean("name", raw).value == expected
    assert clean("name", expected).value == expected


def test_a_name_without_letters_is_refused():
    result = clean("name", "12345")
    assert result.value is None and "no letters" in result.error


@pytest.mark.parametrize(
    ("raw", "expected", "quality"),
    [
        ("03/04/1988", "1988-04-03", "day/month order ambiguous"),
        ("23/04/1988", "1988-04-23", None),
        ("1988-04-03", "1988-04-03", None),
        ("1988", "1988", "partial date (year only)"),
        ("04/1988", "1988-04", "partial date (month only)"),
        ("Apr 1988", "1988-04", "partial date (month only)"),
    ],
)
def test_dates_full_and_partial(raw, expected, quality):
    result = clean("date", raw, DMY)
    assert (result.value, result.quality, result.error) == (expected, quality, None)


@pytest.mark.parametrize("raw", ["31/02/1985", "1988-13-01", "yesterday", "03-04-88x", "01/01/1850"])
def test_bad_dates_are_refused_with_a_reason(raw):
    result = clean("date", raw, DMY)
    assert result.value is None
    assert raw in result.error


def test_datetimes_keep_the_time_and_accept_iso():
    opts = CleanOptions(formats=("%d/%m/%Y %H:%M",))
    assert clean("datetime", "12/03/2024 21:40", opts).value == "2024-03-12T21:40:00"
    assert clean("datetime", "2024-03-12T21:40:00", opts).value == "2024-03-12T21:40:00"
    assert clean("datetime", "2024-03-12T21:40:00+01:00", opts).value == "2024-03-12T20:40:00"
    assert clean("datetime", "2024-03-12", opts).value == "2024-03-12"
    assert clean("datetime", "12.03.2024", opts).error is not None


@pytest.mark.parametrize("raw", ["07700 900123", "+44 7700 900123", "447700900123", "0044 7700 900123",
                                 "(07700) 900-123"])
def test_uk_phone_numbers_clean_to_e164(raw):
    assert clean("phone", raw).value == "+447700900123"


def test_phone_numbers_that_cannot_be_numbers_are_refused():
    assert clean("phone", "not a number").error
    assert clean("phone", "0770").error


def test_imei_check_digit():
    assert clean("imei", "490154203237518").value == "490154203237518"
    assert "not a valid IMEI" in clean("imei", "490154203237519").error
    computed = clean("imei", "49015420323751")
    assert computed.value == "490154203237518" and computed.quality == "check digit computed"
    assert clean("imei", "4901542032375199").value == "490154203237518"


def test_imsi():
    assert clean("imsi", "234150999999999").value == "234150999999999"
    assert clean("imsi", "12345").error


def test_vrm_and_postcode():
    assert clean("vrm", "za12 bcd").value == "ZA12BCD"
    assert clean("vrm", "ZA12-BCD").quality is None
    assert clean("vrm", "WXYZ12345").error
    assert clean("vrm", "ABCD1234").quality == "not a GB registration format"
    assert clean("postcode", "qa12bd").value == "QA1 2BD"
    assert clean("postcode", "QC14  7XY").value == "QC14 7XY"
    assert clean("postcode", "12345").error


def test_email_handle_number_enum_grading():
    assert clean("email", " Someone@Example.ORG ").value == "someone@example.org"
    assert clean("email", "someone at example").error
    assert clean("handle", "@Big_Dave.99").value == "big_dave.99"
    assert clean("handle", "two words").error
    assert clean("number", "about 35").value == "35"
    assert clean("number", "about 35").quality == "approximate"
    assert clean("number", "30-40").value == "35"
    assert clean("number", "thirty").error
    outcome = CleanOptions(values=("charged", "no_further_action"))
    assert clean("enum", "No Further Action", outcome).value == "no_further_action"
    assert clean("enum", "acquitted", outcome).error
    assert clean("grading", "b 2 4").value == "B24"
    assert clean("grading", "1ap").value == "1AP"
    assert clean("grading", "X9").error


def test_pivot_types_are_the_identifying_ones():
    assert set(pivot_types()) == {"phone", "imei", "imsi", "vrm", "postcode", "email", "handle"}


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=60), type_name=st.sampled_from(sorted(PROPERTY_TYPES)))
def test_cleaning_never_raises_and_always_explains_a_refusal(raw, type_name):
    result = property_type(type_name).clean(raw, DMY)
    assert (result.value is None) or isinstance(result.value, str)
    if result.value is None and raw.strip():
        assert result.error, f"{type_name} refused {raw!r} without a reason"

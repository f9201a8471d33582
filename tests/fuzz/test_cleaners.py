"""Property types (model/types.py): every cleaner on arbitrary text, and each one's invariants.

A cleaner never raises; it returns a value or a reason that quotes the raw text. A value it
returns is a fixed point (cleaning it again changes nothing), and has the type's shape: E.164
phones, upper-case VRMs without spaces, UK postcodes with one space, ISO dates.
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum import luhn

from lantern.model.types import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    PROPERTY_TYPES,
    CleanOptions,
    property_type,
)

from .conftest import fuzz

DEFAULT = CleanOptions()
OPTIONS = {  # per type, the options a mapping profile might give it
    "date": CleanOptions(formats=("%d/%m/%Y", "%d %b %Y")),
    "datetime": CleanOptions(formats=("%d/%m/%Y %H:%M:%S", "%Y%m%d %H%M%S")),
    "enum": CleanOptions(values=("male", "female", "unknown")),
    "phone": CleanOptions(region="GB"),
}
# Text an export really holds: digits, letters, separators, and any Unicode at all.
NOISY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.ascii_letters + string.digits + " -/.,:+()'\t", max_size=30),
)
TYPES = sorted(PROPERTY_TYPES)
# Idempotent under their default options (names: order re-applied only by surname_first).
FIXED_POINT_TYPES = [t for t in TYPES if t != "number"]


@pytest.mark.parametrize("type_name", TYPES)
@fuzz(60)
@given(raw=NOISY)
def test_a_cleaner_never_raises_and_every_refusal_quotes_the_raw_text(type_name, raw):
    ptype = property_type(type_name)
    for options in (DEFAULT, OPTIONS.get(type_name, DEFAULT)):
        result = ptype.clean(raw, options)
        assert (result.value is None) or result.ok
        if not result.ok:
            assert result.value is None and result.error
            assert repr(raw) in result.error, result.error  # names the value it refused
        if not raw.strip():
            assert result.value is None and result.ok  # a blank cell is empty, not an error
        if result.value is not None:
            assert result.value == result.value.strip() and result.value


@pytest.mark.parametrize("type_name", FIXED_POINT_TYPES)
@fuzz(60)
@given(raw=NOISY)
@example(raw="ß")
@example(raw="DE smith")
@example(raw="SMITH, John, Paul")
def test_cleaning_a_clean_value_changes_nothing(type_name, raw):
    ptype = property_type(type_name)
    options = OPTIONS.get(type_name, DEFAULT)
    first = ptype.clean(raw, options)
    if first.value is not None:
        again = ptype.clean(first.value, options)
        assert again.ok and again.value == first.value


@fuzz(20)
@given(digits=st.integers(min_value=309, max_value=400))
@example(digits=400)
def test_a_huge_number_is_refused_not_a_crash(digits):
    result = property_type("number").clean("1" * digits, DEFAULT)
    assert result.ok or "is not a number" in (result.error or "")


@fuzz(50)
@given(raw=st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, places=6).map(str))
@example(raw="0.00001")
def test_a_cleaned_number_cleans_to_itself(raw):
    number = property_type("number")
    first = number.clean(raw, DEFAULT)
    assert first.ok and first.value is not None
    assert number.clean(first.value, DEFAULT).value == first.value


# ---- phones ----------------------------------------------------------------------------------

UK_MOBILE = st.from_regex(r"\A7[1-9][0-9]{8}\Z")  # the 10-digit national number after the 0


@st.composite
def written_uk_mobile(draw) -> tuple[str, str]:
    nsn = draw(UK_MOBILE)
    prefix = draw(st.sampled_from(["0", "+44", "+44 ", "0044", "0044 ", "44", "+44 (0)"]))
    groups = draw(st.sampled_from([(4, 6), (4, 3, 3), (10,), (2, 4, 4)]))
    sep = draw(st.sampled_from(["", " ", "-", "."]))
    parts, i = [], 0
    for g in groups:
        parts.append(nsn[i:i + g])
        i += g
    written = prefix + sep.join(parts)
    if prefix == "44":
        written = prefix + nsn  # the bare 44 form is only recognised as 12 digits
    pad = draw(st.sampled_from(["", " ", "\t"]))
    return pad + written + pad, "+44" + nsn


@fuzz(100)
@given(case=written_uk_mobile())
def test_a_uk_mobile_however_written_cleans_to_e164(case):
    written, expected = case
    result = property_type("phone").clean(written, DEFAULT)
    assert result.ok and result.value == expected, (written, result)
    assert re.fullmatch(r"\+44\d{10}", result.value)


@fuzz(100)
@given(raw=NOISY)
def test_a_cleaned_phone_is_always_e164(raw):
    result = property_type("phone").clean(raw, DEFAULT)
    if result.value is not None:
        assert re.fullmatch(r"\+[1-9]\d{4,14}", result.value), (raw, result)
    elif result.error:
        assert "phone number" in result.error


# ---- VRMs and postcodes ----------------------------------------------------------------------

LETTERS = string.ascii_uppercase
GB_VRM = st.one_of(
    st.from_regex(r"\A[A-Z]{2}[0-9]{2}[A-Z]{3}\Z"),  # current
    st.from_regex(r"\A[A-Z][0-9]{1,3}[A-Z]{3}\Z"),  # prefix
    st.from_regex(r"\A[A-Z]{3}[0-9]{1,3}[A-Z]\Z"),  # suffix
)


def _mess(draw, value: str) -> str:
    """Lower-case some letters and scatter spaces and hyphens, as people key them."""
    out = []
    for ch in value:
        if draw(st.booleans()):
            ch = ch.lower()
        out.append(ch + draw(st.sampled_from(["", "", "", " ", "-"])))
    return draw(st.sampled_from(["", " ", "  "])) + "".join(out)


@fuzz(100)
@given(data=st.data(), plate=GB_VRM)
def test_a_gb_vrm_however_keyed_cleans_to_upper_case_without_spaces(data, plate):
    keyed = _mess(data.draw, plate)
    result = property_type("vrm").clean(keyed, DEFAULT)
    assert result.ok and result.value == plate and result.quality is None, (keyed, result)


@fuzz(100)
@given(raw=NOISY)
def test_a_cleaned_vrm_is_upper_case_alphanumeric_without_spaces(raw):
    result = property_type("vrm").clean(raw, DEFAULT)
    if result.value is not None:
        assert re.fullmatch(r"[0-9A-Z]{2,8}", result.value) or (
            result.value.isalnum() and result.value == result.value.upper()
            and " " not in result.value and 2 <= len(result.value) <= 8), result
    elif result.error:
        assert "is not a vehicle registration" in result.error


POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
GB_POSTCODE = st.tuples(
    st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]?\Z"), st.from_regex(r"\A[0-9][A-Z]{2}\Z"))


@fuzz(100)
@given(data=st.data(), parts=GB_POSTCODE)
def test_a_uk_postcode_however_keyed_cleans_to_outward_space_inward(data, parts):
    outward, inward = parts
    keyed = _mess(data.draw, outward + inward).replace("-", " ")
    result = property_type("postcode").clean(keyed, DEFAULT)
    assert result.ok and result.value == f"{outward} {inward}", (keyed, result)


@fuzz(100)
@given(raw=st.one_of(NOISY, st.from_regex(r"\A[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}\Z")))
def test_a_postcode_matches_the_uk_pattern_or_is_refused_by_name(raw):
    result = property_type("postcode").clean(raw, DEFAULT)
    if result.value is not None:
        assert POSTCODE.fullmatch(result.value), result
    elif result.error:
        assert result.error == f"{raw!r} is not a UK postcode"


# ---- dates -----------------------------------------------------------------------------------

IN_RANGE = st.dates(min_value=date(EARLIEST_YEAR, 1, 1), max_value=date(LATEST_YEAR, 12, 31))
FORMATS = ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m/%d/%Y", "%d %b %Y", "%d %B %Y", "%Y%m%d",
           "%Y-%m-%d"]


@fuzz(100)
@given(day=IN_RANGE, fmt=st.sampled_from(FORMATS))
def test_a_date_written_in_the_profiles_format_parses_back_to_itself(day, fmt):
    written = day.strftime(fmt)
    result = property_type("date").clean(written, CleanOptions(formats=(fmt,)))
    assert result.ok and result.value == day.isoformat(), (written, fmt, result)
    numeric = "%d" in fmt and "%m" in fmt and fmt != "%Y-%m-%d"  # ISO is never ambiguous
    ambiguous = numeric and day.day <= 12 and day.month <= 12 and day.day != day.month
    assert (result.quality == "day/month order ambiguous") == ambiguous


@fuzz(100)
@given(day=st.dates(min_value=date(1000, 1, 1)), fmt=st.sampled_from(["%d/%m/%Y", "%Y-%m-%d"]))
def test_a_date_outside_the_window_is_refused_with_its_year(day, fmt):
    written = day.strftime(fmt)
    result = property_type("date").clean(written, CleanOptions(formats=(fmt,)))
    if EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        assert result.value == day.isoformat()
    else:
        assert not result.ok and f"year {day.year}" in (result.error or "")


@fuzz(100)
@given(moment=st.datetimes(min_value=datetime(EARLIEST_YEAR, 1, 1),
                           max_value=datetime(LATEST_YEAR, 12, 31, 23, 59, 59)))
def test_an_iso_datetime_round_trips(moment):
    moment = moment.replace(microsecond=0)
    written = moment.isoformat(timespec="seconds")
    result = property_type("datetime").clean(written, DEFAULT)
    assert result.ok and result.value == written
    dt = property_type("datetime").clean(moment.strftime("%d/%m/%Y %H:%M:%S"),
                                         OPTIONS["datetime"])
    assert dt.value == written


# ---- names and handsets ----------------------------------------------------------------------

NAME_WORD = st.from_regex(r"\A[A-Za-z][a-z'\-]{0,10}\Z")


@fuzz(100)
@given(forename=NAME_WORD, surname=NAME_WORD)
def test_surname_comma_forename_and_forename_surname_agree(forename, surname):
    name = property_type("name")
    a = name.clean(f"{surname.upper()}, {forename}", DEFAULT)
    b = name.clean(f"{forename} {surname.upper()}", DEFAULT)
    c = name.clean(f"{surname} {forename}", CleanOptions(order="surname_first"))
    assert a.value == b.value
    assert c.value is not None
    assert c.value.casefold().split() == f"{forename} {surname}".casefold().split()


@fuzz(100)
@given(raw=NOISY)
def test_a_cleaned_name_has_letters_and_single_spaces(raw):
    result = property_type("name").clean(raw, DEFAULT)
    if result.value is not None:
        assert any(ch.isalpha() for ch in result.value)
        assert "  " not in result.value and result.value == result.value.strip()


@fuzz(100)
@given(body=st.from_regex(r"\A[0-9]{14}\Z"), sep=st.sampled_from(["", " ", "-", "/"]))
def test_an_imei_gets_a_valid_check_digit_and_keeps_it(body, sep):
    imei = property_type("imei")
    keyed = sep.join([body[:2], body[2:8], body[8:]])
    result = imei.clean(keyed, DEFAULT)
    assert result.value is not None and result.value.startswith(body) and len(result.value) == 15
    assert luhn.is_valid(result.value)
    again = imei.clean(result.value, DEFAULT)
    assert again.ok and again.value == result.value and again.quality is None

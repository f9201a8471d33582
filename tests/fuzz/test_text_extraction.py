"""Extraction from free text (text/patterns.py, text/dates.py): every span is really in the
text, and a phone, VRM, postcode or date planted in noise is found with its clean value."""

from __future__ import annotations

import string
from datetime import date, datetime

from hypothesis import given
from hypothesis import strategies as st

from lantern.text.dates import find_dates
from lantern.text.patterns import (
    find_emails,
    find_handles,
    find_nicknames,
    find_phones,
    find_postcodes,
    find_premises,
    find_vrms,
)

from .conftest import fuzz

EXTRACTORS = (find_phones, find_vrms, find_postcodes, find_emails, find_handles, find_nicknames,
              find_premises)
# Words a police log is made of, so that patterns get near-misses as well as noise.
WORDS = st.sampled_from([
    "seen", "at", "the", "Red Lion", "Arms", "on", "Friday", "yesterday", "3 days ago", "aka",
    "\"Dee\"", "known as", "Snap:", "@k_2", "07700", "900123", "+44", "AB12", "CDE", "M1 1AA",
    "12/03/2024", "2024-03-12", "21:40", "x@y.uk", "Flat 2,", "14", "High Street", "\n", ",",
])
PROSE = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(WORDS, st.text(alphabet=string.printable, max_size=6)), max_size=25)
    .map(" ".join),
)
FILLER = st.text(alphabet=string.ascii_lowercase + " .,", max_size=20).map(lambda s: f" {s} ")


def _spans_hold(text: str, mentions) -> None:
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start:m.end] == m.text, (text, m)
        assert m.normalised


@fuzz(150)
@given(text=PROSE, anchor=st.none() | st.datetimes(min_value=datetime(1990, 1, 1),
                                                     max_value=datetime(2090, 1, 1)))
def test_every_extracted_span_is_exactly_what_the_text_says(text, anchor):
    for extract in EXTRACTORS:
        _spans_hold(text, list(extract(text)))
    dates = list(find_dates(text, anchor))
    _spans_hold(text, dates)
    spans = sorted((m.start, m.end) for m in dates)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


@fuzz(100)
@given(before=FILLER, after=FILLER, nsn=st.from_regex(r"\A7[1-9][0-9]{8}\Z"),
       style=st.sampled_from(["0{a} {b}", "+44 {a} {b}", "+44{a}{b}", "0{a}{b}"]))
def test_a_planted_uk_mobile_is_found_as_e164(before, after, nsn, style):
    written = style.format(a=nsn[:4], b=nsn[4:])
    text = before + written + after
    found = [m for m in find_phones(text)]
    assert any(m.normalised == "+44" + nsn and m.text == written for m in found), (text, found)


@fuzz(100)
@given(before=FILLER, after=FILLER,
       plate=st.from_regex(r"\A[A-Z]{2}[0-9]{2}[A-Z]{3}\Z"), space=st.booleans())
def test_a_planted_vrm_is_found_without_its_space(before, after, plate, space):
    written = f"{plate[:4]} {plate[4:]}" if space else plate
    text = before + written + after
    assert [m.normalised for m in find_vrms(text)] == [plate]


@fuzz(100)
@given(before=FILLER, after=FILLER,
       outward=st.from_regex(r"\A[A-Z]{1,2}[0-9][A-Z0-9]?\Z"),
       inward=st.from_regex(r"\A[0-9][A-Z]{2}\Z"))
def test_a_planted_postcode_is_found_with_one_space(before, after, outward, inward):
    text = before + f"{outward} {inward}" + after
    assert f"{outward} {inward}" in [m.normalised for m in find_postcodes(text)]


@fuzz(100)
@given(before=FILLER, after=FILLER,
       day=st.dates(min_value=date(1950, 1, 1), max_value=date(2049, 12, 31)),
       fmt=st.sampled_from(["%d/%m/%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d.%m.%Y"]))
def test_a_planted_date_is_found_as_iso(before, after, day, fmt):
    written = day.strftime(fmt)
    text = before + written + after
    found = [m for m in find_dates(text, None) if m.text == written]
    assert [m.normalised for m in found] == [day.isoformat()], (text, list(find_dates(text, None)))

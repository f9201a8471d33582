"""Property types: each cleans a raw value on the way in and keeps the original beside it.

As in FollowTheMoney's ``types/``, a type knows how to clean and validate its own values and
whether it is a *pivot* (everything sharing one phone, VRM, postcode or handle is a lead).
Cleaning never raises: it returns a :class:`Cleaned` with either a value or the reason the
raw text was refused, and optionally a quality note on a value that loaded but needs care
(a date whose day and month could be swapped, a phone number outside any allocated range).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

import phonenumbers
from stdnum import imei as stdnum_imei
from stdnum import imsi as stdnum_imsi
from stdnum import luhn
from stdnum.exceptions import ValidationError

# Dates outside this window are almost always keying errors (01/01/1900, 2099...).
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The result of cleaning one raw value: a value, or the reason there is none."""

    value: str | None
    error: str | None = None
    quality: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


EMPTY = Cleaned(None)


@dataclass(frozen=True, slots=True)
class CleanOptions:
    """Per-column options a mapping profile can state. Hashable so cleaning can be cached."""

    formats: tuple[str, ...] = ()
    order: str = "auto"  # names: auto | forename_first | surname_first
    region: str = "GB"  # phones: region for numbers written without a country code
    values: tuple[str, ...] = ()  # enums: the allowed values, from the schema


DEFAULT_OPTIONS = CleanOptions()


class PropertyType:
    """Base class: strips whitespace and refuses nothing."""

    name = "string"
    pivot = False
    cache_size = 65536

    def __init__(self) -> None:
        self.clean = lru_cache(maxsize=self.cache_size)(self._explained)  # type: ignore[method-assign]

    def clean(self, raw: str, options: CleanOptions = DEFAULT_OPTIONS) -> Cleaned:
        return self._explained(raw, options)

    def _explained(self, raw: str, options: CleanOptions) -> Cleaned:
        """Every refusal of a non-blank value says why (punctuation alone, say), so nothing is
        dropped in silence."""
        result = self._clean(raw, options)
        if result.value is None and result.error is None and raw.strip():
            return Cleaned(None, f"{raw!r} holds no {self.name}, only separators or punctuation")
        return result

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = " ".join(raw.split())
        return Cleaned(text) if text else EMPTY


class StringType(PropertyType):
    name = "string"


class TextType(PropertyType):
    """Free text: keeps line breaks, trims the ends. Not cached: values rarely repeat."""

    name = "text"
    cache_size = 0

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip()
        return Cleaned(text) if text else EMPTY


class IdentifierType(PropertyType):
    name = "identifier"


_NAME_PARTICLES = {"de", "da", "del", "van", "von", "der", "bin", "al", "el", "la", "le"}


def _upper_letter(ch: str) -> str:
    """A letter in upper case, unless that takes more than one letter ('ß' -> 'SS', 'ŉ' ->
    'ʼN'): then as it was, since a grown 'SS' would read as shouting and be calmed to 'Ss'."""
    upper = ch.upper()
    return upper if len(upper) == 1 else ch


def _capitalise_word(word: str) -> str:
    if word.lower() in _NAME_PARTICLES:
        return word.lower()
    parts = re.split(r"([-'’])", word)
    out = []
    for part in parts:
        if part and part[0].isalpha():
            part = _upper_letter(part[0]) + part[1:].lower()
            if part.startswith("Mc") and len(part) > 2:
                part = "Mc" + _upper_letter(part[2]) + part[3:]
        out.append(part)
    return "".join(out)


def _calm(text: str) -> str:
    """Calm shouting word by word: exports mix 'KHAN, Mohammed' with 'mohammed khan'."""
    every_word = text.islower()
    return " ".join(
        _capitalise_word(w) if every_word or (w.isupper() and len(w) > 1) else w
        for w in text.split()
    )


class NameType(PropertyType):
    """Personal names: 'SURNAME, Forename' becomes 'Forename Surname'; shouting is calmed."""

    name = "name"

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = " ".join(raw.replace("\u00a0", " ").split()).strip(" ,;")
        if not text:
            return EMPTY
        if not any(ch.isalpha() for ch in text):
            return Cleaned(None, f"no letters in name {raw!r}")
        if "," in text and options.order != "forename_first":
            # 'SMITH, John, Paul': the surname is before the first comma; no comma survives,
            # so the cleaned name is not reordered again when it is cleaned again.
            surname, _, forename = text.partition(",")
            text = " ".join(f"{forename.replace(',', ' ')} {surname}".split()).strip(" ,;")
        elif options.order == "surname_first":
            surname, _, forename = text.partition(" ")
            text = f"{forename} {surname}".strip()
        # Calmed until settled, so cleaning a cleaned name changes nothing: 'DE smith' calms to
        # 'de smith', which is all lower case and calms on to 'de Smith'.
        for _ in range(3):  # settles in two rounds at most; bounded all the same
            calmed = _calm(text)
            if calmed == text:
                break
            text = calmed
        return Cleaned(text)


# Partial dates a record may hold when the full date is unknown; tried after the full formats.
_PARTIAL_FORMATS = (
    ("%Y", "year"),
    ("%m/%Y", "month"),
    ("%Y-%m", "month"),
    ("%m-%Y", "month"),
    ("%b %Y", "month"),
    ("%B %Y", "month"),
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _ambiguous(fmt: str, parsed: datetime) -> bool:
    """A numeric day and month both <= 12 could have been keyed the wrong way round."""
    numeric = "%d" in fmt and "%m" in fmt
    return numeric and parsed.day <= 12 and parsed.month <= 12 and parsed.day != parsed.month


def _check_year(year: int, raw: str) -> str | None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return f"year {year} in {raw!r} is outside {EARLIEST_YEAR}-{LATEST_YEAR}"
    return None


class DateType(PropertyType):
    """Calendar dates, full or partial: '1988-04-03', '1988-04' or '1988'."""

    name = "date"

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip()
        if not text:
            return EMPTY
        if _ISO_DATE.match(text):
            try:
                parsed = datetime.strptime(text, "%Y-%m-%d")
            except ValueError:
                return Cleaned(None, f"{raw!r} is not a real date")
            err = _check_year(parsed.year, raw)
            return Cleaned(None, err) if err else Cleaned(parsed.date().isoformat())
        impossible = False
        for fmt in options.formats:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError as exc:
                impossible = impossible or "out of range" in str(exc)
                continue
            err = _check_year(parsed.year, raw)
            if err:
                return Cleaned(None, err)
            quality = "day/month order ambiguous" if _ambiguous(fmt, parsed) else None
            return Cleaned(parsed.date().isoformat(), quality=quality)
        if impossible:
            return Cleaned(None, f"{raw!r} is not a real date")
        for fmt, precision in _PARTIAL_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            err = _check_year(parsed.year, raw)
            if err:
                return Cleaned(None, err)
            value = (
                f"{parsed.year:04d}"
                if precision == "year"
                else f"{parsed.year:04d}-{parsed.month:02d}"
            )
            return Cleaned(value, quality=f"partial date ({precision} only)")
        expected = ", ".join(options.formats) or "YYYY-MM-DD"
        return Cleaned(None, f"{raw!r} does not match the date format ({expected})")


class DateTimeType(PropertyType):
    """Dates with an optional time of day, cleaned to ISO 8601 without a zone (UK local)."""

    name = "datetime"
    _date = DateType()

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip()
        if not text:
            return EMPTY
        for fmt in options.formats:
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            err = _check_year(parsed.year, raw)
            if err:
                return Cleaned(None, err)
            quality = "day/month order ambiguous" if _ambiguous(fmt, parsed) else None
            has_time = any(code in fmt for code in ("%H", "%I", "%M"))
            value = parsed.isoformat(timespec="seconds") if has_time else parsed.date().isoformat()
            return Cleaned(value, quality=quality)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            fallback = self._date.clean(text, CleanOptions())
            if fallback.ok:
                return fallback
            expected = ", ".join(options.formats) or "ISO 8601"
            return Cleaned(None, f"{raw!r} does not match the date/time format ({expected})")
        err = _check_year(parsed.year, raw)
        if err:
            return Cleaned(None, err)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        if len(text) == 10:
            return Cleaned(parsed.date().isoformat())
        return Cleaned(parsed.isoformat(timespec="seconds"))


class PhoneType(PropertyType):
    """Phone numbers to E.164 with Google's libphonenumber; UK numbers by default."""

    name = "phone"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip()
        if not text:
            return EMPTY
        if text.startswith("00"):
            text = "+" + text[2:]
        elif text.startswith("44") and len(re.sub(r"\D", "", text)) == 12:
            text = "+" + text
        try:
            number = phonenumbers.parse(text, options.region)
        except phonenumbers.NumberParseException:
            return Cleaned(None, f"{raw!r} is not a phone number")
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
            return Cleaned(None, f"{raw!r} has the wrong length for a phone number")
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        quality = (
            None if phonenumbers.is_valid_number(number) else "not in an allocated number range"
        )
        return Cleaned(value, quality=quality)


class ImeiType(PropertyType):
    """Handset IMEI: 15 digits with a Luhn check digit (14 digits get one computed)."""

    name = "imei"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        digits = re.sub(r"[\s./-]", "", raw)
        if not digits:
            return EMPTY
        if not digits.isdigit():
            return Cleaned(None, f"{raw!r} is not an IMEI (digits only)")
        if len(digits) == 14:
            return Cleaned(digits + luhn.calc_check_digit(digits), quality="check digit computed")
        if len(digits) == 16:  # IMEISV: the software version replaces the check digit
            body = digits[:14]
            return Cleaned(body + luhn.calc_check_digit(body), quality="from IMEISV")
        try:
            return Cleaned(stdnum_imei.validate(digits))
        except ValidationError as exc:
            return Cleaned(None, f"{raw!r} is not a valid IMEI ({exc})")


class ImsiType(PropertyType):
    """SIM IMSI: 14-15 digits starting with a known mobile country code."""

    name = "imsi"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        digits = re.sub(r"\s", "", raw)
        if not digits:
            return EMPTY
        try:
            return Cleaned(stdnum_imsi.validate(digits))
        except ValidationError as exc:
            return Cleaned(None, f"{raw!r} is not a valid IMSI ({exc})")


# Current (AB12 CDE), prefix (A123 BCD), suffix (ABC 123D) and dateless GB registrations.
_VRM_GB = re.compile(
    r"^(?:[A-Z]{2}[0-9]{2}[A-Z]{3}|[A-Z][0-9]{1,3}[A-Z]{3}|[A-Z]{3}[0-9]{1,3}[A-Z]"
    r"|[A-Z]{1,3}[0-9]{1,4}|[0-9]{1,4}[A-Z]{1,3})$"
)


class VrmType(PropertyType):
    """Vehicle registration marks: upper case, no spaces; non-GB formats load with a note."""

    name = "vrm"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = re.sub(r"[\s-]", "", raw).upper()
        if not text:
            return EMPTY
        if not text.isalnum() or not 2 <= len(text) <= 8:
            return Cleaned(None, f"{raw!r} is not a vehicle registration")
        quality = None if _VRM_GB.match(text) else "not a GB registration format"
        return Cleaned(text, quality=quality)


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


class PostcodeType(PropertyType):
    """UK postcodes: upper case with one space before the inward code."""

    name = "postcode"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = re.sub(r"\s", "", raw).upper()
        if not text:
            return EMPTY
        match = _POSTCODE.match(text)
        if not match:
            return Cleaned(None, f"{raw!r} is not a UK postcode")
        return Cleaned(f"{match.group(1)} {match.group(2)}")


class AddressType(PropertyType):
    """Postal addresses: whitespace and stray commas tidied, shouting calmed."""

    name = "address"

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        parts = [" ".join(p.split()) for p in raw.replace("\n", ",").split(",")]
        text = ", ".join(p for p in parts if p)
        if not text:
            return EMPTY
        if text.isupper():
            text = string.capwords(text)
            text = re.sub(
                r"\b([A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2})\b",
                lambda m: m.group(1).upper(),
                text,
            )
        return Cleaned(text)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmailType(PropertyType):
    name = "email"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip().lower()
        if not text:
            return EMPTY
        if text.startswith("mailto:"):
            text = text[7:]
        if not _EMAIL.match(text):
            return Cleaned(None, f"{raw!r} is not an email address")
        return Cleaned(text)


_HANDLE = re.compile(r"^[a-z0-9_.\-]{1,64}$")


class HandleType(PropertyType):
    """Social media handles: lower case, without the leading '@'."""

    name = "handle"
    pivot = True

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip().lstrip("@").lower()
        if not text:
            return EMPTY
        if not _HANDLE.match(text):
            return Cleaned(None, f"{raw!r} is not a handle (letters, digits, _ . - only)")
        return Cleaned(text)


_NUMBER = re.compile(
    r"^(?P<approx>about|approx\.?|approximately|c\.|circa|~)?\s*"
    r"(?P<low>-?\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(?P<high>\d+(?:\.\d+)?))?\s*"
    r"(?:yrs?|years?(?: old)?|s|secs?|seconds?)?\??$",
    re.IGNORECASE,
)


def _format_number(value: float) -> str:
    """Plain decimal notation (never '1e-05', which would not read back as a number)."""
    if value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")  # the shortest digits that read back, positionally


class NumberType(PropertyType):
    """Numbers; 'about 35' and '30-35' load with a note that they are approximate."""

    name = "number"

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip().replace(",", "")
        if not text:
            return EMPTY
        match = _NUMBER.match(text)
        if not match:
            return Cleaned(None, f"{raw!r} is not a number")
        low = float(match.group("low"))
        high = float(match.group("high") or 0)
        if math.isinf(low) or math.isinf(high):  # hundreds of digits: no measure is that large
            return Cleaned(None, f"{raw.strip()[:40]!r}... is not a number (too large)")
        if match.group("high"):
            return Cleaned(_format_number((low + high) / 2), quality=f"range {raw.strip()}")
        quality = "approximate" if match.group("approx") or text.endswith("?") else None
        return Cleaned(_format_number(low), quality=quality)


class EnumType(PropertyType):
    """One of the values the schema lists; profiles map source codes onto them."""

    name = "enum"

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if not text:
            return EMPTY
        if options.values and text not in options.values:
            allowed = ", ".join(options.values)
            return Cleaned(None, f"{raw!r} is not one of: {allowed}")
        return Cleaned(text)


_GRADING = re.compile(r"^(?:[A-E][1-5][1-5P]?|[1-3][A-E][PC])$")


class GradingType(PropertyType):
    """Intelligence grading: 5x5x5 ('B2', 'B24') or 3x5x2 ('1AP')."""

    name = "grading"

    def _clean(self, raw: str, options: CleanOptions) -> Cleaned:
        text = re.sub(r"[\s/,\-]", "", raw).upper()
        if not text:
            return EMPTY
        if not _GRADING.match(text):
            return Cleaned(None, f"{raw!r} is not a 5x5x5 or 3x5x2 grading")
        return Cleaned(text)


PROPERTY_TYPES: dict[str, PropertyType] = {
    t.name: t
    for t in (
        StringType(),
        TextType(),
        IdentifierType(),
        NameType(),
        DateType(),
        DateTimeType(),
        PhoneType(),
        ImeiType(),
        ImsiType(),
        VrmType(),
        PostcodeType(),
        AddressType(),
        EmailType(),
        HandleType(),
        NumberType(),
        EnumType(),
        GradingType(),
    )
}


def property_type(name: str) -> PropertyType:
    try:
        return PROPERTY_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(PROPERTY_TYPES))
        raise KeyError(f"unknown property type {name!r} (known: {known})") from None


def pivot_types() -> Sequence[str]:
    return [name for name, t in PROPERTY_TYPES.items() if t.pivot]


def parse_iso_date(value: str) -> date | None:
    """A cleaned date value back to a date; partial dates give None."""
    return date.fromisoformat(value) if len(value) == 10 else None

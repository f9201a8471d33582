"""Extractors with no knowledge of the workspace: each yields mentions with exact spans."""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from lantern.text.model import Mention

MAX_PHONES = 1000  # per text: phonenumbers stops here anyway, and so do we

# VRMs: current GB format (AB12 CDE), then older suffix (A123 BCD) and prefix (ABC 123D) forms.
VRM = re.compile(r"\b(?:[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Z]\d{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?\d{1,3}[A-Z])\b")
POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b")
EMAIL = re.compile(r"\b[\w.+-]{1,64}@[A-Za-z\d-]{1,63}(?:\.[A-Za-z\d-]{1,63})+\b")
HANDLE = re.compile(
    r"(?:(?<![\w@])@(?P<at>[A-Za-z\d_][A-Za-z\d_.]{0,28}[A-Za-z\d_])(?![\w@])|"
    r"\b(?P<platform>snap(?:chat)?|insta(?:gram)?|tiktok|tik tok|twitter|x|telegram|fb|facebook)\b"
    r"\s*(?::|-|name|handle|username|is|as|@)?\s*[\"'‘]?(?P<name>[A-Za-z\d_][A-Za-z\d_.]{0,28}[A-Za-z\d_])[\"'’]?)", re.IGNORECASE)
_NICK = r"[\"'‘“](?P<q>[^\"'’”\n]{1,30})[\"'’”]|(?P<bare>[A-Z][\w-]{1,20})"
NICKNAME = re.compile(
    rf"\b(?:known as|called|aka|a\.k\.a\.?|nicknamed|goes by|street name|saved as|saved under|"
    rf"who calls himself|who calls herself)\s+(?:{_NICK})")
_PREMISES_WORDS = (r"Takeaway|Kebab|Pizza|Chicken|Grill|Hotel|Inn|Lodge|Guest House|Arms|Tavern|Bar|"
                   r"Club|Park|House|Home|Shop|Mart|Centre|Cafe|Café|Express|Hut|Corner|car park")
_CAP = r"[A-Z][\w'’&-]*"
PREMISES = re.compile(
    rf"\b(?:at|from|outside|near|inside|to|in|staying at)\s+(?P<p>(?:the\s+)?(?:{_CAP}\s+){{0,4}}(?:{_PREMISES_WORDS})\b|"
    rf"[Tt]he\s+(?:{_CAP}\s+){{0,3}}{_CAP})"
    rf"|(?P<flat>(?:\bFlat\s+\d+[A-Z]?,|\b\d{{1,4}}[A-Z]?)\s+(?:{_CAP}\s+){{1,3}}(?:Street|Road|Lane|Avenue|Close|Way|Drive|Court|Terrace|"
    rf"Crescent|Place|Row|Walk|Grove|Gardens)(?:,\s+{_CAP}(?:\s+{_CAP})?)?)")
_NOT_HANDLE = {"is", "was", "the", "and", "to", "of", "a", "not", "x"}


def find_phones(text: str) -> Iterator[Mention]:
    # POSSIBLE leniency: Ofcom's drama ranges (used by synthetic data and in training) are not
    # "valid" numbers; a leading + or 0 keeps references and dates (24/000123) out.
    for n, match in enumerate(PhoneNumberMatcher(text, "GB", leniency=Leniency.POSSIBLE)):
        if n >= MAX_PHONES:
            return
        raw = match.raw_string
        digits = re.sub(r"\D", "", raw)
        if not raw.lstrip("(").startswith(("0", "+")) or len(digits) < 10 or "/" in raw:
            continue
        value = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
        yield Mention("phone", match.start, match.end, raw, value)


def find_vrms(text: str) -> Iterator[Mention]:
    for m in VRM.finditer(text):
        yield Mention("vrm", m.start(), m.end(), m.group(0), re.sub(r"\s", "", m.group(0)).upper())


def find_postcodes(text: str) -> Iterator[Mention]:
    for m in POSTCODE.finditer(text):
        yield Mention("postcode", m.start(), m.end(), m.group(0), f"{m.group(1)} {m.group(2)}")


def find_emails(text: str) -> Iterator[Mention]:
    for m in EMAIL.finditer(text):
        yield Mention("email", m.start(), m.end(), m.group(0), m.group(0).lower())


def find_handles(text: str) -> Iterator[Mention]:
    for m in HANDLE.finditer(text):
        if m["at"]:
            if m.start() > 0 and text[m.start() - 1].isalnum():
                continue  # part of an email address
            yield Mention("handle", m.start(), m.end(), m.group(0), "@" + m["at"].lower())
        elif m["name"] and m["name"].lower() not in _NOT_HANDLE:
            platform = m["platform"].lower().replace(" ", "")
            yield Mention("handle", m.start(), m.end(), m.group(0), f"{platform}:{m['name'].lower()}")


def find_nicknames(text: str) -> Iterator[Mention]:
    for m in NICKNAME.finditer(text):
        group = "q" if m["q"] is not None else "bare"
        value = m[group].strip()
        if value:
            yield Mention("nickname", m.start(group), m.end(group), m[group], value)


def find_premises(text: str) -> Iterator[Mention]:
    for m in PREMISES.finditer(text):
        group = "p" if m["p"] is not None else "flat"
        written = m[group]
        yield Mention("premises", m.start(group), m.end(group), written, written.removeprefix("the "))

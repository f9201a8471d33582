"""Noise: the ways real records of one person differ, each at a documented rate.

Noise never makes a value that ingest would refuse: a day/month swap happens only when the
swapped date is real, an approximate birth date is a year (a partial date Lantern loads).
Values that must be refused are the writer's job (corrupt_row), so they are counted apart.
"""

from __future__ import annotations

import random
from datetime import date

from lantern.synth.names import NICKNAMES, VARIANTS
from lantern.synth.rates import NoiseRates


class Noise:
    def __init__(self, rng: random.Random, rates: NoiseRates) -> None:
        self.rng = rng
        self.rates = rates

    def _typo(self, name: str) -> str:
        if len(name) < 4:
            return name
        i = self.rng.randrange(1, len(name) - 1)
        how = self.rng.randrange(3)
        if how == 0:
            return name[:i] + name[i + 1:]  # dropped letter
        if how == 1:
            return name[:i] + name[i] + name[i:]  # doubled letter
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]  # swapped neighbours

    def _spell(self, name: str) -> str:
        rng, rates = self.rng, self.rates
        if name in VARIANTS and rng.random() < rates.transliteration:
            name = rng.choice(VARIANTS[name])
        if rng.random() < rates.typo:
            name = self._typo(name)
        return name

    def names(self, forename: str, surname: str) -> tuple[str, str]:
        """(forename, surname) as one record writes them."""
        rng, rates = self.rng, self.rates
        if forename in NICKNAMES and rng.random() < rates.nickname:
            forename = rng.choice(NICKNAMES[forename])
        else:
            forename = self._spell(forename)
        surname = self._spell(surname)
        if rng.random() < rates.name_swap:
            forename, surname = surname, forename
        return forename, surname

    def dob(self, ordinal: int, fmt: str) -> str:
        rng, rates = self.rng, self.rates
        roll = rng.random()
        if roll < rates.dob_missing:
            return ""
        born = date.fromordinal(ordinal)
        roll -= rates.dob_missing
        if roll < rates.dob_approx:
            return str(born.year)
        roll -= rates.dob_approx
        if roll < rates.dob_day_month_swap and born.day <= 12 and born.day != born.month:
            born = born.replace(day=born.month, month=born.day)
        return born.strftime(fmt)

    def phone(self, national: str) -> str:
        """A number ('07700900123' or '01134960123') in one of the formats records use."""
        if not national:
            return ""
        mobile = national.startswith("07")
        if self.rng.random() >= self.rates.phone_format_mixed:
            return f"{national[:5]} {national[5:]}" if mobile else _spaced_landline(national)
        style = self.rng.randrange(4)
        if style == 0:
            return national
        if style == 1:
            return f"+44 {national[1:5]} {national[5:]}" if mobile else "+44" + national[1:]
        if style == 2:
            return "0044" + national[1:]
        return f"({national[:5]}) {national[5:]}"


def _spaced_landline(digits: str) -> str:
    if digits.startswith("020") or digits.startswith("029"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if digits.startswith("01632"):
        return f"{digits[:5]} {digits[5:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"

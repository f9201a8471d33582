"""Who is a child: a person still under 18 at the date of the latest evidence about them.

A recorded date of birth decides (as the network decides who can hold an adult's role: see
lantern.graph.edges.children_among). Someone who turned 18 during the records is an adult
here. A person with no date of birth but an age under 18 stated on a record (a victim's age in
a crime report, say) is a child too, and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lantern.risk.facts import Age, years_between

ADULT = 18


@dataclass(frozen=True)
class Childhood:
    youngest: int  # the age at the earliest evidence
    oldest: int  # the age at the latest evidence
    basis: str  # "date of birth" | "stated age"
    record: int | None  # the record that gives it

    def describe(self) -> str:
        ages = f"aged {self.youngest}" if self.youngest == self.oldest else f"aged {self.youngest}-{self.oldest}"
        if self.basis == "stated age":
            return f"{ages} (no date of birth recorded; age stated on record {self.record})"
        return f"{ages} in the records (date of birth on record {self.record})"


def childhood(age: Age | None, dates: list[date] | None, reference: date) -> Childhood | None:
    """The person's childhood in the evidence, or None when they are not known to be a child."""
    if age is None:
        return None
    when = sorted(dates) if dates else [reference]
    if age.born is not None:
        ages = [a for a in (years_between(age.born, d) for d in when) if a >= 0]
        if ages and max(ages) < ADULT:
            return Childhood(min(ages), max(ages), "date of birth", age.born_record)
        return None
    if age.stated is not None and age.stated < ADULT:
        return Childhood(age.stated, age.stated, "stated age", age.stated_record)
    return None


def is_adult(age: Age | None, on: date) -> bool | None:
    """True or False where a date of birth or a stated age says; None when nothing does."""
    if age is None:
        return None
    if age.born is not None:
        return years_between(age.born, on) >= ADULT
    if age.stated is not None:
        return age.stated >= ADULT
    return None

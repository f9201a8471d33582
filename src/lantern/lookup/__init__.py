"""Finding anyone or anything in a case, and everything known about one person.

``search`` looks across people (fuzzy names), phones, vehicles, places and report text;
``person_profile`` gathers one resolved person's names, dates of birth, phones and addresses
(each with its source row), events, ties, groups and risk reasons. Both return raw values:
the presentation (CLI, web) decides how children and victims are shown (``privacy``).
"""

from lantern.lookup.hits import KINDS, Hit
from lantern.lookup.profile import Profile, person_profile
from lantern.lookup.search import search

__all__ = ["KINDS", "Hit", "Profile", "person_profile", "search"]

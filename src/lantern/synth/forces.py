"""The fictional forces: how each one's systems export, and how each one records.

Three export families stand in for the record systems forces really run: `niche` (upper-case
columns, 'SURNAME, Forename'), `athena` (titled columns, separate surname and forenames,
Oracle-style dates) and `storm` (camelCase, 'Forename Surname', ISO or dotted dates). Each
force pairs a family with its own delimiter, encoding and date formats, and its own
recording practice, so no two forces' files read alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from lantern.synth.names import FORCE_NAMES


@dataclass(frozen=True)
class Practice:
    """How a force records: the rates behind issue 3's item 6, all in truth/."""

    suspect_ethnicity_recorded: float  # share of crime rows with suspect ethnicity filled
    victim_age_missing: float  # share of crime rows with no victim date of birth or age
    nfa_with_suspect: float  # share of group crimes closed NFA despite a named suspect
    victim_blaming: float  # share of victim-facing narratives with victim-blaming language


@dataclass(frozen=True)
class Force:
    index: int
    name: str
    slug: str  # 'force-a': used in profile names, namespaces and folders
    family: str  # niche | athena | storm
    delimiter: str
    encoding: str
    dob_format: str
    dt_format: str
    ethnicity_style: str  # code (W1) | label (White - British) | ic (IC1)
    intel_jsonl: bool
    practice: Practice
    weight: float  # relative size of the force's population

    @property
    def letter(self) -> str:
        return "ABCDEF"[self.index]


_DEFS = (
    ("niche", ",", "utf-8", "%d/%m/%Y", "%d/%m/%Y %H:%M", "code", False,
     Practice(0.95, 0.10, 0.35, 0.05), 1.0),
    ("athena", ";", "cp1252", "%d-%b-%Y", "%d-%b-%Y %H:%M:%S", "label", False,
     Practice(0.65, 0.30, 0.55, 0.20), 0.8),
    ("storm", "\t", "utf-8", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "ic", True,
     Practice(0.33, 0.45, 0.70, 0.35), 0.7),
    ("niche", ";", "utf-8", "%m/%d/%Y", "%m/%d/%Y %H:%M", "code", False,
     Practice(0.80, 0.20, 0.45, 0.10), 0.6),
    ("athena", "|", "utf-8", "%d/%m/%Y", "%d/%m/%Y %H:%M", "label", False,
     Practice(0.50, 0.25, 0.50, 0.15), 0.6),
    ("storm", ",", "cp1252", "%d.%m.%Y", "%d.%m.%Y %H:%M", "ic", False,
     Practice(0.40, 0.35, 0.60, 0.25), 0.5),
)
MAX_FORCES = len(_DEFS)

FORCES: tuple[Force, ...] = tuple(
    Force(i, FORCE_NAMES[i], f"force-{'abcdef'[i]}", *d) for i, d in enumerate(_DEFS)
)


def forces(n: int) -> tuple[Force, ...]:
    if not 1 <= n <= MAX_FORCES:
        raise ValueError(f"forces must be between 1 and {MAX_FORCES}, not {n}")
    return FORCES[:n]

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
        return force_code(self.index).upper()


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
SHIPPED_FORCES = len(_DEFS)  # their profiles ship in profiles/synth/; others are written beside the scenario
MAX_FORCES = len(FORCE_NAMES)  # 43: the territorial forces of England and Wales


def force_code(index: int) -> str:
    """'a'..'z', then 'aa', 'ab', ...: the force's part of its folder, profile and ids."""
    code = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        code = "abcdefghijklmnopqrstuvwxyz"[rest] + code
    return code


def _force(i: int) -> Force:
    """Forces beyond the first six share their record systems (a family, delimiter, encoding,
    date formats and recording practice) with one of them, as real forces share vendors; each
    has its own name, towns, namespace and size."""
    family, delimiter, encoding, dob, dt, ethnicity, jsonl, practice, weight = _DEFS[i % SHIPPED_FORCES]
    if i >= SHIPPED_FORCES:
        weight = round(0.3 + 0.1 * ((i * 7) % 8), 2)
    return Force(i, FORCE_NAMES[i], f"force-{force_code(i)}", family, delimiter, encoding, dob, dt,
                 ethnicity, jsonl, practice, weight)


FORCES: tuple[Force, ...] = tuple(_force(i) for i in range(MAX_FORCES))


def forces(n: int) -> tuple[Force, ...]:
    if not 1 <= n <= MAX_FORCES:
        raise ValueError(f"forces must be between 1 and {MAX_FORCES}, not {n}")
    return FORCES[:n]

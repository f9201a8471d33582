"""Every rate the generator uses to plant noise, corruption and structure, in one place.

The defaults are what `generate` uses; docs/synth.md and the scenario's truth/README.md list
them with their meaning. `NoiseRates.off()` gives clean exports (no noise, no corruption);
`replace(NoiseRates(), corrupt_row=0.0)` keeps realistic noise but quarantines nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class NoiseRates:
    # ---- names (per name written) ----
    typo: float = 0.03  # one letter dropped, doubled or swapped with its neighbour
    nickname: float = 0.06  # forename written as a known nickname (Daniel -> Danny)
    transliteration: float = 0.45  # where a name has variants, a variant is written
    name_swap: float = 0.02  # forename and surname written the wrong way round
    # ---- dates of birth (per record) ----
    dob_missing: float = 0.05  # left blank
    dob_approx: float = 0.03  # year only (loads as a partial date)
    dob_day_month_swap: float = 0.02  # day and month swapped, only where the result is a date
    # ---- contact details ----
    phone_format_mixed: float = 0.5  # a number written in another format (+44, 0044, no space)
    address_stale: float = 0.3  # a person who moved is recorded at the old address
    moved: float = 0.08  # share of households that moved during the window
    # ---- records and objects ----
    duplicate_nominal: float = 0.06  # a second nominal record for the same person in a force
    father_son_same_name: float = 0.03  # households where a son carries his father's name
    phone_handover: float = 0.3  # share of groups whose shared phone passes between members
    handset_swap: float = 0.25  # share of target phones whose handset (IMEI) changes
    sim_swap: float = 0.2  # share of target people who move to a new number in the same handset
    # ---- rows deliberately broken so that they must be quarantined ----
    corrupt_row: float = 0.004

    @classmethod
    def off(cls) -> NoiseRates:
        """No noise and no corruption: every record exactly as the truth says."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


# What each rate means, for truth/README.md and docs/synth.md (kept beside the values).
RATE_DOCS: dict[str, str] = {
    "typo": "per name written: one letter dropped, doubled or swapped with its neighbour",
    "nickname": "per forename written: a known nickname instead (Daniel -> Danny)",
    "transliteration": "per name with known variants: a variant spelling (Mohammed -> Muhammad)",
    "name_swap": "per name written: forename and surname the wrong way round",
    "dob_missing": "per person record: date of birth left blank",
    "dob_approx": "per person record: year of birth only",
    "dob_day_month_swap": "per person record: day and month swapped (only if still a date)",
    "phone_format_mixed": "per phone written: another format (+44 7700..., 0044..., no spaces)",
    "address_stale": "per record of a person who moved: the previous address is written",
    "moved": "share of households that moved address during the window",
    "duplicate_nominal": "per person and force: a second nominal record with its own ref",
    "father_son_same_name": "share of households with a son named after his father",
    "phone_handover": "share of groups whose shared phone passes from member to member",
    "handset_swap": "share of target phones whose handset (IMEI) is replaced",
    "sim_swap": "share of target people who take a new number in the same handset",
    "corrupt_row": "per data row: deliberately broken so ingest must quarantine it",
}


@dataclass(frozen=True)
class Shape:
    """The structure planted in the population (documented beside the noise rates)."""

    people_per_group: int = 420  # one exploitation group per this many people
    min_group: int = 3
    max_group: int = 12
    cross_force_group: float = 0.25  # groups whose members and premises span two forces
    member_in_two_groups: float = 0.12  # per group: one member also belongs to another group
    victims_per_group: tuple[int, int] = (2, 6)
    victim_two_groups: float = 0.15  # per victim: also exploited by a second group
    victim_recruited_by_victim: float = 0.25  # per later victim: introduced by an earlier one
    decoys_per_victim: float = 1.0  # decoy children (risk signs, not exploited) per victim
    background_crime: float = 0.03  # per adult: one background crime over the window
    background_missing: float = 0.02  # per child: one or two background missing episodes
    seized_devices_per_group: float = 0.5  # phones seized and downloaded, per group

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


SHAPE_DOCS: dict[str, str] = {
    "people_per_group": "one planted exploitation group per this many people",
    "min_group": "smallest group (members)",
    "max_group": "largest group (members)",
    "cross_force_group": "share of groups spanning two forces",
    "member_in_two_groups": "share of groups sharing one member with another group",
    "victims_per_group": "victims per group (inclusive range)",
    "victim_two_groups": "share of victims also exploited by a second group",
    "victim_recruited_by_victim": "share of later victims introduced by an earlier victim",
    "decoys_per_victim": "decoy children per victim: missing and police contact, no group link",
    "background_crime": "share of adults with one background (unrelated) crime",
    "background_missing": "share of children with one or two background missing episodes",
    "seized_devices_per_group": "phones seized and downloaded per group (at least one overall)",
}

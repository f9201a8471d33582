"""The scenario being written: population, open writers, truth, and per-force rendering.

Passes (people, groups, decoys, comms) share this context explicitly rather than reaching
into each other; it knows how each force writes a person, a date or a reference.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from lantern.synth import ids
from lantern.synth.forces import Force
from lantern.synth.layouts import SEX, Layout, force_layouts, national_layouts
from lantern.synth.names import ETHNICITIES, NICKNAMES, POOLS, STREET_NAMES
from lantern.synth.noise import Noise
from lantern.synth.population import ROLE_OFFENDER, Population, person_id
from lantern.synth.rates import NoiseRates
from lantern.synth.truth import Truth
from lantern.synth.writer import ExportWriter

Progress = Callable[[str, int, int], None]
_REF_PREFIX = {"crimes": "CR", "intel": "IR", "missing": "MP", "sightings": "SI",
               "custody": "CU", "stops": "SS"}


class Context:
    def __init__(self, outdir: Path, forces: tuple[Force, ...], pop: Population,
                 rng: random.Random, rates: NoiseRates, seed: int, truth: Truth,
                 progress: Progress | None) -> None:
        self.outdir = outdir
        self.forces = forces
        self.pop = pop
        self.rng = rng
        self.rates = rates
        self.seed = seed
        self.noise = Noise(rng, rates)
        self.truth = truth
        self.progress = progress
        self.layouts: list[Layout] = []
        self.writers: dict[tuple[int, str], ExportWriter] = {}
        self.national: dict[str, ExportWriter] = {}
        for force in forces:
            for kind, layout in force_layouts(force).items():
                self.layouts.append(layout)
                self.writers[(force.index, kind)] = ExportWriter(
                    outdir, layout, seed, rates.corrupt_row, truth, dedupe=kind != "nominals")
        for name, layout in national_layouts().items():
            self.layouts.append(layout)
            self.national[name] = ExportWriter(outdir, layout, seed, rates.corrupt_row, truth)
        self._counters: dict[tuple[int, str], int] = {}

    def close(self) -> None:
        for writer in [*self.writers.values(), *self.national.values()]:
            writer.close()

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    # ---- references -----------------------------------------------------------------------

    def nominal_ref(self, force: Force, pid: int, duplicate: bool = False) -> str:
        """A force's own reference for a person: a bijection of the person per force."""
        num = (pid * 7919 + 104_729 * (force.index + 1)) % 10**7
        if duplicate:
            num += 10**7
        if force.family == "niche":
            return f"N{force.letter}{num:07d}"
        if force.family == "athena":
            return f"{force.letter}/{num:07d}"
        return f"{force.letter}P-{num}"

    def event_ref(self, force: Force, kind: str, day: int) -> str:
        key = (force.index, kind)
        self._counters[key] = n = self._counters.get(key, 0) + 1
        year = date.fromordinal(day).year % 100
        prefix = _REF_PREFIX[kind]
        if force.family == "niche":
            return f"{prefix}/{year:02d}/{n:06d}"
        if force.family == "athena":
            return f"{force.letter}{prefix}{year:02d}{n:07d}"
        return f"{prefix}-{force.letter}-{n}"

    # ---- values ---------------------------------------------------------------------------

    def when(self, day: int, evening: bool = False) -> datetime:
        hour = self.rng.choice((18, 19, 20, 21, 22, 23, 0, 1)) if evening else \
            self.rng.randint(7, 23)
        return datetime.fromordinal(day) + timedelta(hours=hour, minutes=self.rng.randrange(60),
                                                    seconds=self.rng.randrange(60))

    def day(self, start: int, end: int) -> int:
        return self.rng.randrange(start, end)

    def phone_text(self, index: int) -> str:
        return self.noise.phone(ids.mobile_digits(index))

    def names(self, pid: int) -> tuple[str, str]:
        pool = POOLS[ETHNICITIES[self.pop.eth[pid]].pool]
        fore = pool["female" if self.pop.sex[pid] else "male"][self.pop.forename[pid]]
        return fore, pool["surname"][self.pop.surname[pid]]

    def alias(self, pid: int) -> str:
        """Street name for offenders; a nickname, where there is one, for others."""
        if self.pop.role[pid] == ROLE_OFFENDER:
            return STREET_NAMES[(pid * 31) % len(STREET_NAMES)]
        fore, _ = self.names(pid)
        options = NICKNAMES.get(fore)
        return options[pid % len(options)] if options and pid % 3 == 0 else ""

    def ethnicity(self, force: Force, pid: int) -> str:
        eth = ETHNICITIES[self.pop.eth[pid]]
        return {"code": eth.code, "label": eth.label, "ic": eth.ic}[force.ethnicity_style]

    def person(self, force: Force, prefix: str, pid: int, day: int, *extra: str,
               duplicate: bool = False) -> dict[str, str]:
        """One person block as this force writes it, with this record's noise."""
        fore, sur = self.noise.names(*self.names(pid))
        out = {f"{prefix}ref": self.nominal_ref(force, pid, duplicate)}
        if force.family == "niche":
            out[f"{prefix}name"] = f"{sur.upper()}, {fore}"
        elif force.family == "athena":
            out[f"{prefix}surname"] = sur.upper()
            out[f"{prefix}forenames"] = fore
        else:
            out[f"{prefix}name"] = f"{fore} {sur}"
        out[f"{prefix}dob"] = self.noise.dob(self.pop.dob[pid], force.dob_format)
        for key in extra:
            if key == "sex":
                out[f"{prefix}sex"] = SEX[force.family]["female" if self.pop.sex[pid]
                                                         else "male"]
            elif key == "ethnicity":
                out[f"{prefix}ethnicity"] = self.ethnicity(force, pid)
            elif key == "alias":
                out[f"{prefix}alias"] = self.alias(pid)
            elif key == "phone":
                line = self.pop.line_at(pid, day)
                out[f"{prefix}phone"] = self.phone_text(line[0]) if line else ""
            elif key == "address":
                stale = self.rng.random() < self.rates.address_stale
                address, postcode = self.pop.address(pid, day, stale)
                out[f"{prefix}address"] = address
                out[f"{prefix}postcode"] = postcode
        return out

    def write(self, force: Force, kind: str, values: dict[str, str],
              people: list[tuple[str, int]]) -> None:
        """Write a row in a force's file; people are (prefix, pid) of its person blocks."""
        self.writers[(force.index, kind)].write(
            values, [(f"{prefix}ref", person_id(pid)) for prefix, pid in people])

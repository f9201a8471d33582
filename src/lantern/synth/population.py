"""The population: households, people, premises, groups, victims, decoys, phones, vehicles.

People are held as compact columns (array.array), so a million people cost tens of MB;
only the few thousand people in planted structures get Python objects. Everything is drawn
from one random.Random(seed) in a fixed order, so a seed always gives the same scenario.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass, field
from datetime import date

from lantern.synth import ids
from lantern.synth.forces import Force
from lantern.synth.names import (
    ETHNICITIES,
    POOLS,
    PREMISES_KINDS,
    STREET_TYPES,
    STREET_WORDS,
    TOWNS,
)
from lantern.synth.rates import NoiseRates, Shape

TODAY = date(2025, 1, 1)
START = date(2022, 1, 1).toordinal()
END = date(2024, 12, 31).toordinal()
ROLE_BACKGROUND, ROLE_OFFENDER, ROLE_VICTIM, ROLE_DECOY = 0, 1, 2, 3
ROLE_NAMES = ("background", "offender", "victim", "decoy")
GROUP_ROLES = ("organiser", "recruiter", "driver", "peripheral")


@dataclass
class Street:
    force: int
    town: str
    name: str
    postcode: str
    district: int


@dataclass
class Premises:
    id: str
    force: int
    name: str
    address: str
    postcode: str
    ptype: str
    district: int
    groups: list[str] = field(default_factory=list)


@dataclass
class Segment:
    start: int  # ordinal day, inclusive
    end: int  # ordinal day, exclusive
    person: int
    imei: str
    imsi: str


@dataclass
class Line:
    """One mobile number and who held it, in which handset, when."""

    index: int
    segments: list[Segment]
    kind: str = "personal"  # personal | shared

    @property
    def network(self) -> int:
        return self.index % 2


@dataclass
class Group:
    id: str
    force: int
    second: int | None
    members: list[tuple[int, str]]
    premises: list[int] = field(default_factory=list)  # indexes into Population.premises
    vehicles: list[tuple[str, int]] = field(default_factory=list)  # (VRM, driver)
    victims: list[int] = field(default_factory=list)
    shared: Line | None = None


def person_id(pid: int) -> str:
    return f"P{pid:07d}"


def age_on(dob_ord: int, day_ord: int) -> int:
    born, on = date.fromordinal(dob_ord), date.fromordinal(day_ord)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Population:
    def __init__(self, forces: tuple[Force, ...], people: int, rng: random.Random,
                 rates: NoiseRates, shape: Shape) -> None:
        self.forces = forces
        self.rng = rng
        self.rates = rates
        self.shape = shape
        self.today = TODAY.toordinal()
        # person columns
        self.sex = array("b")  # 0 male, 1 female
        self.dob = array("i")
        self.forename = array("h")
        self.surname = array("h")
        self.eth = array("b")
        self.hh = array("i")
        self.role = array("b")
        self.mask = array("q")  # forces holding a nominal record for the person (bits; 43 forces)
        self.mobile = array("i")  # background people's number index, -1 if none
        # household columns
        self.hh_street = array("i")
        self.hh_number = array("i")
        self.hh_prev_street = array("i")
        self.hh_prev_number = array("i")
        self.hh_move = array("i")
        self.streets: list[Street] = []
        self.street_range: list[tuple[int, int]] = []  # per force: [first, last) street
        self.districts: list[int] = []
        self.premises: list[Premises] = []
        self.force_premises: list[list[int]] = []
        self.groups: list[Group] = []
        self.victim_groups: dict[int, list[str]] = {}
        self.recruited_by: dict[int, int] = {}
        self.decoys: list[int] = []
        self.lines: dict[int, Line] = {}  # active lines by number index
        self.person_lines: dict[int, list[Line]] = {}
        self.switches: list[tuple[int, int, str, int, int, str, str, str, str]] = []
        self.vehicle_of: dict[int, str] = {}
        self.circles: dict[int, list[int]] = {}
        self._build(people)

    # ---- building -----------------------------------------------------------------------

    def _build(self, people: int) -> None:
        rng = self.rng
        weights = [f.weight for f in self.forces]
        total = sum(weights)
        for f in self.forces:
            share = people * f.weight / total
            self.districts.append(max(3, min(30, int(share // 250))))
            first = len(self.streets)
            for k in range(max(12, int(share // 35))):
                district = 1 + rng.randrange(self.districts[-1])
                name = f"{rng.choice(STREET_WORDS)} {rng.choice(STREET_TYPES)}"
                town = rng.choice(TOWNS[f.index])
                self.streets.append(Street(f.index, town, name,
                                           ids.postcode(f.index, district, k), district))
            self.street_range.append((first, len(self.streets)))
            self._make_premises(f, max(10, int(share // 150)))
        eth_weights = [e.weight for e in ETHNICITIES]
        while len(self.sex) < people:
            force = rng.choices(range(len(self.forces)), weights)[0]
            self._household(force, eth_weights, people - len(self.sex))
        self._plant_groups(people)
        self._plant_decoys()
        self._allocate_phones()

    def _make_premises(self, f: Force, count: int) -> None:
        indexes = []
        lo, hi = self.street_range[-1]
        for k in range(count):
            ptype, patterns = PREMISES_KINDS[k % len(PREMISES_KINDS)]
            street = self.streets[self.rng.randrange(lo, hi)]
            number = 1 + self.rng.randrange(120)
            name = self.rng.choice(patterns).format(
                town=street.town, street=street.name, n=1 + self.rng.randrange(12))
            address = f"{number} {street.name}, {street.town}"
            if ptype == "flat":  # a flat is known by its address, not a name
                address = f"{name}, {street.town}"
                name = ""
            pid = f"PR-{f.letter}{k + 1:04d}"
            indexes.append(len(self.premises))
            self.premises.append(Premises(pid, f.index, name, address, street.postcode,
                                          ptype, street.district))
        self.force_premises.append(indexes)

    def _household(self, force: int, eth_weights: list[float], room: int) -> None:
        rng = self.rng
        eth = rng.choices(range(len(ETHNICITIES)), eth_weights)[0]
        pool = POOLS[ETHNICITIES[eth].pool]
        kind = rng.random()
        if kind < 0.25:
            members = [(rng.randrange(2), rng.randint(18, 85))]
        elif kind < 0.45:
            age = rng.randint(20, 85)
            members = [(0, age), (1, max(18, age + rng.randint(-6, 6)))]
        else:
            parent = rng.randint(26, 55)
            members = [(0, parent)] if rng.random() < 0.3 else []
            members.append((1, max(22, parent + rng.randint(-5, 3))))
            for _ in range(rng.randint(1, 3)):
                members.append((rng.randrange(2), rng.randint(0, min(24, parent - 18))))
        members = members[:room]
        lo, hi = self.street_range[force]
        hh = len(self.hh_street)
        self.hh_street.append(rng.randrange(lo, hi))
        self.hh_number.append(1 + rng.randrange(150))
        if rng.random() < self.rates.moved:
            self.hh_prev_street.append(rng.randrange(lo, hi))
            self.hh_prev_number.append(1 + rng.randrange(150))
            self.hh_move.append(rng.randint(START + 60, END - 60))
        else:
            self.hh_prev_street.append(-1)
            self.hh_prev_number.append(0)
            self.hh_move.append(0)
        surname = rng.randrange(len(pool["surname"]))
        father_name = -1
        same_name = rng.random() < self.rates.father_son_same_name
        for i, (sex, age) in enumerate(members):
            pool_names = pool["female" if sex else "male"]
            fore = rng.randrange(len(pool_names))
            if sex == 0 and i == 0 and len(members) > 1:
                father_name = fore
            elif sex == 0 and same_name and father_name >= 0:
                fore, same_name = father_name, False  # a son named after his father
            self.sex.append(sex)
            self.dob.append(self.today - age * 365 - rng.randrange(365) - age // 4)
            self.forename.append(fore)
            self.surname.append(surname)
            self.eth.append(eth)
            self.hh.append(hh)
            self.role.append(ROLE_BACKGROUND)
            self.mask.append(1 << force)
            self.mobile.append(-1)

    def home_force(self, pid: int) -> int:
        return self.streets[self.hh_street[self.hh[pid]]].force

    def age(self, pid: int, day: int | None = None) -> int:
        return age_on(self.dob[pid], day or self.today)

    def _candidates(self) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
        n = len(self.forces)
        men: list[list[int]] = [[] for _ in range(n)]
        women: list[list[int]] = [[] for _ in range(n)]
        kids: list[list[int]] = [[] for _ in range(n)]
        for pid in range(len(self.sex)):
            age = self.age(pid)
            force = self.home_force(pid)
            if 18 <= age <= 60:
                (women if self.sex[pid] else men)[force].append(pid)
            elif 13 <= age <= 17:
                kids[force].append(pid)
        for lists in (men, women, kids):
            for pool in lists:
                self.rng.shuffle(pool)
        return men, women, kids

    def _plant_groups(self, people: int) -> None:
        rng, shape = self.rng, self.shape
        men, women, self._kids = self._candidates()
        # Two groups a force where the population allows (a few forces); across 43 forces at a
        # small population, one a force's worth of people is as many as there are men to form them.
        n_groups = max(min(2 * len(self.forces), people // 100), round(people / shape.people_per_group))
        sizes = list(range(shape.min_group, shape.max_group + 1))
        size_weights = [1.0 / (1 + abs(s - 6)) for s in sizes]
        weights = [f.weight for f in self.forces]
        for _ in range(n_groups):
            force = rng.choices(range(len(self.forces)), weights)[0]
            second = None
            if len(self.forces) > 1 and rng.random() < shape.cross_force_group:
                second = rng.choice([f.index for f in self.forces if f.index != force])
            size = rng.choices(sizes, size_weights)[0]
            members: list[tuple[int, str]] = []
            roles = ["organiser", "recruiter", "driver"]
            roles += [rng.choice(("recruiter", "driver", "peripheral", "peripheral"))
                      for _ in range(size - 3)]
            for role in roles:
                home = second if second is not None and rng.random() < 0.4 else force
                pool = women[home] if role == "recruiter" and rng.random() < 0.15 else men[home]
                if not pool:
                    pool = men[force] or women[force]
                if not pool:
                    break
                pid = pool.pop()
                members.append((pid, role))
                self.role[pid] = ROLE_OFFENDER
            if len(members) < shape.min_group:  # the force ran out of men: no group here
                for pid, _ in members:
                    self.role[pid] = ROLE_BACKGROUND
                continue
            group = Group(f"G{len(self.groups) + 1:04d}", force, second, members)
            for force_index in sorted({f for f in (force, second) if f is not None}):
                group.premises += rng.sample(self.force_premises[force_index],
                                             min(3 if force_index == force else 2,
                                                 len(self.force_premises[force_index])))
            self.groups.append(group)
        # Some members also belong to a second group (people move between groups).
        for group in self.groups:
            if rng.random() < shape.member_in_two_groups:
                other = rng.choice(self.groups)
                if other is not group:
                    pid = rng.choice(other.members)[0]
                    if pid not in {m for m, _ in group.members}:
                        group.members.append((pid, rng.choice(("driver", "peripheral"))))
        for group in self.groups:
            for pid, role in group.members:
                self._mask_group(pid, group)
                if role == "driver" or (role == "organiser" and rng.random() < 0.5):
                    vrm = self.vehicle_of.get(pid) or ids.vrm(len(self.vehicle_of) * 7919 + 13)
                    self.vehicle_of[pid] = vrm
                    group.vehicles.append((vrm, pid))
            for p in group.premises:
                self.premises[p].groups.append(group.id)
            self._plant_victims(group)

    def _mask_group(self, pid: int, group: Group) -> None:
        self.mask[pid] |= 1 << group.force
        if group.second is not None:
            self.mask[pid] |= 1 << group.second

    def _take_child(self, force: int, female: float) -> int | None:
        pool = self._kids[force]
        want = 1 if self.rng.random() < female else 0
        for i in range(len(pool) - 1, max(-1, len(pool) - 40), -1):
            if self.sex[pool[i]] == want:
                return pool.pop(i)
        return pool.pop() if pool else None

    def _plant_victims(self, group: Group) -> None:
        rng, shape = self.rng, self.shape
        for k in range(rng.randint(*shape.victims_per_group)):
            force = group.second if group.second is not None and rng.random() < 0.3 \
                else group.force
            pid = self._take_child(force, 0.8)
            if pid is None:
                continue
            self.role[pid] = ROLE_VICTIM
            self._mask_group(pid, group)
            group.victims.append(pid)
            self.victim_groups[pid] = [group.id]
            # (A small force may have run out of children for the earlier ones: none to recruit.)
            if k and rng.random() < shape.victim_recruited_by_victim and len(group.victims) > 1:
                self.recruited_by[pid] = rng.choice(group.victims[:-1])
        # Some victims of earlier groups in the same force are exploited by this one too.
        earlier = [v for g in self.groups[:-1] if g.force == group.force for v in g.victims]
        for pid in earlier[-30:]:
            if rng.random() < shape.victim_two_groups / 4 and group.id not in \
                    self.victim_groups[pid]:
                group.victims.append(pid)
                self.victim_groups[pid].append(group.id)
                self._mask_group(pid, group)

    def _plant_decoys(self) -> None:
        wanted = round(len(self.victim_groups) * self.shape.decoys_per_victim)
        forces = [f.index for f in self.forces]
        for k in range(wanted):
            pid = self._take_child(forces[k % len(forces)], 0.7)
            if pid is not None:
                self.role[pid] = ROLE_DECOY
                self.decoys.append(pid)
        del self._kids

    # ---- phones -------------------------------------------------------------------------

    def _new_line(self, pid: int, start: int, end: int, kind: str = "personal") -> Line:
        index = len(self.lines)
        line = Line(index, [Segment(start, end, pid, ids.imei(index),
                                    ids.imsi(index % 2, index))], kind)
        self.lines[index] = line
        self.person_lines.setdefault(pid, []).append(line)
        return line

    def _allocate_phones(self) -> None:
        rng, rates = self.rng, self.rates
        active = [m for g in self.groups for m, _ in g.members]
        active += list(self.victim_groups) + self.decoys
        seen: set[int] = set()
        handsets = ids.MOBILE_POOL
        for pid in active:
            if pid in seen:
                continue
            seen.add(pid)
            line = self._new_line(pid, START - 400, END + 1)
            is_target = self.role[pid] in (ROLE_OFFENDER, ROLE_VICTIM)
            if is_target and rng.random() < rates.sim_swap:
                day = rng.randint(START + 90, END - 90)
                old = line.segments[0]
                old.end = day
                new = self._new_line(pid, day, END + 1)
                new.segments[0].imei = old.imei  # new number, same handset
                self.switches.append((pid, day, "sim", line.index, new.index, old.imei,
                                      old.imei, old.imsi, new.segments[0].imsi))
                line = new
            if is_target and rng.random() < rates.handset_swap:
                seg = line.segments[-1]
                day = rng.randint(max(seg.start, START) + 30, END - 30)
                handsets += 1
                new_seg = Segment(day, seg.end, pid, ids.imei(handsets), seg.imsi)
                seg.end = day
                line.segments.append(new_seg)
                self.switches.append((pid, day, "handset", line.index, line.index, seg.imei,
                                      new_seg.imei, seg.imsi, seg.imsi))
        for group in self.groups:
            if rng.random() < rates.phone_handover and len(group.members) > 1:
                holders = rng.sample([m for m, _ in group.members],
                                     min(3, len(group.members)))
                line = self._new_line(holders[0], START, END + 1, "shared")
                days = sorted(rng.sample(range(START + 60, END - 60), len(holders) - 1))
                for holder, day in zip(holders[1:], days, strict=True):
                    seg = line.segments[-1]
                    seg.end = day
                    line.segments.append(Segment(day, END + 1, holder, seg.imei, seg.imsi))
                    self.person_lines.setdefault(holder, []).append(line)
                group.shared = line
        # Background people: as many as the reserved pool allows (see ids.MOBILE_POOL).
        free = ids.MOBILE_POOL - len(self.lines)
        background = sum(1 for r in self.role if r == ROLE_BACKGROUND)
        share = min(0.7, 0.95 * free / max(1, background))
        next_index = len(self.lines)
        for pid in range(len(self.sex)):
            if self.role[pid] == ROLE_BACKGROUND and next_index < ids.MOBILE_POOL \
                    and self.age(pid) >= 11 and rng.random() < share:
                self.mobile[pid] = next_index
                next_index += 1
        self.mobile_count = next_index

    def line_at(self, pid: int, day: int) -> tuple[int, str, str] | None:
        """(number index, IMEI, IMSI) of the phone a person uses on a day."""
        lines = self.person_lines.get(pid)
        if lines is None:
            k = self.mobile[pid]
            return (k, ids.imei(k), ids.imsi(k % 2, k)) if k >= 0 else None
        for line in lines:
            if line.kind != "personal":
                continue
            for seg in line.segments:
                if seg.start <= day < seg.end and seg.person == pid:
                    return line.index, seg.imei, seg.imsi
        return None

    def circle(self, pid: int) -> list[int]:
        """Family and friends with phones: the ordinary calls around a target."""
        if pid not in self.circles:
            force = self.home_force(pid)
            lo, hi = self.street_range[force]
            out = [p for p in self._household_of(pid) if p != pid and self.mobile[p] >= 0]
            tries = 0
            while len(out) < 6 and tries < 200:
                tries += 1
                p = self.rng.randrange(len(self.sex))
                if self.mobile[p] >= 0 and self.home_force(p) == force:
                    out.append(p)
            self.circles[pid] = out
        return self.circles[pid]

    def _household_of(self, pid: int) -> list[int]:
        hh = self.hh[pid]
        out = []
        for p in range(max(0, pid - 6), min(len(self.hh), pid + 7)):
            if self.hh[p] == hh:
                out.append(p)
        return out

    def address(self, pid: int, day: int, stale: bool = False) -> tuple[str, str]:
        """(address, postcode) where a person lived on a day (or before a move, if stale)."""
        hh = self.hh[pid]
        street, number = self.hh_street[hh], self.hh_number[hh]
        if self.hh_prev_street[hh] >= 0 and (day < self.hh_move[hh] or stale):
            street, number = self.hh_prev_street[hh], self.hh_prev_number[hh]
        s = self.streets[street]
        return f"{number} {s.name}, {s.town}", s.postcode

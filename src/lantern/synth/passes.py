"""The generation passes: people (nominals and background), groups, decoys, background
traffic. Each walks the population once and writes rows as it goes."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from lantern.synth import events, ids, mentions
from lantern.synth.comms import Comms
from lantern.synth.context import Context
from lantern.synth.events import Place
from lantern.synth.names import ETHNICITIES
from lantern.synth.noise import Noise
from lantern.synth.population import (
    END,
    ROLE_BACKGROUND,
    ROLE_NAMES,
    START,
    Group,
    Premises,
    person_id,
)
from lantern.synth.text import (
    BACKGROUND_INTEL,
    BACKGROUND_OFFENCES,
    BACKGROUND_RETURN,
    BACKGROUND_STOP,
    CUSTODY_DISPOSALS,
    CUSTODY_REASONS,
    DECOY_RETURN,
    DECOY_SIGHTING,
    DECOY_STOP,
    GROUP_CRIME,
    GROUP_INTEL,
    GROUP_OFFENCES,
    NFA_REASON,
    SIGHTING,
    STOP_GROUNDS,
    VICTIM_RETURN,
    YOUTH_OFFENCES,
)

VICTIM_PHONE_SEIZED = 0.35  # share of group victims whose phone is downloaded
CAR_WHILE_MISSING = 0.6  # share of group victims' episodes with a group car near where found


def _iso(day: int) -> str:
    return date.fromordinal(day).isoformat()


def _e164(index: int) -> str:
    return "+44" + ids.mobile_digits(index)[1:]


def place_of(p: Premises) -> Place:
    return (p.name, p.address, p.postcode, p.ptype)


def home_place(ctx: Context, pid: int, day: int) -> Place:
    address, postcode = ctx.pop.address(pid, day)
    return ("", address, postcode, "home")


def people_pass(ctx: Context) -> None:
    """people.csv, nominal records in every force that holds one, background events."""
    pop, rng, truth = ctx.pop, ctx.rng, ctx.truth
    total = len(pop.sex)
    for pid in range(total):
        if pid % 20000 == 0:
            ctx.report("people and nominal records", pid, total)
        fore, sur = ctx.names(pid)
        home = pop.home_force(pid)
        address, postcode = pop.address(pid, END)
        hh = pop.hh[pid]
        previous = ""
        if pop.hh_prev_street[hh] >= 0:
            previous = " ".join(pop.address(pid, START, stale=True))
        line = pop.line_at(pid, END)
        truth.write("people", person_id(pid), int(pop.age(pid) < 18), _iso(pop.dob[pid]),
                    "female" if pop.sex[pid] else "male", ctx.forces[home].name,
                    ETHNICITIES[pop.eth[pid]].code, ROLE_NAMES[pop.role[pid]], fore, sur,
                    f"H{hh:07d}", address, postcode, previous, _e164(line[0]) if line else "")
        if pop.role[pid] == ROLE_BACKGROUND and pop.mobile[pid] >= 0:
            truth.write("phone_owner", _e164(pop.mobile[pid]), person_id(pid),
                        _iso(START - 400), "", "personal")
        for force in ctx.forces:
            if not pop.mask[pid] >> force.index & 1:
                continue
            copies = 2 if rng.random() < ctx.rates.duplicate_nominal else 1
            for copy in range(copies):
                row = ctx.person(force, "", pid, END, "sex", "ethnicity", "alias", "phone",
                                 "address", duplicate=copy == 1)
                ctx.write(force, "nominals", row, [("", pid)])
        if pop.role[pid] == ROLE_BACKGROUND:
            _background_events(ctx, pid, home)
    ctx.report("people and nominal records", total, total)


def _background_events(ctx: Context, pid: int, home: int) -> None:
    pop, rng, shape = ctx.pop, ctx.rng, ctx.pop.shape
    force = ctx.forces[home]
    age = pop.age(pid)
    if age >= 18:
        roll = rng.random()
        if roll < shape.background_crime:
            day = ctx.day(START, END)
            victim = rng.randrange(len(pop.sex))
            victim_ok = pop.home_force(victim) == home and pop.role[victim] == ROLE_BACKGROUND \
                and pop.age(victim) >= 18 and victim != pid
            outcome = rng.choice(("charged", "no_further_action", "evidential_difficulties",
                                  "cautioned", "community_resolution", "ongoing"))
            events.crime(ctx, force, day=day, offence=rng.choice(BACKGROUND_OFFENCES),
                         outcome=outcome, suspects=[pid] if rng.random() < 0.8 else [],
                         victim=victim if victim_ok else None, place=home_place(ctx, pid, day),
                         summary="Reported by member of the public; enquiries made.")
        elif roll < shape.background_crime * 1.4:
            day = ctx.day(START, END)
            events.custody(ctx, force, pid=pid, day=day, reason=rng.choice(BACKGROUND_OFFENCES)[0],
                           suite=f"{pop.streets[pop.hh_street[pop.hh[pid]]].town} custody suite",
                           disposal=rng.choice(CUSTODY_DISPOSALS))
        elif roll < shape.background_crime * 1.8:
            when = ctx.when(ctx.day(START, END))
            address, postcode = pop.address(pid, when.toordinal())
            events.stop(ctx, force, when=when, people=[pid], location=address,
                        postcode=postcode, vrm="", grounds=rng.choice(BACKGROUND_STOP),
                        outcome="No further action")
        elif roll < shape.background_crime * 2.0:
            premises = pop.premises[rng.choice(pop.force_premises[home])]
            fore, sur = ctx.names(pid)
            day = ctx.day(START, END)  # drawn before the template, as it always was
            template = rng.choice(BACKGROUND_INTEL)
            fields = {"name": f"{fore} {sur}", "town": premises.address.split(", ")[-1],
                      "premises": premises.name or premises.address}
            ref = events.intel(ctx, force, day=day, subject=pid, best=False,
                               text=template.format(**fields))
            mentions.record(ctx, force, "intel", ref, template, fields)
    elif age >= 10 and rng.random() < shape.background_missing:
        for _ in range(rng.randint(1, 2)):
            day = ctx.day(START, END)
            address, _ = pop.address(pid, day)
            events.missing(ctx, force, pid=pid, day=day, found=f"Friend's address, {address}",
                           risk=rng.choice(("low", "no_apparent_risk")),
                           notes=rng.choice(BACKGROUND_RETURN), blame=False)


def group_pass(ctx: Context, comms: Comms) -> None:
    total = len(ctx.pop.groups)
    for n, group in enumerate(ctx.pop.groups):
        if n % 10 == 0:
            ctx.report("exploitation groups", n, total)
        _group(ctx, comms, group)
    ctx.report("exploitation groups", total, total)


def _group(ctx: Context, comms: Comms, group: Group) -> None:
    pop, rng, truth = ctx.pop, ctx.rng, ctx.truth
    members = [m for m, _ in group.members]
    roles = dict(group.members)
    second = ctx.forces[group.second].name if group.second is not None else ""
    for pid, role in group.members:
        truth.write("groups", group.id, person_id(pid), role, ctx.forces[group.force].name,
                    second)
    for vrm, pid in group.vehicles:
        truth.write("vehicles", vrm, person_id(pid), group.id)
    begin = ctx.day(START, START + 300)
    premises = [pop.premises[p] for p in group.premises]
    main = premises[0]
    where = (main.force, main.district)
    # Seize a phone first, so the call log fills as the calls are made.
    seized = None
    if rng.random() < pop.shape.seized_devices_per_group or group is pop.groups[0]:
        owner = next((m for m, r in group.members if r in ("organiser", "recruiter")),
                     members[0])
        seized = comms.seize(f"EX/{ctx.forces[group.force].letter}/{group.id}", owner,
                             group.id, END - 10)
    # Members call each other often (the signal a comms analysis should find).
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            comms.calls_between(a, b, rng.randint(3, 10), begin, END, where)
        for friend in pop.circle(a)[:2]:
            comms.calls_between(a, friend, rng.randint(2, 6), START, END,
                                (pop.home_force(a), 1))
    contacts = [m for m, r in group.members if r in ("recruiter", "driver", "organiser")]
    for victim in group.victims:
        for member in rng.sample(contacts, min(len(contacts), rng.randint(1, 3))):
            comms.calls_between(victim, member, rng.randint(4, 14), begin, END, where)
        if group.shared is not None:
            holder = group.shared.segments[0].person
            comms.calls_between(holder, victim, rng.randint(3, 8), begin, END, where,
                                shared_a=True)
        if victim in pop.recruited_by:
            comms.calls_between(victim, pop.recruited_by[victim], rng.randint(3, 8), begin,
                                END, where)
        for friend in pop.circle(victim)[:3]:
            comms.calls_between(victim, friend, rng.randint(2, 6), START, END,
                                (pop.home_force(victim), 1))
    _victims_phones(ctx, comms, group)
    _meetings(ctx, comms, group, premises, begin)
    _group_records(ctx, comms, group, premises, begin)
    if seized is not None:
        for pid in members:
            if pid != seized.pid:
                saved = ctx.alias(pid) if rng.random() < 0.7 else (
                    "Driver" if roles.get(pid) == "driver" else ctx.names(pid)[0])
                comms.contact(seized, pid, saved, END - 10)
                comms.messages(seized, pid, rng.randint(3, 12), begin, END - 10)
        for victim in group.victims:
            comms.contact(seized, victim, ctx.names(victim)[0] + rng.choice(("", " new", " x")),
                          END - 10)
            comms.messages(seized, victim, rng.randint(5, 15), begin, END - 10)
        for friend in pop.circle(seized.pid)[:4]:
            comms.contact(seized, friend, rng.choice(("Mum", "Bro", "Cuz", "Work")), END - 10)


def _meetings(ctx: Context, comms: Comms, group: Group, premises: list[Premises],
              begin: int) -> None:
    """Members (and some victims) seen together at the group's premises; vehicles on ANPR."""
    rng = ctx.rng
    members = [m for m, _ in group.members]
    for _ in range(rng.randint(6, 12)):
        p = rng.choice(premises)
        force = ctx.forces[p.force]
        day = ctx.day(begin, END)
        when = ctx.when(day, evening=True)
        # The organiser arranges the meetings and is at every one.
        present = [members[0], *rng.sample(members[1:], min(len(members) - 1, rng.randint(1, 4)))]
        kids = rng.sample(group.victims, min(len(group.victims), rng.randint(0, 2)))
        vrm = ""
        for v, driver in group.vehicles:
            if driver in present:
                comms.anpr(v, when, p.force, p.district)
                vrm = v
        template = rng.choice(SIGHTING)
        fields = {"men": len(present), "kids": len(kids), "vrm": vrm or "not known"}
        ref = events.sighting(ctx, force, when=when, people=present + kids, place=place_of(p),
                              details=template.format(**fields))
        mentions.record(ctx, force, "sightings", ref, template, fields)
        organiser = members[0]
        for pid in present[1:]:
            comms.calls_between(organiser, pid, 1, day, day + 1, (p.force, p.district))


def _group_records(ctx: Context, comms: Comms, group: Group, premises: list[Premises],
                   begin: int) -> None:
    """Crimes, intelligence, missing episodes, stops and custody around one group."""
    pop, rng, truth = ctx.pop, ctx.rng, ctx.truth
    members = [m for m, _ in group.members]
    drivers = [(v, d) for v, d in group.vehicles]
    force = ctx.forces[group.force]
    fill = {"town": premises[0].address.split(", ")[-1]}

    def words(pid: int, victim: int | None = None) -> dict[str, str]:
        fore, sur = ctx.names(pid)
        line = pop.line_at(pid, END)
        out = dict(fill, alias=ctx.alias(pid), name=f"{fore} {sur}",
                   premises=rng.choice(premises).name or rng.choice(premises).address,
                   vrm=drivers[0][0] if drivers else "not known",
                   phone=ctx.phone_text(line[0]) if line else "not known",
                   age=str(pop.age(victim, END - 365)) if victim is not None else "15",
                   victim=ctx.names(victim)[0] if victim is not None else "A female")
        return out

    for victim in group.victims:
        home = ctx.forces[pop.home_force(victim)]
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4, 5))):
            day = ctx.day(begin, END)
            p = rng.choice(premises)
            found = f"{p.name + ', ' if p.name else ''}{p.address}"
            member = rng.choice(members)
            risk = rng.choice(("high", "medium"))  # the draws keep their order: risk, template, words
            template = rng.choice(VICTIM_RETURN)
            fields = words(member, victim)
            ref, start, end = events.missing(
                ctx, home, pid=victim, day=day, found=found, risk=risk,
                notes=template.format(**fields), blame=True)
            mentions.record(ctx, home, "missing", ref, template, fields)
            _car_while_missing(ctx, comms, group, p, ref, victim, start, end)
    for _ in range(rng.randint(1, 3)):
        if not group.victims:
            break
        victim = rng.choice(group.victims)
        suspects = rng.sample(members, min(len(members), rng.randint(1, 3)))
        nfa = rng.random() < force.practice.nfa_with_suspect
        outcome = rng.choice(("no_further_action", "evidential_difficulties",
                              "not_in_public_interest")) if nfa else \
            rng.choice(("charged", "ongoing", "ongoing"))
        day = ctx.day(begin, END - 30)
        template = rng.choice(GROUP_CRIME)
        fields = words(suspects[0], victim)
        text = template.format(**fields)
        if nfa:
            text += " " + rng.choice(NFA_REASON)
        ref = events.crime(ctx, force, day=day, offence=rng.choice(GROUP_OFFENCES),
                           outcome=outcome, suspects=suspects, victim=victim,
                           place=place_of(rng.choice(premises)), summary=text,
                           child_victim=True)
        mentions.record(ctx, force, "crimes", ref, template, fields)
        if outcome != "ongoing" and outcome != "charged":
            truth.write("reopen_cases", ctx.writers[(force.index, "crimes")].layout.file, ref,
                        group.id, outcome, events.person_ids(suspects),
                        "closed without charge; named suspects belong to an active group")
    for _ in range(rng.randint(2, 6)):
        subject = rng.choice(members)
        f = ctx.forces[rng.choice([group.force, group.second or group.force])]
        named_victim = rng.choice(group.victims) if group.victims else None
        day = ctx.day(begin, END)
        template = rng.choice(GROUP_INTEL)
        fields = words(subject, named_victim)
        ref = events.intel(ctx, f, day=day, subject=subject, best=True, text=template.format(**fields))
        mentions.record(ctx, f, "intel", ref, template, fields)
    for vrm, driver in drivers:
        for _ in range(rng.randint(0, 2)):
            if not group.victims:
                break
            p = rng.choice(premises)
            when = ctx.when(ctx.day(begin, END), evening=True)
            passengers = rng.sample(group.victims, min(len(group.victims), rng.randint(1, 2)))
            events.stop(ctx, ctx.forces[p.force], when=when, people=[driver, *passengers],
                        location=p.address, postcode=p.postcode, vrm=vrm,
                        grounds=rng.choice(STOP_GROUNDS),
                        outcome="Words of advice; children returned home")
    for pid in members:
        if rng.random() < 0.25:
            f = ctx.forces[pop.home_force(pid)]
            if not pop.mask[pid] >> f.index & 1:
                f = force
            events.custody(ctx, f, pid=pid, day=ctx.day(begin, END),
                           reason=rng.choice(CUSTODY_REASONS),
                           suite=f"{fill['town']} custody suite",
                           disposal=rng.choice(CUSTODY_DISPOSALS))


def _victims_phones(ctx: Context, comms: Comms, group: Group) -> None:
    """Some victims' phones are downloaded too: their address books hold the group's men under
    "Uncle", a street name or a first name, beside family and friends. Own random streams, so
    the rest of the scenario is drawn as it was without them."""
    roles = dict(group.members)
    for victim in group.victims:
        rng = random.Random(f"victim-phone/{ctx.seed}/{group.id}/{victim}")
        if rng.random() >= VICTIM_PHONE_SEIZED:
            continue
        letter = ctx.forces[ctx.pop.home_force(victim)].letter
        seized = comms.seize(f"VP/{letter}/{group.id}/{person_id(victim)}", victim, group.id, END - 5,
                             log_calls=False)
        if seized is None:
            continue
        noise = Noise(rng, ctx.rates)
        for pid, role in group.members:
            if role in ("organiser", "recruiter", "driver") or rng.random() < 0.3:
                names = ("Uncle", ctx.alias(pid) or "Uncle", ctx.names(pid)[0],
                         "Taxi" if role == "driver" else ctx.names(pid)[0])
                comms.contact(seized, pid, rng.choice(names), END - 5, noise=noise)
                ctx.truth.write("victim_phone_contacts", seized.exhibit, person_id(victim), person_id(pid),
                                roles[pid], group.id)
        for friend in ctx.pop.circle(victim)[:3]:
            comms.contact(seized, friend, rng.choice(("Mum", "Nan", "Bestie", ctx.names(friend)[0])),
                          END - 5, noise=noise)


def _car_while_missing(ctx: Context, comms: Comms, group: Group, p: Premises, ref: str,
                       victim: int, start: datetime, end: datetime) -> None:
    """Often, a group's car is read near where the child is later found, while she is away.
    Its own random stream, so the rest of the scenario is drawn as it was without it."""
    rng = random.Random(f"car-while-missing/{ctx.seed}/{ref}")
    if not group.vehicles or rng.random() >= CAR_WHILE_MISSING:
        return
    vrm, _ = rng.choice(group.vehicles)
    span = (end - start).total_seconds() - 3600  # inside the episode, the camera's clock jitter too
    when = start + timedelta(seconds=1800 + rng.random() * span)
    read = comms.anpr(vrm, when, p.force, p.district, rng=rng)
    ctx.truth.write("missing_vehicles", ref, ctx.forces[ctx.pop.home_force(victim)].name, person_id(victim),
                    vrm.replace(" ", ""), group.id, read.strftime("%Y-%m-%d %H:%M:%S"))


def decoy_pass(ctx: Context, comms: Comms) -> None:
    """Children with risk signs (missing, police contact) and no link to any group."""
    pop, rng, truth = ctx.pop, ctx.rng, ctx.truth
    group_premises = {i for g in pop.groups for i in g.premises}
    for n, pid in enumerate(pop.decoys):
        if n % 50 == 0:
            ctx.report("decoy children", n, len(pop.decoys))
        home = pop.home_force(pid)
        force = ctx.forces[home]
        episodes = rng.randint(3, 10)  # more than most victims: a count rule ranks them first
        for _ in range(episodes):
            day = ctx.day(START, END)
            friend = rng.randrange(len(pop.sex))
            address, _ = pop.address(friend, day)
            found = rng.choice((f"Friend's address, {address}", "Grandparent's address",
                                "Town centre"))
            events.missing(ctx, force, pid=pid, day=day, found=found,
                           risk=rng.choice(("medium", "low")),
                           notes=rng.choice(DECOY_RETURN), blame=True)
        truth.write("decoys", person_id(pid), force.name, episodes)
        for friend in pop.circle(pid)[:5]:
            comms.calls_between(pid, friend, rng.randint(3, 10), START, END, (home, 1))
        quiet = [i for i in pop.force_premises[home] if i not in group_premises]
        peers = [p for p in pop.circle(pid) if pop.age(p) < 18][:2]
        if quiet and rng.random() < 0.7:
            p = pop.premises[rng.choice(quiet)]
            events.sighting(ctx, force, when=ctx.when(ctx.day(START, END), evening=True),
                            people=[pid, *peers], place=place_of(p),
                            details=rng.choice(DECOY_SIGHTING))
        if rng.random() < 0.5:
            when = ctx.when(ctx.day(START, END), evening=True)
            address, postcode = pop.address(pid, when.toordinal())
            events.stop(ctx, force, when=when, people=[pid, *peers], location=address,
                        postcode=postcode, vrm="", grounds=rng.choice(DECOY_STOP),
                        outcome="No further action")
        if rng.random() < 0.4:
            day = ctx.day(START, END)
            events.crime(ctx, force, day=day, offence=rng.choice(YOUTH_OFFENCES),
                         outcome=rng.choice(("community_resolution", "no_further_action")),
                         suspects=[pid], victim=None, place=home_place(ctx, pid, day),
                         summary="Youth offence; dealt with by youth offending team.")
    ctx.report("decoy children", len(pop.decoys), len(pop.decoys))


def traffic_pass(ctx: Context, comms: Comms) -> None:
    """Background ANPR reads so group vehicles are not the only ones on camera."""
    pop, rng = ctx.pop, ctx.rng
    reads = max(200, len(pop.sex) // 8)
    cameras = list(comms.cameras)
    for n in range(reads):
        if n % 50000 == 0:
            ctx.report("background ANPR", n, reads)
        force, district = rng.choice(cameras)
        comms.anpr(ids.vrm(10**6 + rng.randrange(max(50, len(pop.sex) // 20))),
                   ctx.when(ctx.day(START, END)), force, district)
    ctx.report("background ANPR", reads, reads)


def truth_pass(ctx: Context) -> None:
    """Truth that is known once the passes are done: lines, switches, victims, premises."""
    pop, truth = ctx.pop, ctx.truth
    for line in pop.lines.values():
        for seg in line.segments:
            truth.write("phone_owner", _e164(line.index), person_id(seg.person),
                        _iso(seg.start), _iso(seg.end) if seg.end <= END else "", line.kind)
    for pid, day, kind, old, new, old_imei, new_imei, old_imsi, new_imsi in pop.switches:
        truth.write("device_switches", person_id(pid), _iso(day), kind, _e164(old),
                    _e164(new), old_imei, new_imei, old_imsi, new_imsi)
    for pid, groups in pop.victim_groups.items():
        recruiter = pop.recruited_by.get(pid)
        truth.write("victims", person_id(pid), ";".join(groups),
                    person_id(recruiter) if recruiter is not None else "",
                    ctx.forces[pop.home_force(pid)].name)
    for p in pop.premises:
        truth.write("premises", p.id, ctx.forces[p.force].name, p.name, p.address, p.postcode,
                    p.ptype, ";".join(p.groups))
    for f in ctx.forces:
        pr = f.practice
        truth.write("force_practice", f.name, f.family, f.delimiter.replace("\t", "tab"),
                    f.encoding, f.dob_format, pr.suspect_ethnicity_recorded,
                    pr.victim_age_missing, pr.nfa_with_suspect, pr.victim_blaming)

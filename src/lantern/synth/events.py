"""Row builders for the force-held event exports: crimes, intelligence, missing episodes,
sightings, custody and stops. Each writes one event (one row per person it names)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from lantern.synth.context import Context
from lantern.synth.forces import Force
from lantern.synth.layouts import OUTCOMES, PREMISES_LABELS, RISK, STATUS
from lantern.synth.population import END, person_id
from lantern.synth.text import VICTIM_BLAMING

Place = tuple[str, str, str, str]  # (premises name, address, postcode, premises type)


def _blame(ctx: Context, force: Force, kind: str, ref: str, pid: int, text: str) -> str:
    """Append victim-blaming language at the force's rate, and say so in the truth."""
    if ctx.rng.random() >= force.practice.victim_blaming:
        return text
    phrase = ctx.rng.choice(VICTIM_BLAMING).format(
        self="herself" if ctx.pop.sex[pid] else "himself")
    ctx.truth.write("victim_blaming", ctx.writers[(force.index, kind)].layout.file, ref,
                    phrase)
    return f"{text} {phrase}"


def crime(ctx: Context, force: Force, *, day: int, offence: tuple[str, str], outcome: str,
          suspects: list[int], victim: int | None, place: Place, summary: str,
          child_victim: bool = False) -> str:
    committed = ctx.when(day, evening=child_victim)
    ref = ctx.event_ref(force, "crimes", day)
    closed = outcome != "ongoing"
    outcome_day = min(END, day + ctx.rng.randint(20, 240))
    if child_victim and victim is not None:
        summary = _blame(ctx, force, "crimes", ref, victim, summary)
    base = {
        "crime_ref": ref, "offence": offence[0], "offence_code": offence[1],
        "committed": committed.strftime(force.dt_format),
        "reported": (committed + timedelta(days=ctx.rng.randint(0, 20))).strftime(
            force.dt_format),
        "outcome": OUTCOMES[force.family][outcome],
        "outcome_date": date.fromordinal(outcome_day).strftime(force.dob_format)
        if closed else "",
        "status": STATUS[force.family]["closed" if closed else "open"],
        "premises_name": place[0], "location": place[1], "postcode": place[2],
        "premises_type": PREMISES_LABELS[place[3]], "summary": summary,
    }
    people: list[tuple[str, int]] = []
    if victim is not None:
        base |= ctx.person(force, "victim_", victim, day)
        people.append(("victim_", victim))
        if ctx.rng.random() < force.practice.victim_age_missing:
            base["victim_dob"] = ""
        elif ctx.rng.random() < 0.5:
            age = ctx.pop.age(victim, day)
            base["victim_age"] = str(age) if ctx.rng.random() < 0.7 else f"about {age}"
    named: list[int | None] = list(suspects) if suspects else [None]
    for suspect in named:
        row = dict(base)
        who = list(people)
        if suspect is not None:
            row |= ctx.person(force, "suspect_", suspect, day, "ethnicity")
            if ctx.rng.random() >= force.practice.suspect_ethnicity_recorded:
                row["suspect_ethnicity"] = ""
            who.append(("suspect_", suspect))
        ctx.write(force, "crimes", row, who)
    return ref


def grading(ctx: Context, force: Force, best: bool) -> dict[str, str]:
    source = ctx.rng.choice("AB" if best else "BCDE")
    intel = str(ctx.rng.choice((1, 2, 2, 3) if best else (2, 3, 3, 4, 5)))
    handling = str(ctx.rng.choice((1, 1, 2, 3, 4)))
    if force.family == "athena":
        return {"source_eval": source, "intel_eval": intel, "handling": handling}
    if force.family == "storm":
        return {"grading": f"{source}/{intel}/{handling}"}
    return {"grading": f"{source}{intel}{handling}"}


def intel(ctx: Context, force: Force, *, day: int, subject: int, text: str,
          best: bool) -> str:
    when = ctx.when(day)
    ref = ctx.event_ref(force, "intel", day)
    row = {"intel_ref": ref,
           "created": when.strftime(force.dt_format), "report_text": text,
           "officer": f"DC {ctx.rng.randint(1000, 9999)}"}
    row |= grading(ctx, force, best)
    row |= ctx.person(force, "subject_", subject, day)
    ctx.write(force, "intel", row, [("subject_", subject)])
    return ref


def missing(ctx: Context, force: Force, *, pid: int, day: int, found: str, risk: str,
            notes: str, blame: bool) -> tuple[str, datetime, datetime]:
    """A missing episode; returns its reference, when the child went and when found."""
    start = ctx.when(day, evening=True)
    ref = ctx.event_ref(force, "missing", day)
    if blame:
        notes = _blame(ctx, force, "missing", ref, pid, notes)
    end = start + timedelta(hours=ctx.rng.randint(3, 60))
    row = {"episode_ref": ref, "reported_missing": start.strftime(force.dt_format),
           "found_at_time": end.strftime(force.dt_format),
           "found_location": found, "risk": RISK[force.family][risk],
           "interview_notes": notes}
    row |= ctx.person(force, "person_", pid, day, "address")
    ctx.write(force, "missing", row, [("person_", pid)])
    return ref, start, end


def sighting(ctx: Context, force: Force, *, when: datetime, people: list[int], place: Place,
             details: str) -> str:
    ref = ctx.event_ref(force, "sightings", when.toordinal())
    for pid in people:
        row = {"sighting_ref": ref, "seen_at": when.strftime(force.dt_format),
               "premises_name": place[0], "location": place[1], "postcode": place[2],
               "premises_type": PREMISES_LABELS[place[3]], "details": details}
        row |= ctx.person(force, "person_", pid, when.toordinal())
        ctx.write(force, "sightings", row, [("person_", pid)])
    return ref


def custody(ctx: Context, force: Force, *, pid: int, day: int, reason: str, suite: str,
            disposal: str) -> None:
    row = {"custody_ref": ctx.event_ref(force, "custody", day),
           "arrested_at": ctx.when(day).strftime(force.dt_format), "arrest_reason": reason,
           "suite": suite, "disposal": disposal}
    row |= ctx.person(force, "person_", pid, day, "ethnicity", "phone", "address")
    ctx.write(force, "custody", row, [("person_", pid)])


def stop(ctx: Context, force: Force, *, when: datetime, people: list[int], location: str,
         postcode: str, vrm: str, grounds: str, outcome: str) -> None:
    ref = ctx.event_ref(force, "stops", when.toordinal())
    for pid in people:
        row = {"stop_ref": ref, "stopped_at": when.strftime(force.dt_format),
               "location": location, "postcode": postcode, "vrm": vrm, "grounds": grounds,
               "outcome": outcome}
        row |= ctx.person(force, "person_", pid, when.toordinal(), "ethnicity")
        ctx.write(force, "stops", row, [("person_", pid)])


def person_ids(pids: list[int]) -> str:
    return ";".join(person_id(p) for p in pids)

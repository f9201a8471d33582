"""Children-at-risk scoring at scale, and the score by recorded ethnicity on the demo.

Run: .venv/bin/python bench/risk.py [--children 100000] [--seed 1] [--demo DIR]
     (full: the defaults; quick: --children 5000, which still runs the demo, ~45 s)

1. Scale: a synthetic ``lantern.risk.facts.CaseFacts`` (in memory) of --children children and
   half as many adults: each child has 0 to 6 missing episodes, ties (calls, sightings, stops,
   shared vehicles) to 1 to 8 people; one child in 25 is tied to the adults of a group (one in
   three groups an organised network), seen at its premises and sometimes named as a victim.
   Scored by ``lantern.risk.score.assess_facts`` unchanged (the same path as `lantern risk`,
   less the store read), and ranked by the naive baseline (number of missing episodes) in the
   same run. Time is wall clock; peak memory is tracemalloc's peak over a second, traced run
   (tracing slows it, so its time is not the one reported).
2. Fairness report: the demo scenario (run into a temporary folder, or --demo DIR from an
   earlier `lantern demo`) scored as `lantern risk` scores it; then, for this report only,
   each child's recorded ethnicity is read (the most common on their records) and the score
   distribution is printed per group, so a reviewer can see any disparity. The scorer itself
   never reads ethnicity, religion or nationality (tests/risk/test_score.py proves it).
   The time `assess` takes on the demo (store read and scoring) is reported too.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from demo_workspace import demo_at
from lantern.risk import assess, baseline, load_weights
from lantern.risk.facts import Age, CaseFacts, Episode, Member, Premises, Tie
from lantern.risk.score import assess_facts
from table import Figure, emit

REFERENCE = date(2024, 12, 31)
TIE_TYPES = ("called", "seen-with", "stopped-with", "shared-vehicle", "same-premises")


def synthetic_facts(children: int, seed: int) -> CaseFacts:
    rng = random.Random(seed)
    facts = CaseFacts(reference=REFERENCE)
    adults = [f"A{n}" for n in range(children // 2)]
    for n, adult in enumerate(adults):
        facts.ages[adult] = Age(born=date(1960 + n % 40, 1 + n % 12, 1 + n % 28), born_record=n)
    groups = [f"G{n:05d}" for n in range(max(1, children // 250))]
    for n, group in enumerate(groups):
        for adult in adults[n * 5:n * 5 + 5]:
            facts.membership[adult] = Member(group, "organiser" if adult.endswith("0") else "member")
        if n % 3 == 0:
            facts.organised.add(group)
        facts.premises[f"place:{n}"] = Premises(f"Premises {n}", (group,), (n,), (f"{n} high street, town",))
    record = 10**7
    for n in range(children):
        child = f"C{n}"
        facts.ages[child] = Age(born=date(2008 + n % 8, 1 + n % 12, 1 + n % 28), born_record=record)
        facts.dates[child] = [REFERENCE - timedelta(days=rng.randrange(900))]
        episodes = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3, 6))):
            record += 1
            start = datetime(2022, 1, 1) + timedelta(days=rng.randrange(1090), hours=rng.randrange(24))
            episodes.append(Episode(record, start, start + timedelta(hours=rng.randint(3, 60)),
                                    rng.choice(("Town centre", f"{rng.randrange(99)} high street, town"))))
        if episodes:
            facts.episodes[child] = episodes
        ties = facts.ties.setdefault(child, {})
        for _ in range(rng.randint(1, 8)):
            other = rng.choice(adults) if rng.random() < 0.6 else f"C{rng.randrange(children)}"
            record += 1
            kind = rng.choice(TIE_TYPES)
            ties[other] = Tie(other, {kind: rng.randint(1, 20)}, {kind: rng.uniform(0.5, 8)}, "2024-06-01",
                              {kind: [record]})
        if n % 25 == 0:
            group = rng.randrange(len(groups))
            for adult in adults[group * 5:group * 5 + rng.randint(1, 5)]:
                record += 1
                ties[adult] = Tie(adult, {"called": 12, "seen-with": 2}, {"called": 5.0, "seen-with": 3.0},
                                  "2024-09-01", {"called": [record], "seen-with": [record]})
            record += 1
            facts.visits[child] = [(f"place:{group}", record)]
            if n % 50 == 0:
                facts.victim_in[child] = [(record, (adults[group * 5],))]
        facts.records[child] = {record}
    return facts


def scale(children: int, seed: int) -> Figure:
    started = time.perf_counter()
    facts = synthetic_facts(children, seed)
    built = time.perf_counter() - started
    weights = load_weights()
    started = time.perf_counter()
    assessment = assess_facts(facts, weights)
    lantern_s = time.perf_counter() - started
    started = time.perf_counter()
    order = baseline(facts)
    baseline_s = time.perf_counter() - started
    tracemalloc.start()
    assess_facts(facts, weights)
    _, lantern_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    baseline(facts)
    _, baseline_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Synthetic input: {children:,} children, {children // 2:,} adults (built in {built:.1f}s, seed {seed})")
    print(f"{'method':<32}{'children':>10}{'seconds':>10}{'per child (us)':>16}{'peak MiB':>10}")
    for name, seconds, peak, n in (("Lantern (assess_facts)", lantern_s, lantern_peak,
                                    len(assessment.ranked) + len(assessment.quiet)),
                                   ("baseline (missing episodes)", baseline_s, baseline_peak, len(order))):
        print(f"{name:<32}{n:>10,}{seconds:>10.2f}{1e6 * seconds / max(n, 1):>16.1f}{peak / 2**20:>10.1f}")
    print(f"Lantern / baseline time: {lantern_s / max(baseline_s, 1e-9):.0f}x")
    scored = len(assessment.ranked) + len(assessment.quiet)
    return Figure(
        measure=f"score {children:,} children at risk ({children // 2:,} adults; synthetic facts in memory, "
                "store read not included)",
        value=lantern_s, unit="s",
        baseline="rank by number of missing episodes", baseline_value=baseline_s,
        peak_mib=lantern_peak / 2**20, baseline_peak_mib=baseline_peak / 2**20,
        note="peak is tracemalloc's over a second, traced run (Python heap, not RSS)",
        extra={"ms_per_child": 1e3 * lantern_s / max(scored, 1), "children_scored": scored,
               "ranked": len(assessment.ranked), "build_facts_seconds": built})


def _demo(folder: Path | None) -> Path:
    return demo_at(folder, prefix="lantern-risk-bench-")


def fairness(folder: Path | None) -> Figure:
    from lantern.store import Workspace, tables

    demo = _demo(folder)
    ws = Workspace(str(demo / "lantern.db"))
    with ws.reader() as conn:
        case = ws.case_id(conn)
        started = time.perf_counter()
        assessment = assess(conn, case)
        assess_s = time.perf_counter() - started
        # Read here, for this report only: never by the scorer.
        c, s, runs = tables.resolution_clusters, tables.statements, tables.network_runs
        resolution_run = conn.scalar(select(runs.c.resolution_run_id).order_by(runs.c.id.desc()).limit(1))
        recorded: dict[str, Counter[str]] = defaultdict(Counter)
        for entity, value in conn.execute(select(c.c.entity_id, s.c.value).join(s, s.c.record_id == c.c.record_id)
                                          .where(c.c.run_id == resolution_run, s.c.prop == "ethnicity",
                                                 s.c.value.is_not(None))):
            recorded[entity][value] += 1
    ws.dispose()
    scores = {c.entity: c.score for c in assessment.ranked} | {e: 0.0 for e, _ in assessment.quiet}
    top = {c.entity for c in assessment.top(50)}
    by_group: dict[str, list[str]] = defaultdict(list)
    for entity in scores:
        by_group[recorded[entity].most_common(1)[0][0] if recorded[entity] else "not recorded"].append(entity)
    print(f"\nScore by recorded ethnicity on the demo ({len(scores):,} children; {demo}):")
    print(f"{'group (as recorded)':<36}{'children':>9}{'with a reason':>15}{'mean score':>12}{'mean if > 0':>13}"
          f"{'in top 50':>11}{'share of top 50':>17}")
    groups: dict[str, dict[str, float]] = {}
    for group, entities in sorted(by_group.items(), key=lambda x: -len(x[1])):
        values = [scores[e] for e in entities]
        positive = [v for v in values if v > 0]
        in_top = sum(e in top for e in entities)
        print(f"{group[:34]:<36}{len(entities):>9,}{len(positive):>15,}{statistics.mean(values):>12.2f}"
              f"{statistics.mean(positive) if positive else 0.0:>13.2f}{in_top:>11}{in_top / max(len(top), 1):>17.0%}")
        groups[group] = {"children": len(entities), "with_a_reason": len(positive),
                         "mean_score": statistics.mean(values), "in_top_50": in_top}
    return Figure(
        measure=f"`assess` on the demo scenario ({len(scores):,} children: store read and scoring)",
        value=assess_s, unit="s", note="score by recorded ethnicity (read for this report only) in extra",
        extra={"by_recorded_ethnicity": groups})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--demo", type=Path, default=None, help="an existing `lantern demo` folder")
    args = parser.parse_args()
    figures = [scale(args.children, args.seed), fairness(args.demo)]
    emit("risk", figures, scale={"children": args.children, "seed": args.seed,
                                 "demo": str(args.demo) if args.demo else "lantern demo, run afresh"})


if __name__ == "__main__":
    main()

"""Extraction throughput: reports per second over synthetic reports, with peak memory, beside a
bare regex pass for phone numbers measured in the same run (the floor any extractor pays).

    .venv/bin/python bench/text.py [--reports 100000]   (full: the default; quick: --reports 10000)
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import time
import tracemalloc
from collections.abc import Callable

from lantern.synth import text as templates
from lantern.text.extract import extract
from table import HIGHER, Figure, emit

FIELDS = {"alias": ("Taz", "Kash", "Tiny", "Ghost"), "age": ("13", "14", "15"),
          "premises": ("Golden Spoon Takeaway", "The Red Lion", "Flat 3, Mill Street, Qington"),
          "town": ("Qington", "Eastbury"), "vrm": ("ZA12 ABC", "ZB70 XYZ"),
          "phone": ("07700 900123", "+44 7700 900456", "(07700) 900789"),
          "name": ("Jade Hall", "Dean Robinson"), "victim": ("Amy",), "men": ("3",), "kids": ("2",),
          "self": ("herself",)}
PHONE = re.compile(r"(?:\+44|0)[\d ()]{9,14}\d")


def reports(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pool = [*templates.GROUP_INTEL, *templates.BACKGROUND_INTEL, *templates.VICTIM_RETURN,
            *templates.DECOY_RETURN, *templates.GROUP_CRIME, *templates.SIGHTING, *templates.VICTIM_BLAMING]
    return [rng.choice(pool).format(**{k: rng.choice(v) for k, v in FIELDS.items()}) for _ in range(n)]


def measure(label: str, texts: list[str], work: Callable[[str], object]
            ) -> tuple[str, float, float, float, float]:
    started = time.perf_counter()
    for t in texts:
        work(t)
    seconds = time.perf_counter() - started
    # Peak memory in a second pass over a sample: tracemalloc slows Python several times over.
    tracemalloc.start()
    for t in texts[:5000]:
        work(t)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the process so far
    return label, seconds, len(texts) / seconds, peak, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    texts = reports(args.reports, args.seed)
    print(f"{len(texts):,} synthetic reports (seed {args.seed}), mean {sum(map(len, texts)) / len(texts):.0f} chars")
    rows = [measure("baseline: one phone regex", texts, PHONE.findall),
            measure("lantern extract (no workspace gazetteer)", texts, extract)]
    print(f"{'pass':45s} {'seconds':>9s} {'reports/s':>11s} {'peak MiB (5k sample)':>21s}")
    for label, seconds, rate, peak, _ in rows:
        print(f"{label:45s} {seconds:9.2f} {rate:11,.0f} {peak:21.1f}")
    print(f"ratio: lantern is {rows[0][2] / rows[1][2]:.0f}x slower than the bare regex pass")
    (_, base_s, base_rate, base_peak, base_rss), (_, seconds, rate, peak, rss) = rows
    mean_chars = sum(map(len, texts)) / len(texts)
    emit("text", [Figure(
        measure=f"extract entities from {len(texts):,} synthetic reports (~{mean_chars:.0f} characters; "
                "no workspace gazetteer)",
        value=rate, unit="reports/s",
        baseline="one phone regex (finds phones only)", baseline_value=base_rate,
        peak_mib=rss, baseline_peak_mib=base_rss, better=HIGHER,
        note="peak: the process's ru_maxrss after each pass (reports in memory; the regex pass runs first)",
        extra={"seconds": seconds, "baseline_seconds": base_s, "mean_chars": mean_chars,
               "heap_peak_mib_5k_sample": peak, "baseline_heap_peak_mib_5k_sample": base_peak})],
        scale={"reports": args.reports, "seed": args.seed})


if __name__ == "__main__":
    main()

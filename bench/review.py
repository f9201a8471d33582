"""Reopen leads against the demo scenario's truth: recall, precision and run time.

    .venv/bin/python bench/review.py [--demo DEMO_DIR]
    (runs `lantern demo` into a temporary folder when no --demo is given, ~45 s; full and quick
    are the same: the demo has one size)
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from demo_workspace import demo_at
from lantern.review import cases_to_reopen, force_rates
from lantern.store import Workspace
from table import HIGHER, Figure, emit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, default=None,
                        help="an existing `lantern demo` folder (default: run the demo into a temporary one)")
    args = parser.parse_args()
    out = demo_at(args.demo, prefix="lantern-review-bench-")
    with (out / "scenario" / "truth" / "reopen_cases.csv").open(encoding="utf-8") as fh:
        planted = {r["crime_ref"] for r in csv.DictReader(fh)}
    ws = Workspace(str(out / "lantern.db"))
    with ws.reader() as conn:
        case_id = ws.case_id(conn)
        started = time.perf_counter()
        leads = cases_to_reopen(conn, case_id)
        lead_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rates = force_rates(conn, case_id)
        rate_seconds = time.perf_counter() - started
    ws.dispose()
    found = {lead.crime for lead in leads}
    hits = len(found & planted)
    recall = hits / len(planted) if planted else 0.0
    precision = hits / len(found) if found else 0.0
    print(f"{'measure':<28}{'value':>10}")
    print(f"{'planted closed cases':<28}{len(planted):>10}")
    print(f"{'leads':<28}{len(leads):>10}")
    print(f"{'recall':<28}{recall:>10.2f}")
    print(f"{'precision':<28}{precision:>10.2f}")
    print(f"{'reopen seconds':<28}{lead_seconds:>10.2f}")
    print(f"{'force rates seconds':<28}{rate_seconds:>10.2f}")
    for f in rates:
        eth = f.rates["suspect_ethnicity_recorded"]
        print(f"  {f.force:<26} ethnicity recorded {eth if eth is not None else float('nan'):.2f}, "
              f"outliers: {', '.join(f'{m} {d}' for m, d in f.outliers.items()) or 'none'}")
    counts = {"planted": len(planted), "leads": len(leads), "found_planted": hits}
    what = f"closed cases worth reopening on the demo ({len(planted)} planted)"
    emit("review", [
        Figure(measure=f"{what}: recall", value=recall, unit="recall", better=HIGHER, extra=counts),
        Figure(measure=f"{what}: precision", value=precision, unit="precision", better=HIGHER, extra=counts),
        Figure(measure="`cases_to_reopen` on the demo", value=lead_seconds, unit="s"),
        Figure(measure="`force_rates` on the demo", value=rate_seconds, unit="s",
               extra={"forces": len(rates)}),
    ], scale={"demo": str(args.demo) if args.demo else "lantern demo, run afresh"})


if __name__ == "__main__":
    main()

"""Reopen leads against the demo scenario's truth: recall, precision and run time.

    .venv/bin/python bench/review.py [DEMO_DIR]    (runs the demo into a temp folder if none given)
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

from lantern.review import cases_to_reopen, force_rates
from lantern.store import Workspace


def main() -> None:
    if len(sys.argv) > 1:
        out = Path(sys.argv[1])
    else:
        from lantern.demo import run_demo
        from lantern.settings import Settings

        out = Path(tempfile.mkdtemp(prefix="lantern-review-bench-"))
        run_demo(out, Settings(user="bench"))
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
    print(f"{'measure':<28}{'value':>10}")
    print(f"{'planted closed cases':<28}{len(planted):>10}")
    print(f"{'leads':<28}{len(leads):>10}")
    print(f"{'recall':<28}{hits / len(planted) if planted else 0:>10.2f}")
    print(f"{'precision':<28}{hits / len(found) if found else 0:>10.2f}")
    print(f"{'reopen seconds':<28}{lead_seconds:>10.2f}")
    print(f"{'force rates seconds':<28}{rate_seconds:>10.2f}")
    for f in rates:
        eth = f.rates["suspect_ethnicity_recorded"]
        print(f"  {f.force:<26} ethnicity recorded {eth if eth is not None else float('nan'):.2f}, "
              f"outliers: {', '.join(f'{m} {d}' for m, d in f.outliers.items()) or 'none'}")


if __name__ == "__main__":
    main()

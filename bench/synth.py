"""Generation rate and peak memory of the synthetic scenario generator.

    .venv/bin/python bench/synth.py --people 100000 [--forces 3] [--seed 1] [--tracemalloc]

Prints people/s, rows/s and peak memory (ru_maxrss; with --tracemalloc also the Python heap
peak, which slows generation). Not a timed test: figures to compare, nothing asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from lantern.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--forces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the scenario here")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        started = time.perf_counter()
        summary = generate(out, forces=args.forces, people=args.people, seed=args.seed)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024
    rows = summary.total_rows
    print(f"people            {args.people:>12,}")
    print(f"forces            {args.forces:>12}")
    print(f"groups            {summary.groups:>12,}")
    print(f"export rows       {rows:>12,}")
    print(f"bytes written     {size:>12,}")
    print(f"seconds           {seconds:>12.2f}")
    print(f"people/s          {args.people / seconds:>12,.0f}")
    print(f"rows/s            {rows / seconds:>12,.0f}")
    print(f"peak RSS (MB)     {rss_mb:>12,.1f}")
    if args.tracemalloc:
        _, peak = tracemalloc.get_traced_memory()
        print(f"peak heap (MB)    {peak / 2**20:>12,.1f}")


if __name__ == "__main__":
    main()

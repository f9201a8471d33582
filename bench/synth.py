"""Generation rate and peak memory of the synthetic scenario generator.

    .venv/bin/python bench/synth.py --people 100000 [--forces 3] [--seed 1] [--tracemalloc]
    (full: --people 100000, the default; quick: --people 5000)

Prints people/s, rows/s and peak memory (ru_maxrss; with --tracemalloc also the Python heap
peak, which slows generation). Baseline, in the same run: every file the generator wrote
(exports and truth tables) written again with the csv module from rows already in memory
(read back beforehand, 10,000 rows at a time, not timed): the same rows and bytes, without
generating them. Only the writing is timed; it runs after the generator in the same process,
so it has no peak memory of its own. Not a timed test: figures to compare, nothing asserted.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
import tracemalloc
from itertools import islice
from pathlib import Path

from lantern.synth import generate
from table import Figure, emit

CHUNK = 10_000
DELIMITERS = ",;|\t"


def rewrite(src: Path, dst: Path) -> tuple[float, int]:
    """Write ``src``'s rows again into ``dst`` with the csv module; returns (seconds writing, rows).

    Latin-1 both ways keeps every byte (some exports are not UTF-8); the delimiter is the one
    the header line uses most. JSON Lines files are written line by line."""
    seconds, rows = 0.0, 0
    with src.open(encoding="latin-1", newline="") as fin, dst.open("w", encoding="latin-1", newline="") as fout:
        if src.suffix == ".jsonl":
            lines = iter(fin)
            while chunk := list(islice(lines, CHUNK)):
                started = time.perf_counter()
                fout.writelines(chunk)
                seconds += time.perf_counter() - started
                rows += len(chunk)
            return seconds, rows
        header = fin.readline()
        fin.seek(0)
        delimiter = max(DELIMITERS, key=header.count)
        terminator = "\r\n" if header.endswith("\r\n") else "\n"
        reader = csv.reader(fin, delimiter=delimiter)
        writer = csv.writer(fout, delimiter=delimiter, lineterminator=terminator)
        while records := list(islice(reader, CHUNK)):
            started = time.perf_counter()
            writer.writerows(records)
            seconds += time.perf_counter() - started
            rows += len(records)
    return seconds, rows


def baseline(scenario: Path, into: Path) -> tuple[float, int, int]:
    """Rewrite every csv/txt/jsonl file of the scenario; returns (seconds, rows, bytes written)."""
    csv.field_size_limit(sys.maxsize)
    seconds, rows = 0.0, 0
    for n, src in enumerate(sorted(p for p in scenario.rglob("*") if p.suffix in (".csv", ".txt", ".jsonl"))):
        dst = into / f"{n}{src.suffix}"
        s, r = rewrite(src, dst)
        seconds, rows = seconds + s, rows + r
    size = sum(p.stat().st_size for p in into.iterdir())
    return seconds, rows, size


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
        out = args.out or Path(tmp) / "scenario"
        started = time.perf_counter()
        summary = generate(out, forces=args.forces, people=args.people, seed=args.seed)
        seconds = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        heap = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        tracemalloc.stop()
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        (Path(tmp) / "baseline").mkdir()
        base_s, base_rows, base_size = baseline(out, Path(tmp) / "baseline")
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
    if heap is not None:
        print(f"peak heap (MB)    {heap / 2**20:>12,.1f}")
    print(f"baseline: csv module rewriting the same files: {base_rows:,} lines ({base_size:,} bytes) "
          f"in {base_s:.2f} s")
    emit("synth", [Figure(
        measure=f"generate a scenario of {args.people:,} people, {args.forces} forces ({rows:,} export rows)",
        value=seconds, unit="s",
        baseline="csv module writing the same files again (same rows and bytes, rows already in memory)",
        baseline_value=base_s, peak_mib=rss_mb,
        note="peak is ru_maxrss" + (" (tracemalloc on: slower)" if args.tracemalloc else ""),
        extra={"people_per_s": args.people / seconds, "rows_per_s": rows / seconds, "export_rows": rows,
               "groups": summary.groups, "bytes_written": size, "baseline_lines": base_rows,
               "baseline_bytes": base_size, "peak_heap_mib": heap / 2**20 if heap is not None else None})],
        scale={"people": args.people, "forces": args.forces, "seed": args.seed})


if __name__ == "__main__":
    main()

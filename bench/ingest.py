"""Ingest throughput: N person rows (8 columns) into SQLite, against plain sqlite3 executemany.

Run: .venv/bin/python bench/ingest.py [--rows 100000 --rows 1000000]   (full: the default, both sizes)
Quick: .venv/bin/python bench/ingest.py --rows 20000
Prints rows/s, peak memory, and the ratio against a baseline measured in the same run: a
plain ``sqlite3`` ``executemany`` of the same cleaned values into the same table shapes
(records + statements), in one transaction. Each measurement runs in its own process so its
peak memory is its own. Memory is flat when the peak is the same at 100k and 1M rows.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from table import HIGHER, Figure, emit

PROFILE = """\
name: bench-people
namespace: bench.nominal
dates: ["%d/%m/%Y"]
entities:
  person:
    schema: Person
    id: NOMINAL_ID
    required: [name]
    properties:
      name: {column: NAME, order: surname_first}
      dob: DOB
      gender: {column: SEX, map: {M: male, F: female}}
      phone: MOBILE
      address: ADDRESS
      postcode: POSTCODE
      email: EMAIL
"""
FORENAMES = ["Amir", "Grace", "Daniel", "Chloe", "Piotr", "Aisha", "Liam", "Sofia", "Kwame", "Ella"]
SURNAMES = ["KHAN", "PRICE", "ADEYEMI", "HOLT", "NOWAK", "BEGUM", "MURPHY", "SILVA", "OWUSU", "REED"]


def write_rows(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("NOMINAL_ID,NAME,DOB,SEX,MOBILE,ADDRESS,POSTCODE,EMAIL\n")
        for i in range(rows):
            fore, sur = rng.choice(FORENAMES), rng.choice(SURNAMES)
            fh.write(
                f"N{i},\"{sur}, {fore}\",{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2012)},"
                f"{rng.choice('MF')},07700 900{rng.randint(0, 999):03d},"
                f"\"{rng.randint(1, 200)} Larch Row, Eastbury\",QA{rng.randint(1, 9)} {rng.randint(1, 9)}BD,"
                f"{fore.lower()}.{sur.lower()}{i}@example.org\n"
            )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_lantern(csv_path: str, db: str, queue: mp.Queue) -> None:
    from lantern.ingest.loader import ingest_file
    from lantern.ingest.profile import parse_profile
    from lantern.store import Workspace

    workspace = Workspace(db)
    workspace.init()
    started = time.perf_counter()
    result = ingest_file(workspace, Path(csv_path), parse_profile(PROFILE, "bench.yaml"), user="bench")
    queue.put((time.perf_counter() - started, peak_mib(), result.rows_loaded, result.statements))


def run_baseline(source_db: str, db: str, queue: mp.Queue) -> None:
    """Plain sqlite3: the same cleaned values, same table shapes, one transaction."""
    src = sqlite3.connect(source_db)
    records = src.execute("SELECT id, case_id, source_id, row_number, alias, schema, namespace, "
                          "source_record_id FROM records ORDER BY id").fetchall()
    statements = src.execute("SELECT record_id, prop, original, value, quality FROM statements").fetchall()
    src.close()
    dst = sqlite3.connect(db, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=FULL")
    dst.execute("PRAGMA cache_size=-131072")  # as Lantern sets it
    dst.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, case_id INT, source_id INT, row_number INT, "
                "alias TEXT, schema TEXT, namespace TEXT, source_record_id TEXT)")
    dst.execute("CREATE TABLE statements (id INTEGER PRIMARY KEY, record_id INT, prop TEXT, original TEXT, "
                "value TEXT, quality TEXT)")
    dst.execute("CREATE INDEX ix1 ON records (source_id)")
    dst.execute("CREATE INDEX ix2 ON records (schema)")
    dst.execute("CREATE INDEX ix3 ON records (namespace, source_record_id)")
    dst.execute("CREATE INDEX ix4 ON statements (record_id)")
    dst.execute("CREATE INDEX ix5 ON statements (prop, value)")
    started = time.perf_counter()
    dst.execute("BEGIN")
    dst.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
    dst.executemany("INSERT INTO statements (record_id, prop, original, value, quality) VALUES (?, ?, ?, ?, ?)",
                    statements)
    dst.execute("COMMIT")
    queue.put((time.perf_counter() - started, peak_mib(), len(records), len(statements)))


def measure(target, *args) -> tuple:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append",
                        help="row counts to measure (repeatable; default 100000 and 1000000)")
    args = parser.parse_args()
    sizes = args.rows or [100_000, 1_000_000]
    figures: list[Figure] = []
    print(f"python {sys.version.split()[0]}, {mp.cpu_count()} cores")
    print(f"{'rows':>10} {'lantern s':>10} {'rows/s':>10} {'peak MiB':>9} {'baseline s':>11} "
          f"{'ratio':>6} {'base MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            csv_path = Path(tmp) / f"people_{rows}.csv"
            write_rows(csv_path, rows)
            lantern_db = Path(tmp) / f"lantern_{rows}.db"
            seconds, peak, loaded, n_statements = measure(run_lantern, str(csv_path), str(lantern_db))
            base_s, base_peak, _, _ = measure(run_baseline, str(lantern_db), str(Path(tmp) / f"base_{rows}.db"))
            print(f"{rows:>10,} {seconds:>10.1f} {loaded / seconds:>10,.0f} {peak:>9.0f} {base_s:>11.1f} "
                  f"{seconds / base_s:>6.1f} {base_peak:>9.0f}   ({n_statements:,} statements)")
            figures.append(Figure(
                measure=f"ingest {rows:,} person rows (8 columns) into SQLite",
                value=loaded / seconds, unit="rows/s",
                baseline="plain sqlite3 executemany of the same cleaned values, same tables and indexes",
                baseline_value=loaded / base_s, peak_mib=peak, baseline_peak_mib=base_peak, better=HIGHER,
                note="each in its own process; the baseline holds every row in memory, Lantern streams",
                extra={"seconds": seconds, "baseline_seconds": base_s, "rows_loaded": loaded,
                       "statements": n_statements, "sqlite": sqlite3.sqlite_version}))
    emit("ingest", figures, scale={"rows": sizes}, libraries=("sqlalchemy",))


if __name__ == "__main__":
    main()

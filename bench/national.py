"""National-scale run (issue 11): every stage of the pipeline timed, with its peak memory.

Run at several scales, it measures how each stage grows.

Run: .venv/bin/python bench/national.py --people 2000 --people 8000 [--forces 43] [--seed 1]
     [--workspace DIR] [--spark] [--db postgresql://USER@HOST:5432/postgres]
     full: .venv/bin/python bench/national.py --people 100000 --people 1000000 --forces 43 --spark

* Stages, each in its own process so that its peak memory is its own (``os.wait4`` on the child
  gives its ru_maxrss; a sampler also sums the resident memory of the child's whole process
  tree every 0.5 s, which is what counts for Spark's JVM): ``lantern synth`` (generate),
  ingest, calls (``lantern calls load`` of a bulk provider CDR of --calls-per-person rows a
  person, 50 by default: 50M calls at 1M people, written by bench/comms.py's generator before
  the stage and not tied to the scenario's people), ``lantern resolve``, ``lantern network``,
  ``lantern extract``, ``lantern risk --csv``, ``lantern review --csv``, ``lantern report``
  (the briefing pack).
* Ingest runs every export of the manifest, in order, through its shipped profile with the
  CLI's own ``ingest_paths`` in one process (``python bench/national.py _ingest``): the
  ``lantern ingest`` command takes one profile per call, and 50 calls would add 50 start-ups
  (about 3 s each here) to the figure.
* The workspace is a SQLite file created by ``lantern init`` as ``bench-lead`` (administrator,
  supervisor, analyst, mapped to this OS account); every stage acts as that user in the
  ``default`` case, authenticated and audited like any analyst's command.
* Baselines, in the same run: ingest against DuckDB reading the same raw files (``read_csv`` /
  ``read_json`` of every export, counting rows) in its own process; calls against DuckDB
  reading the same CDR; ``lantern profiles`` (no
  data: the CLI's start-up, which every stage's time includes). Other stages have none.
* --db: a PostgreSQL server instead of SQLite files. Each scale gets a new database on that
  server (``lantern_national_<people>_<pid>``, created through the URL's database; keys and
  call data in the scale's folder); the Spark copy is ``CREATE DATABASE ... TEMPLATE``. The
  databases are dropped at the end unless --workspace keeps the build.
* --spark (at the largest scale only: Spark's start-up alone is minutes on 2 shared cores):
  after ingest the workspace folder is copied and ``lantern resolve --engine spark``
  runs on the copy (``LANTERN_SPARK_MASTER``, default ``local[*]``); the person clusters of the
  two runs are compared: identical partition or not, and the adjusted Rand index.
* Growth: for consecutive scales n1 < n2, per stage log(t2/t1)/log(n2/n1) (1.0 = linear) for
  wall time and CPU time (each also net of the CLI start-up) and for peak memory; each stage's
  time at 1,000,000 people is extrapolated from the last pair with k = max(net CPU k, 1) (an
  extrapolation, not a measurement).

The generator writes up to 43 forces (``lantern.synth.forces.MAX_FORCES``, England and Wales's
territorial forces); forces past the sixth carry their profiles beside the scenario. Figures only; nothing is asserted. Results on stdout and in
bench/out/national.json (or under $LANTERN_BENCH_OUT).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantern.processes import descendants
from table import Figure, emit, out_dir  # bench/table.py (the script's folder is on sys.path)

HERE = Path(__file__).resolve()
LANTERN = str(Path(sys.executable).with_name("lantern"))
USER, CASE = "bench-lead", "default"
TARGET = 1_000_000
STAGES = ("generate", "ingest", "calls", "resolve", "network", "extract", "risk", "review", "report")
CALLS_PER_PERSON = 50  # the national scale: 1M people, about 50M calls


# ---------------------------------------------------------------- one stage, measured


@dataclass
class Stage:
    name: str
    seconds: float
    peak_mib: float            # os.wait4's ru_maxrss of the child (largest process it reaped)
    tree_peak_mib: float       # sampled sum of RSS over the child's process tree
    log: str
    cpu_seconds: float = 0.0   # user + system time of the child and the children it reaped
    extra: dict[str, Any] = field(default_factory=dict)
    failed: str = ""           # why the stage did not finish (only where the run may go on without it)

    @property
    def peak(self) -> float:
        return max(self.peak_mib, self.tree_peak_mib)


def _tree_rss_kib(root: int) -> int:
    """Resident KiB of ``root`` and every descendant (a Spark JVM and its Python workers)."""
    total = 0
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    for pid in [root, *descendants(root)]:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page_kib
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
    return total


def measure(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None,
            timeout: float | None = None, may_fail: bool = False) -> Stage:
    """Run one stage as a child process; its time, its peak memory, its output in ``log``.

    Past ``timeout`` seconds the child's whole process group (a JVM included) is killed. A stage
    that ``may_fail`` comes back marked failed; any other failure ends the run."""
    print(f"    {name:<9} ...", end="", flush=True)
    started = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                 env={**os.environ, "COLUMNS": "160", **(env or {})})
        peak_kib = [0]
        done = threading.Event()
        timed_out = threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                peak_kib[0] = max(peak_kib[0], _tree_rss_kib(child.pid))
                if timeout is not None and time.perf_counter() - started > timeout and not timed_out.is_set():
                    timed_out.set()
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(child.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        with contextlib.suppress(ProcessLookupError):  # nothing of the stage outlives it
            os.killpg(child.pid, signal.SIGKILL)
    seconds = time.perf_counter() - started
    stage = Stage(name, seconds, usage.ru_maxrss / 1024, peak_kib[0] / 1024, str(log),
                  usage.ru_utime + usage.ru_stime)
    if child.returncode:
        why = (f"killed after {timeout:.0f} s (--spark-timeout)" if timed_out.is_set()
               else f"exited {child.returncode}: {_last_line(log)}")
        print(f" failed: {why}")
        if not may_fail:
            raise SystemExit(f"stage {name} exited {child.returncode}; its output:\n{log.read_text()[-3000:]}")
        stage.failed = why
        return stage
    print(f" {seconds:7.1f} s  {stage.cpu_seconds:7.1f} s CPU  {stage.peak:7.0f} MiB", flush=True)
    return stage


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][-300:] if lines else "(no output)"


@dataclass
class Where:
    """A workspace: its database URL, and its key and call-data folders (PostgreSQL only)."""

    db: str
    key_dir: str | None = None
    data_dir: str | None = None

    @property
    def options(self) -> list[str]:
        return ["--db", self.db, *(["--key-dir", self.key_dir, "--data-dir", self.data_dir] if self.key_dir else [])]


def lantern(where: Where, *args: str) -> list[str]:
    return [LANTERN, *where.options, "--user", USER, "--case", CASE, *args]


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.split("://")[0] in ("postgresql", "postgres") else url


CREATED: list[str] = []  # PostgreSQL databases made by this run, dropped at its end unless kept


def pg_database(server: str, name: str, template: str | None = None, drop: bool = False) -> str:
    """Create (or drop) database ``name`` on the server of ``server``; returns its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url(server))
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"bad database name {name!r}")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # names are made here from digits and letters, never from input
        if drop:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
            CREATED.append(name)
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


# ---------------------------------------------------------------- workers (own processes)


def ingest_worker(db: str, scenario: str, key_dir: str = "", data_dir: str = "") -> None:
    """Every export of the manifest through its shipped profile, as ``lantern ingest`` does."""
    from lantern.cli import ingest_paths
    from lantern.security.session import Session
    from lantern.settings import Settings
    from lantern.synth import manifest, profile_of

    session = Session.open(Settings(db=db, user=USER, case=CASE, key_dir=key_dir or None,
                                    data_dir=data_dir or None))
    loaded = quarantined = 0
    refused: list[str] = []  # e.g. an export with a header and no rows (small scales): refused whole
    for entry in manifest(Path(scenario)):
        results, errors = ingest_paths(session, [Path(scenario) / entry["file"]], profile_of(Path(scenario), entry),
                                       quiet=True)
        refused += errors
        loaded += sum(r.rows_loaded for r in results)
        quarantined += sum(r.rows_quarantined for r in results)
    print(json.dumps({"rows_loaded": loaded, "rows_quarantined": quarantined, "files_refused": refused}))


def duckdb_worker(scenario: str) -> None:
    """Baseline: DuckDB reads every export of the manifest with the delimiter its profile names,
    counting rows; lenient (``strict_mode=false, ignore_errors=true``) so that the scenario's
    planted bad rows and bytes, which Lantern quarantines, do not stop it."""
    import duckdb

    from lantern.ingest.profile import load_profile
    from lantern.synth import profile_of

    con, rows = duckdb.connect(), 0
    for entry in json.loads((Path(scenario) / "manifest.json").read_text()):
        path = str(Path(scenario) / entry["file"])
        if path.endswith(".jsonl"):
            found = con.execute("SELECT count(*) FROM read_json(?, format='newline_delimited', ignore_errors=true)",
                                [path]).fetchone()
        else:
            delimiter = load_profile(profile_of(Path(scenario), entry)).delimiter
            found = con.execute("SELECT count(*) FROM read_csv(?, delim=?, header=true, quote='\"', "
                                "strict_mode=false, null_padding=true, ignore_errors=true, all_varchar=true)",
                                [path, "," if delimiter == "auto" else delimiter]).fetchone()
        rows += int(found[0]) if found else 0
    print(json.dumps({"rows": rows}))


def cdr_worker(path: str, rows: str, people: str, seed: str) -> None:
    """The national provider CDR: bench/comms.py's generator (a skewed contact pattern around
    targets), about one number a person, a target per hundred people."""
    from comms import generate as write_cdr  # bench/comms.py

    n = int(people)
    write_cdr(Path(path), int(rows), numbers=n, targets=max(100, n // 100), seed=int(seed))
    print(json.dumps({"rows": int(rows), "bytes": Path(path).stat().st_size}))


def duckdb_cdr_worker(path: str) -> None:
    """Baseline for the calls stage: DuckDB reading the same CDR file, count(*)."""
    import duckdb

    found = duckdb.connect().execute("SELECT count(*) FROM read_csv(?, header=true, all_varchar=true)",
                                     [path]).fetchone()
    print(json.dumps({"rows": int(found[0]) if found else 0}))


# ---------------------------------------------------------------- counts and parity


def counts(db: str, scenario: Path) -> dict[str, Any]:
    """Rows, records by schema, calls, resolved people and network ties of the workspace."""
    from sqlalchemy import create_engine, func, select

    from lantern.store import tables as t

    entries = json.loads((scenario / "manifest.json").read_text())
    engine = create_engine(db)
    with engine.connect() as conn:
        by_schema = dict(conn.execute(select(t.records.c.schema, func.count())
                                      .group_by(t.records.c.schema)).all())
        run = person_run(conn)
        people = conn.scalar(select(func.count(func.distinct(t.resolution_clusters.c.entity_id)))
                             .where(t.resolution_clusters.c.run_id == run))
        net = conn.scalar(select(func.max(t.network_runs.c.id)))
        ties = conn.scalar(select(func.count()).select_from(t.network_edges)
                           .where(t.network_edges.c.run_id == net))
        audit = conn.scalar(select(func.count()).select_from(t.audit_events))
    engine.dispose()
    return {"export_rows": sum(e["rows"] for e in entries),
            "cdr_rows": sum(e["rows"] for e in entries if e["kind"] == "cdr"),
            "device_call_rows": sum(e["rows"] for e in entries if e["kind"] in ("device_calls", "device_messages")),
            "records": sum(by_schema.values()), "records_by_schema": by_schema,
            "person_records": by_schema.get("Person", 0), "people_resolved": int(people or 0),
            "ties": int(ties or 0), "audit_events": int(audit or 0)}


def person_run(conn: Any) -> int:
    from sqlalchemy import func, select

    from lantern.store import tables as t

    r = t.resolution_runs
    return int(conn.scalar(select(func.max(r.c.id)).where(r.c.schema == "Person")) or 0)


def partition(db: str) -> dict[int, str]:
    """Record id -> person entity of the latest Person resolution run."""
    from sqlalchemy import create_engine, select

    from lantern.store import tables as t

    engine = create_engine(db)
    c = t.resolution_clusters
    with engine.connect() as conn:
        run = person_run(conn)
        found = {int(r): str(e) for r, e in conn.execute(select(c.c.record_id, c.c.entity_id)
                                                         .where(c.c.run_id == run))}
    engine.dispose()
    return found


def adjusted_rand(a: dict[int, str], b: dict[int, str]) -> float:
    """Adjusted Rand index of two clusterings of the same records (1.0: the same partition)."""
    keys = sorted(set(a) & set(b))
    pairs = lambda n: n * (n - 1) / 2  # noqa: E731
    both = sum(pairs(n) for n in Counter((a[k], b[k]) for k in keys).values())
    left = sum(pairs(n) for n in Counter(a[k] for k in keys).values())
    right = sum(pairs(n) for n in Counter(b[k] for k in keys).values())
    expected = left * right / pairs(len(keys)) if len(keys) > 1 else 0.0
    top = (left + right) / 2 - expected
    return 1.0 if top == 0 else (both - expected) / top


def same_partition(a: dict[int, str], b: dict[int, str]) -> bool:
    """The same records grouped the same way (entity labels may differ): a one-to-one label map."""
    if set(a) != set(b):
        return False
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for k in a:
        if forward.setdefault(a[k], b[k]) != b[k] or backward.setdefault(b[k], a[k]) != a[k]:
            return False
    return True


# ---------------------------------------------------------------- one scale


def run_scale(people: int, forces: int, seed: int, folder: Path, spark: bool,
              server: str | None = None, calls_per_person: int = CALLS_PER_PERSON,
              spark_timeout: float | None = None, spark_memory: str = "") -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise SystemExit(f"{folder} is not empty: give an empty or new --workspace")
    scenario, logs = folder / "scenario", folder / "logs"
    logs.mkdir()
    databases: list[str] = []
    if server:
        databases.append(f"lantern_national_{people}_{os.getpid()}")
        where = Where(pg_database(server, databases[0]), str(folder / "keys"), str(folder / "data"))
    else:
        where = Where(f"sqlite:///{folder / 'lantern.db'}")
    db = where.db
    py = [sys.executable, str(HERE)]
    print(f"  {people:,} people, {forces} forces, seed {seed}: {folder}", flush=True)
    subprocess.run(lantern(where, "init"), check=True, capture_output=True)
    done: dict[str, Stage] = {}
    done["generate"] = measure("generate", [LANTERN, "synth", str(scenario), "--forces", str(forces),
                                            "--people", str(people), "--seed", str(seed)], logs / "generate.log")
    done["ingest"] = measure("ingest", [*py, "_ingest", db, str(scenario), where.key_dir or "", where.data_dir or ""],
                             logs / "ingest.log")
    # A baseline that fails (a hostile byte it cannot skip) is recorded; the run goes on.
    duck = measure("(duckdb)", [*py, "_duckdb", str(scenario)], logs / "duckdb.log", may_fail=True)
    duck.extra = {} if duck.failed else json.loads(Path(duck.log).read_text().strip().splitlines()[-1])
    done["ingest"].extra = json.loads(Path(done["ingest"].log).read_text().strip().splitlines()[-1])
    for refused in done["ingest"].extra["files_refused"]:
        print(f"    NOTE ingest refused: {refused}")
    # The bulk provider CDR (`lantern calls load`): written first (untimed: the bench's own data),
    # then loaded; DuckDB reading the same file is its baseline.
    cdr = folder / "national-cdr.csv"
    subprocess.run([*py, "_cdr", str(cdr), str(calls_per_person * people), str(people), str(seed)],
                   check=True, capture_output=True)
    # From here a stage that fails is recorded and the run goes on: hours in, one failure must
    # not lose every other figure.
    done["calls"] = measure("calls", lantern(where, "calls", "load", str(cdr), "--layout", "qnet"),
                            logs / "calls.log", may_fail=True)
    done["calls"].extra = {"cdr_rows": calls_per_person * people, "cdr_bytes": cdr.stat().st_size,
                           "calls_per_person": calls_per_person}
    duck_calls = measure("(duckdb calls)", [*py, "_duckdb_cdr", str(cdr)], logs / "duckdb-calls.log",
                         may_fail=True)
    copy = folder / "spark"
    spark_at = Where(f"sqlite:///{copy / 'lantern.db'}")
    if spark:  # the post-ingest workspace, for the Spark engine (WAL checkpointed: no writer is open)
        copy.mkdir()
        if server:
            databases.append(databases[0] + "_spark")
            shutil.copytree(folder / "keys", copy / "keys")
            spark_at = Where(pg_database(server, databases[1], template=databases[0]), str(copy / "keys"),
                             str(copy / "data"))
        for item in folder.iterdir():
            if item.name.startswith("lantern.db"):
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, copy / item.name)
    for name in STAGES[3:]:  # resolve, network, extract, risk, review, report
        done[name] = measure(name, lantern(where, *stage_args(name, folder)), logs / f"{name}.log", may_fail=True)
    startup = measure("(start-up)", [LANTERN, "profiles"], logs / "startup.log")
    cdr.unlink()  # gigabytes at national scale; the workspace holds what was loaded
    result: dict[str, Any] = {"people": people, "stages": done, "duckdb": duck, "duckdb_calls": duck_calls,
                              "startup": startup,
                              "counts": counts(sqlalchemy_url(db), scenario), "databases": databases}
    if spark:
        spark_db = sqlalchemy_url(spark_at.db)
        result["spark"] = measure("resolve on Spark", lantern(spark_at, "resolve", "--engine", "spark"),
                                  logs / "resolve-spark.log", env=spark_env(spark_memory),
                                  timeout=spark_timeout, may_fail=True)
        if result["spark"].failed:
            return result
        mine, theirs = partition(sqlalchemy_url(db)), partition(spark_db)
        result["parity"] = {"identical": same_partition(mine, theirs), "ari": adjusted_rand(mine, theirs),
                            "records": len(mine), "people_duckdb": len(set(mine.values())),
                            "people_spark": len(set(theirs.values()))}
        print(f"    parity: identical partition {result['parity']['identical']}, "
              f"ARI {result['parity']['ari']:.6f} ({result['parity']['people_duckdb']:,} people by DuckDB, "
              f"{result['parity']['people_spark']:,} by Spark)")
    return result


def spark_env(memory: str) -> dict[str, str]:
    """Local mode runs Spark's executors inside the driver's JVM, whose heap is 1 GiB by default:
    at national scale the driver is given ``memory`` (unless PYSPARK_SUBMIT_ARGS already says)."""
    if not memory or "PYSPARK_SUBMIT_ARGS" in os.environ:
        return {}
    return {"PYSPARK_SUBMIT_ARGS": f"--driver-memory {memory} pyspark-shell"}


# ---------------------------------------------------------------- tables and figures


def exponent(x1: float, x2: float, n1: int, n2: int) -> float | None:
    if x1 <= 0 or x2 <= 0 or n1 == n2:
        return None
    return math.log(x2 / x1) / math.log(n2 / n1)


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_scale(r: dict[str, Any]) -> None:
    c, duck = r["counts"], r["duckdb"]
    print(f"\n{r['people']:,} people: {c['export_rows']:,} export rows, {c['records']:,} records, "
          f"{c['cdr_rows']:,} CDR rows ({c['cdr_rows'] / r['people']:.1f} calls per person), "
          f"{c['people_resolved']:,} people resolved from {c['person_records']:,} person records, "
          f"{c['ties']:,} ties")
    print("| stage | seconds | CPU s | peak MiB (process) | peak MiB (tree) | baseline |")
    print("|---|---:|---:|---:|---:|---|")
    for s in r["stages"].values():
        base = (f"DuckDB read_csv {duck.seconds:.1f} s, {duck.peak:.0f} MiB (x{s.seconds / duck.seconds:.0f})"
                if s.name == "ingest" and not duck.failed else f"DuckDB failed: {duck.failed}"
                if s.name == "ingest" else "")
        if s.name == "calls":
            d = r["duckdb_calls"]
            base = (f"{s.extra['cdr_rows']:,} rows; DuckDB read_csv {d.seconds:.1f} s, {d.peak:.0f} MiB "
                    f"(x{s.seconds / d.seconds:.0f})")
        print(f"| {s.name} | {s.seconds:.1f} | {s.cpu_seconds:.1f} | {s.peak_mib:.0f} | {s.tree_peak_mib:.0f} "
              f"| {base} |")
    if "spark" in r and r["spark"].failed:
        print(f"| resolve (Spark local) | did not finish: {r['spark'].failed} | | | | |")
    elif "spark" in r:
        s = r["spark"]
        print(f"| resolve (Spark local) | {s.seconds:.1f} | {s.cpu_seconds:.1f} (Python side) | {s.peak_mib:.0f} "
              f"| {s.tree_peak_mib:.0f} (with the JVM) | |")
    u = r["startup"]
    print(f"| (CLI start-up: lantern profiles) | {u.seconds:.1f} | {u.cpu_seconds:.1f} | {u.peak:.0f} | | |")


def growth(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage and consecutive pair of scales: exponents of wall time, CPU time (each also net
    of the CLI start-up) and peak memory; and the stage's wall time extrapolated to 1M people
    with k = max(net CPU exponent, 1): no stage can do less than read its input."""
    rows = []
    for a, b in zip(results, results[1:], strict=False):
        n1, n2 = a["people"], b["people"]
        wall0 = min(a["startup"].seconds, b["startup"].seconds)
        cpu0 = min(a["startup"].cpu_seconds, b["startup"].cpu_seconds)
        finished = lambda r: "spark" in r and not r["spark"].failed  # noqa: E731
        names = [*STAGES, *(["resolve-spark"] if finished(a) and finished(b) else [])]
        for name in names:
            s1 = a["spark"] if name == "resolve-spark" else a["stages"][name]
            s2 = b["spark"] if name == "resolve-spark" else b["stages"][name]
            if s1.failed or s2.failed:
                continue
            cpu_net = exponent(s1.cpu_seconds - cpu0, s2.cpu_seconds - cpu0, n1, n2)
            k = max(cpu_net if cpu_net is not None else 1.0, 1.0)
            r1, r2 = a["counts"]["records"], b["counts"]["records"]
            rows.append({"stage": name, "n1": n1, "n2": n2, "records1": r1, "records2": r2,
                         "cpu_net_by_records": exponent(s1.cpu_seconds - cpu0, s2.cpu_seconds - cpu0, r1, r2),
                         "time": exponent(s1.seconds, s2.seconds, n1, n2),
                         "time_net": exponent(s1.seconds - wall0, s2.seconds - wall0, n1, n2),
                         "cpu": exponent(s1.cpu_seconds, s2.cpu_seconds, n1, n2), "cpu_net": cpu_net,
                         "memory": exponent(s1.peak, s2.peak, n1, n2), "t2": s2.seconds,
                         "k_used": k, "extrapolated_s": s2.seconds * (TARGET / n2) ** k})
    return rows


def print_growth(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    print("\nGrowth: exponent k in t ~ n^k between two scales (1.0 = linear); 'net' takes the CLI start-up"
          " (lantern profiles) off both first. CPU time is the steadier figure on a shared machine.")
    print(f"The last column is an EXTRAPOLATION to {TARGET:,} people (wall time at the larger scale x "
          "(1M/n)^max(net CPU k, 1)), not a measurement.")
    print("The generator plants at least 2 groups per force, so records per person fall as people grow at small"
          " scales: 'CPU k (net) by records' is the exponent against the records loaded.")
    print("| stage | scales | wall k | wall k (net) | CPU k | CPU k (net) | CPU k (net) by records | memory k "
          "| extrapolated to 1M |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for g in rows:
        print(f"| {g['stage']} | {g['n1']:,} -> {g['n2']:,} | {fmt(g['time'])} | {fmt(g['time_net'])} | "
              f"{fmt(g['cpu'])} | {fmt(g['cpu_net'])} | {fmt(g['cpu_net_by_records'])} | {fmt(g['memory'])} | "
              f"{g['extrapolated_s'] / 3600:.1f} h |")


def figures(results: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[Figure]:
    out = []
    for r in results:
        n, c, duck = r["people"], r["counts"], r["duckdb"]
        for s in r["stages"].values():
            if s.failed:
                out.append(Figure(f"national {s.name}, {n:,} people", s.seconds, "s", peak_mib=s.peak,
                                  note=f"FAILED: {s.failed}", extra={"failed": s.failed, "people": n}))
                continue
            fig = Figure(f"national {s.name}, {n:,} people", s.seconds, "s", peak_mib=s.peak,
                         extra={"cpu_seconds": s.cpu_seconds, "process_peak_mib": s.peak_mib, "tree_peak_mib": s.tree_peak_mib,
                                "people": n, **s.extra, **(c if s.name == "ingest" else {})})
            if s.name == "ingest" and not duck.failed:
                fig.baseline, fig.baseline_value = "DuckDB read_csv/read_json of every export, count(*)", duck.seconds
                fig.baseline_peak_mib = duck.peak
                fig.extra["duckdb_rows"] = duck.extra.get("rows")
            elif s.name == "ingest":
                fig.note = f"DuckDB baseline failed: {duck.failed}"
            if s.name == "calls":
                fig.measure = (f"national calls: `lantern calls load` of {s.extra['cdr_rows']:,} CDR rows "
                               f"({s.extra['calls_per_person']} a person), {n:,} people")
                if not r["duckdb_calls"].failed:
                    fig.baseline, fig.baseline_value = "DuckDB read_csv of the same CDR, count(*)", r["duckdb_calls"].seconds
                    fig.baseline_peak_mib = r["duckdb_calls"].peak
            out.append(fig)
        if "spark" in r and r["spark"].failed:
            s = r["spark"]
            out.append(Figure(f"national resolve on Spark (local), {n:,} people", s.seconds, "s",
                              peak_mib=s.peak, note=f"did not finish: {s.failed}",
                              extra={"failed": s.failed, "tree_peak_mib": s.tree_peak_mib}))
        elif "spark" in r:
            s = r["spark"]
            out.append(Figure(f"national resolve on Spark (local), {n:,} people", s.seconds, "s",
                              peak_mib=s.peak, baseline="the DuckDB engine, same records",
                              baseline_value=r["stages"]["resolve"].seconds,
                              baseline_peak_mib=r["stages"]["resolve"].peak,
                              extra={"process_peak_mib": s.peak_mib, "tree_peak_mib": s.tree_peak_mib}))
            p = r["parity"]
            out.append(Figure(f"national Spark vs DuckDB person clusters, {n:,} people", float(p["identical"]),
                              "identical partition (1=yes)", better="higher",
                              note=f"adjusted Rand index {p['ari']:.6f}", extra=p))
    for g in rows:
        out.append(Figure(f"national growth of {g['stage']} time, {g['n1']:,} -> {g['n2']:,} people",
                          g["time"] or 0.0, "exponent",
                          note="log(t2/t1)/log(n2/n1); 1.0 = linear",
                          extra={k: g[k] for k in ("time_net", "cpu", "cpu_net", "cpu_net_by_records", "memory",
                                                   "k_used", "extrapolated_s", "records1", "records2")}))
        out.append(Figure(f"national growth of {g['stage']} peak memory, {g['n1']:,} -> {g['n2']:,} people",
                          g["memory"] or 0.0, "exponent", note="log(m2/m1)/log(n2/n1)"))
    return out


# ---------------------------------------------------------------- main


def main() -> None:
    workers = {"_ingest": ingest_worker, "_duckdb": duckdb_worker, "_cdr": cdr_worker,
               "_duckdb_cdr": duckdb_cdr_worker}
    if len(sys.argv) > 1 and sys.argv[1] in workers:
        workers[sys.argv[1]](*sys.argv[2:])
        return
    from lantern.synth.forces import MAX_FORCES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append", help="a scale (repeat for growth)")
    parser.add_argument("--forces", type=int, default=43)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workspace", type=Path, help="keep the builds here (one folder per scale)")
    parser.add_argument("--db", help="a PostgreSQL server URL: one new database per scale on it")
    parser.add_argument("--spark", action="store_true",
                        help="also resolve the largest scale on Spark (local mode) and compare")
    parser.add_argument("--spark-at", type=int, action="append", default=[], metavar="PEOPLE",
                        help="also resolve this scale on Spark (repeat; --spark adds the largest)")
    parser.add_argument("--spark-timeout", type=float, help="seconds before a Spark resolve is given up "
                        "(recorded as not finished; the run goes on)")
    parser.add_argument("--spark-memory", default="6g",
                        help="the Spark driver's heap in local mode (default 6g; PYSPARK_SUBMIT_ARGS wins)")
    parser.add_argument("--again", action="append", default=[], choices=STAGES[3:], metavar="STAGE",
                        help="measure this stage again (repeatable) on the builds kept in --workspace, "
                             "replacing its figures in the figures file of the earlier run (e.g. after "
                             "a fix, when the stages before it took an hour)")
    parser.add_argument("--calls-per-person", type=int, default=CALLS_PER_PERSON,
                        help=f"rows of the bulk provider CDR per person (default {CALLS_PER_PERSON}: "
                             "50M calls at 1M people)")
    args = parser.parse_args()
    scales = sorted(set(args.people or [2000]))
    if min(scales) < 200:
        raise SystemExit("--people must be at least 200")
    forces = args.forces
    if not 1 <= forces <= MAX_FORCES:
        raise SystemExit(f"--forces must be between 1 and {MAX_FORCES}")
    started = time.perf_counter()
    if args.again:
        if args.workspace is None:
            raise SystemExit("--again needs the --workspace of the earlier run")
        again(args, started)
        return
    root = args.workspace or Path(tempfile.mkdtemp(prefix="lantern-national-"))
    print(f"National run: scales {', '.join(f'{n:,}' for n in scales)} people; workspace {root}")
    try:
        if args.db and not args.db.startswith(("postgresql", "postgres:")):
            raise SystemExit("--db takes a PostgreSQL server URL (the default is a SQLite file per scale)")
        spark_scales = set(args.spark_at) | ({scales[-1]} if args.spark else set())
        if spark_scales - set(scales):
            raise SystemExit("--spark-at names a scale that --people does not")
        results: list[dict[str, Any]] = []
        for n in scales:
            results.append(run_scale(n, forces, args.seed, root / f"people-{n}", n in spark_scales,
                                     args.db, args.calls_per_person, args.spark_timeout, args.spark_memory))
            # The figures so far, after every scale: a long run stopped later keeps these.
            report(results, args, scales, started, final=n == scales[-1])
    finally:
        if args.workspace is None:
            shutil.rmtree(root, ignore_errors=True)
            for name in CREATED if args.db else ():
                pg_database(args.db, name, drop=True)


def again(args: argparse.Namespace, started: float) -> None:
    """Measure some stages again on the kept builds; the other figures stay as the earlier run
    measured them (read back from its figures file), and growth is worked out afresh."""
    earlier = json.loads((out_dir() / "national.json").read_text())
    results = from_figures(earlier)
    for r in results:
        if args.people and r["people"] not in args.people:
            continue
        folder = args.workspace / f"people-{r['people']}"
        where = Where(f"sqlite:///{folder / 'lantern.db'}")
        print(f"  again at {r['people']:,} people: {', '.join(args.again)}", flush=True)
        for name in args.again:
            r["stages"][name] = measure(name, lantern(where, *stage_args(name, folder)),
                                        folder / "logs" / f"{name}.log", may_fail=True)
        r["counts"] = counts(sqlalchemy_url(where.db), folder / "scenario")
    startup = measure("(start-up)", [LANTERN, "profiles"], args.workspace / "startup-again.log")
    for r in results:  # the fixed cost every stage pays, measured now for the growth figures
        r["startup"] = startup
    args.people = [r["people"] for r in results]
    args.forces, args.calls_per_person = earlier["scale"]["forces"], earlier["scale"]["calls_per_person"]
    args.spark = earlier["scale"].get("spark", False)
    # The table names the run that measured most stages; the stages measured again are listed.
    args.again_of = earlier["scale"].get("again_of") or earlier["command"]
    args.agains = [*earlier["scale"].get("agains", []),
                   f"{' '.join(sys.argv[1:])} ({time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC)"]
    written = report(results, args, args.people, started, final=True)
    record = json.loads(written.read_text())
    record["command"] = args.again_of
    written.write_text(json.dumps(record, indent=2, default=str))


def stage_args(name: str, folder: Path) -> list[str]:
    return {"resolve": ["resolve"], "network": ["network"], "extract": ["extract"],
            "risk": ["risk", "--csv", str(folder / "risk.csv")],
            "review": ["review", "--csv", str(folder / "review.csv")],
            "report": ["report", "-o", str(folder / "briefing"), "--recipient", "national bench"]}[name]


def from_figures(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The earlier run's scales rebuilt from its figures file (stages, baselines, Spark, parity)."""
    def stage(name: str, f: dict[str, Any]) -> Stage:
        x = f.get("extra", {})
        return Stage(name, f["value"], x.get("process_peak_mib", f.get("peak_mib") or 0.0),
                     x.get("tree_peak_mib", f.get("peak_mib") or 0.0), "", x.get("cpu_seconds", 0.0),
                     {k: v for k, v in x.items() if k not in ("cpu_seconds", "process_peak_mib", "tree_peak_mib")},
                     x.get("failed", ""))

    def baseline(name: str, f: dict[str, Any], rows: Any) -> Stage:
        return Stage(name, f.get("baseline_value") or 0.0, f.get("baseline_peak_mib") or 0.0,
                     f.get("baseline_peak_mib") or 0.0, "", 0.0, {"rows": rows},
                     "" if f.get("baseline_value") else f.get("note", "failed"))

    results = []
    for n in run["scale"]["people"]:
        suffix = f", {n:,} people"
        mine = [f for f in run["figures"] if f["measure"].endswith(suffix)]
        r: dict[str, Any] = {"people": n, "stages": {}, "counts": run["scale"]["counts"][str(n)],
                             "startup": Stage("(start-up)", 0.0, 0.0, 0.0, "")}
        for f in mine:
            m = f["measure"]
            name = next((s for s in STAGES if m.startswith((f"national {s},", f"national {s}:"))), None)
            if name:
                r["stages"][name] = stage(name, f)
                if name == "ingest":
                    r["duckdb"] = baseline("(duckdb)", f, f["extra"].get("duckdb_rows"))
                if name == "calls":
                    r["duckdb_calls"] = baseline("(duckdb calls)", f, None)
            elif m.startswith("national resolve on Spark"):
                r["spark"] = stage("resolve on Spark", f)
                r["spark"].failed = r["spark"].failed or (f.get("note", "").removeprefix("did not finish: ")
                                                          if f.get("note", "").startswith("did not") else "")
            elif m.startswith("national Spark vs DuckDB"):
                r["parity"] = f["extra"]
        results.append(r)
    return results


def report(results: list[dict[str, Any]], args: argparse.Namespace, scales: list[int], started: float,
           final: bool) -> Path:
    if final:
        for r in results:
            print_scale(r)
    rows = growth(results)
    if final:
        print_growth(rows)
    wall = time.perf_counter() - started
    if final:
        print(f"\nwall time {wall:.0f} s")
    return emit("national", figures(results, rows),
         scale={"people": [r["people"] for r in results], "store": "postgresql" if args.db else "sqlite",
                "forces": args.forces, "calls_per_person": args.calls_per_person,
                "seed": args.seed, "spark": bool(args.spark or args.spark_at), "wall_seconds": round(wall, 1),
                "counts": {r["people"]: r["counts"] for r in results},
                **({} if final else {"unfinished": f"scales {', '.join(map(str, scales))} asked"}),
                **({"again_of": args.again_of, "agains": args.agains} if getattr(args, "again_of", None) else {})},
         libraries=("duckdb", "splink", "igraph", "pyspark", "sqlalchemy"))


if __name__ == "__main__":
    main()

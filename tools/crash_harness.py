"""Kill Lantern at random moments and check that nothing committed is lost (DI-2, DI-3, AU-4).

Each run copies a prepared SQLite workspace, starts one Lantern command on it as a
subprocess (an ingest of two files, resolve, a judgement, a network build), SIGKILLs it after
a seeded random delay, and then checks the workspace:

* it opens at the current schema and ``PRAGMA integrity_check`` is ok;
* the audit log verifies (the same check as ``lantern audit verify``, witness file included);
* every source the log says was collected is there and complete, every source in the store
  is complete and has its COLLECT event (no half-written import is visible, no import lands
  without its event), and every resolution run, judgement and network run has its event;
* re-running the killed command completes the job (an ingest reports "already loaded" or
  loads the file), and the checks hold again afterwards.

    python tools/crash_harness.py --runs 40 --seed 7      # or: make crash

Prints one line per run (stage, kill time, outcome) and exits 1 on any violation. Timings
vary with the machine; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from lantern.demo import sample_path
from lantern.security import audit
from lantern.security.keys import Keys
from lantern.store import Workspace, tables

USER = "lead"
DB = "lantern.db"
COMMAND_TIMEOUT_S = 600  # a re-run that takes longer than this counts as not completing


# ---- running Lantern --------------------------------------------------------------------------


def lantern_args(folder: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "lantern.cli", "--db", str(folder / DB), "--user", USER, *args]


def run_lantern(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(lantern_args(folder, *args), capture_output=True, text=True, env=env,
                          timeout=COMMAND_TIMEOUT_S, check=False)


def must(folder: Path, *args: str) -> str:
    done = run_lantern(folder, *args)
    if done.returncode != 0:
        raise SystemExit(f"setup failed: lantern {' '.join(args)}\n{done.stdout}{done.stderr}")
    return done.stdout


def copy_workspace(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (WAL included) and the key folder."""
    target.mkdir(parents=True)
    src, dst = sqlite3.connect(source / DB), sqlite3.connect(target / DB)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    shutil.copytree(source / f"{DB}.keys", target / f"{DB}.keys")


def kill_after(folder: Path, args: list[str], delay: float) -> float | None:
    """Start the command, SIGKILL it after ``delay`` seconds; its duration if it finished first."""
    env = {**os.environ, "COLUMNS": "200"}
    started = time.perf_counter()
    proc = subprocess.Popen(lantern_args(folder, *args), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    try:
        proc.wait(timeout=delay)
        return time.perf_counter() - started
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


# ---- the stages -------------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: Path  # the workspace the command starts from
    args: list[str]
    operation: str  # its audit operation, to tell "killed before" from "after" the commit
    seconds: float = 0.0  # how long it takes unkilled (calibration)


def bulk_nominals(path: Path, rows: int) -> Path:
    """The sample nominals, repeated with fresh references: an import long enough to kill inside."""
    header, *lines = sample_path("nominals.csv").read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for n in range(rows):
            line = lines[n % len(lines)]
            out.write(f"BK-{n:07d}{line[line.index(','):]}\n")
    return path


def person_records(folder: Path, refs: tuple[str, str]) -> list[str]:
    ws = Workspace(str(folder / DB))
    r = tables.records
    try:
        with ws.reader() as conn:
            ids = [conn.scalar(select(r.c.id).where(r.c.source_record_id == ref, r.c.schema == "Person"))
                   for ref in refs]
    finally:
        ws.dispose()
    return [str(i) for i in ids]


def timed(folder: Path, *args: str) -> float:
    started = time.perf_counter()
    must(folder, *args)
    return time.perf_counter() - started


def prepare(work: Path, bulk_rows: int) -> list[Stage]:
    """Build the starting workspaces once, timing each stage as it is built."""
    empty, loaded, resolved = work / "base-empty", work / "base-loaded", work / "base-resolved"
    empty.mkdir()
    must(empty, "init")
    bulk = bulk_nominals(work / "bulk-nominals.csv", bulk_rows)
    ingest = ["ingest", str(bulk), str(sample_path("nominals.csv")), "-p", "sample-nominals"]
    copy_workspace(empty, loaded)
    for name, profile in (("nominals.csv", "sample-nominals"), ("crimes.csv", "sample-crimes"),
                          ("intelligence.jsonl", "sample-intelligence")):
        must(loaded, "ingest", str(sample_path(name)), "-p", profile)
    copy_workspace(loaded, resolved)
    resolve_s = timed(resolved, "resolve")
    a, b = person_records(resolved, ("NA-1003", "NA-1007"))
    judge = ["judge", a, b, "same", "--reason", "crash harness: same DOB year and phone"]
    stages = [Stage("ingest", empty, ingest, "ingest"), Stage("resolve", loaded, ["resolve"], "resolve", resolve_s),
              Stage("judge", resolved, judge, "judge"), Stage("network", resolved, ["network"], "network")]
    for stage in stages:
        if not stage.seconds:
            probe = work / f"probe-{stage.name}"
            copy_workspace(stage.base, probe)
            stage.seconds = timed(probe, *stage.args)
            shutil.rmtree(probe)
    return stages


# ---- the checks -------------------------------------------------------------------------------


def _events(conn: Connection) -> list[dict[str, Any]]:
    return list(reversed(audit.events(conn, limit=10_000_000)))


def _objects(events: list[dict[str, Any]], kind: str) -> set[int]:
    return {int(str(o).split(":", 1)[1]) for e in events for o in e.get("objects", [])
            if str(o).startswith(f"{kind}:")}


def _source_problems(conn: Connection, events: list[dict[str, Any]]) -> list[str]:
    s, r = tables.sources, tables.records
    problems = []
    rows = {row.id: row for row in conn.execute(select(s))}
    loaded = {row.source_id: row.n for row in conn.execute(
        select(r.c.source_id, func.count(func.distinct(r.c.row_number)).label("n")).group_by(r.c.source_id))}
    collected = {int(str(e["objects"][0]).split(":")[1]): e for e in events
                 if e["operation"] == "ingest" and e["action"] == "COLLECT"}
    for source_id, event in collected.items():
        expected = event["detail"]["rows_loaded"]
        if source_id not in rows:
            problems.append(f"source {source_id} is in the audit log but not in the store")
        elif not event["detail"]["duplicate"] and rows[source_id].rows_loaded != expected:
            problems.append(f"source {source_id}: {rows[source_id].rows_loaded} rows, log says {expected}")
    for source_id, row in rows.items():
        if loaded.get(source_id, 0) != row.rows_loaded:
            problems.append(f"source {source_id} is half-written: {loaded.get(source_id, 0)} of "
                            f"{row.rows_loaded} rows present")
        if source_id not in collected:
            problems.append(f"source {source_id} was committed without its COLLECT event")
    return problems


def _run_problems(conn: Connection, events: list[dict[str, Any]]) -> list[str]:
    """Every resolution run, network run and judgement must have been audited (AU-4)."""
    problems = []
    # Resolve's event names its Person run; the object and place runs of the same
    # transaction are not named, so only Person runs are held to this.
    person = tables.resolution_runs.c.schema == "Person"
    for kind, query in (("resolution", select(tables.resolution_runs.c.id).where(person)),
                        ("network", select(tables.network_runs.c.id))):
        ids = {int(i) for i in conn.execute(query).scalars()}
        missing = ids - _objects(events, kind)
        if missing:
            problems.append(f"{kind} runs {sorted(missing)} committed without an audit event")
    judged = int(conn.scalar(select(func.count()).select_from(tables.judgements)) or 0)
    judge_events = sum(1 for e in events if e["operation"] == "judge")
    if judged != judge_events:
        problems.append(f"{judged} judgements but {judge_events} judge events")
    return problems


def check_workspace(folder: Path) -> list[str]:
    """Every invariant a crash must not break; returns the violations found."""
    conn3 = sqlite3.connect(folder / DB)
    try:
        integrity = [row[0] for row in conn3.execute("PRAGMA integrity_check")]
    finally:
        conn3.close()
    if integrity != ["ok"]:
        return [f"integrity_check: {integrity[:3]}"]
    ws = Workspace(str(folder / DB))
    try:
        ws.require()
        keys = Keys.for_workspace(ws, None)
        with ws.reader() as conn:
            report = audit.verify(conn, keys.public_key, keys.witness)
            events = _events(conn)
            problems = [f"audit verify: {p}" for p in report.problems]
            return problems + _source_problems(conn, events) + _run_problems(conn, events)
    except Exception as exc:  # noqa: BLE001 - any failure to open is itself the finding
        return [f"workspace does not open: {exc}"]
    finally:
        ws.dispose()


def count_operation(folder: Path, operation: str) -> int:
    ws = Workspace(str(folder / DB))
    try:
        with ws.reader() as conn:
            return sum(1 for e in _events(conn) if e["operation"] == operation)
    finally:
        ws.dispose()


def rerun_problems(folder: Path, stage: Stage) -> list[str]:
    """Re-running the killed command must finish the job."""
    done = run_lantern(folder, *stage.args)
    if done.returncode != 0:
        return [f"re-run failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-300:]}"]
    if stage.name == "ingest":
        files = [Path(a).name for a in stage.args if a.endswith(".csv")]
        for name in files:
            said = [line for line in done.stdout.splitlines() if line.startswith(name)]
            if not said or not any(w in said[0] for w in ("already loaded", "rows loaded")):
                return [f"re-run did not load or recognise {name}: {done.stdout.strip()[-300:]}"]
    return check_workspace(folder)


# ---- one run, many runs -----------------------------------------------------------------------


@dataclass
class Run:
    number: int
    stage: str
    kill_at: float
    outcome: str = ""
    problems: list[str] = field(default_factory=list)


def one_run(number: int, stage: Stage, delay: float, work: Path) -> Run:
    folder = work / f"run-{number:04d}"
    copy_workspace(stage.base, folder)
    before = count_operation(folder, stage.operation)
    finished_in = kill_after(folder, stage.args, delay)
    if finished_in is not None:
        # The machine got faster than at calibration: aim the next kills at the real duration.
        stage.seconds = finished_in
    after = count_operation(folder, stage.operation)
    outcome = "finished first" if finished_in is not None else (
        "killed after a commit" if after > before else "killed before commit")
    run = Run(number, stage.name, delay, outcome, check_workspace(folder))
    if not run.problems:
        run.problems = rerun_problems(folder, stage)
    if not run.problems:
        shutil.rmtree(folder)  # keep only the workspaces that show a violation
    return run


def kill_delay(rng: random.Random, stage: Stage, startup: float) -> float:
    """Mostly after Python has started (where the work is), sometimes anywhere."""
    low = 0.0 if rng.random() < 0.2 else min(startup, stage.seconds) * 0.9
    return round(rng.uniform(low, stage.seconds * 1.05), 3)


def measure_startup(work: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lantern.cli", "--version"], capture_output=True,
                   check=False, timeout=COMMAND_TIMEOUT_S)
    return time.perf_counter() - started


def crash_runs(runs: int, seed: int, work: Path, bulk_rows: int = 20_000,
               stages: list[str] | None = None, max_seconds: float = 3600.0,
               echo: bool = True) -> list[Run]:
    """``runs`` seeded kill-and-check cycles in ``work``; stops early after ``max_seconds``."""
    rng = random.Random(seed)
    started = time.monotonic()
    startup = measure_startup(work)
    prepared = [s for s in prepare(work, bulk_rows) if stages is None or s.name in stages]
    if echo:
        print(f"seed {seed}; startup {startup:.1f}s; " + ", ".join(
            f"{s.name} {s.seconds:.1f}s" for s in prepared), flush=True)
    results = []
    for number in range(1, runs + 1):
        if time.monotonic() - started > max_seconds:
            print(f"stopping after {number - 1} runs: --max-seconds reached", flush=True)
            break
        stage = prepared[(number - 1) % len(prepared)]
        run = one_run(number, stage, kill_delay(rng, stage, startup), work)
        results.append(run)
        if echo:
            mark = "VIOLATION " + "; ".join(run.problems) if run.problems else "ok"
            print(f"{run.number:4d}  {run.stage:8s}  kill at {run.kill_at:6.2f}s  "
                  f"{run.outcome:22s}  {mark}", flush=True)
    return results


def summarise(results: list[Run]) -> dict[str, object]:
    return {"runs": len(results),
            "killed": sum(1 for r in results if r.outcome != "finished first"),
            "violations": sum(1 for r in results if r.problems),
            "outcomes": dict(Counter(f"{r.stage}: {r.outcome}" for r in sorted(results, key=lambda r: r.stage)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the bulk import")
    parser.add_argument("--stage", action="append", help="only these stages (repeatable)")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--workdir", type=Path, help="keep scratch workspaces here")
    parser.add_argument("--json", type=Path, help="write the summary here")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="lantern-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    results = crash_runs(args.runs, args.seed, work, args.rows, args.stage, args.max_seconds)
    summary = summarise(results)
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if summary["violations"]:
        print(f"violating workspaces kept in {work}")
        return 1
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

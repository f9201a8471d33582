"""Make the storage refuse Lantern's writes and check that it stops, says so, and loses nothing (DI-2).

The crash harness (crash_harness.py) kills the process; this one keeps it alive and makes a
write fail under it, the way a full or failing disk does:

* ``write-limit``: the command runs under a file-size limit (``RLIMIT_FSIZE``, a seeded number
  of bytes, ``SIGXFSZ`` caught): every write past it, SQLite's to the database and its log
  included, fails with EFBIG in the kernel (SQLite reports a disk I/O error);
* ``fsync-eio`` / ``fsync-enospc``: the n-th ``os.fsync`` Lantern makes (a backup's archive, a
  restored member, a new key) fails once with EIO or ENOSPC, and later ones succeed: the
  Linux behaviour after a failed writeback, where carrying on would acknowledge lost data.

Stages: ingest, resolve, judge, network and backup (the crash harness's, from the same
prepared workspaces), restore (a good backup into an empty workspace) and init (a new
workspace and its keys). After each faulted run:

* if the fault fired, the command exits 1 with one ``error:`` line and no traceback, and prints
  none of its success lines ("rows loaded", "Backed up", "Restored", ...);
* the workspace passes every crash-harness check (opens, integrity, audit verify, every source
  and run named by its event);
* a failed backup leaves no archive and no backup event; a failed restore leaves a target that
  a re-run can restore into;
* re-running the command without the fault completes the job, and the checks hold again.

    python tools/fault_harness.py --runs 60 --seed 1      # or: make faults
    python tools/fault_harness.py --store postgres --runs 30

PostgreSQL's own files are the server's: there the write limit reaches the client's files only
(a backup's archive and pg_dump's output). Prints one line per run; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crash_harness as crash  # noqa: E402 - a sibling script, not a package

FAULTED = """import errno, os, resource, signal, sys
kind, amount = sys.argv[1], int(sys.argv[2])
def report(what):
    os.write(2, f"lantern-fault: {what}\\n".encode())
if kind == "write-limit":
    fired = []
    def over(signum, frame):
        if not fired:
            fired.append(1)
            report(f"a write past {amount} bytes failed")
    signal.signal(signal.SIGXFSZ, over)
    # At exit Python resets its handlers to the default, which kills: ignore it from then on
    # (SQLite's checkpoint as its connection closes may still write past the limit).
    import atexit
    atexit.register(signal.signal, signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (amount, resource.RLIM_INFINITY))
else:
    code = errno.EIO if kind == "fsync-eio" else errno.ENOSPC
    real, calls = os.fsync, [0]
    def fsync(fd):
        calls[0] += 1
        if calls[0] == amount:
            report(f"fsync call {amount} failed with {errno.errorcode[code]}")
            raise OSError(code, os.strerror(code))
        return real(fd)
    os.fsync = fsync
from lantern.cli import app
app(sys.argv[3:], prog_name="lantern")
"""
FIRED = "lantern-fault:"
WRITE_FAULTS = ("write-limit",)
FSYNC_FAULTS = ("fsync-eio", "fsync-enospc")
# Which faults each stage gets: fsync only where Lantern itself calls it.
STAGE_FAULTS = {"ingest": WRITE_FAULTS, "resolve": WRITE_FAULTS, "judge": WRITE_FAULTS,
                "network": WRITE_FAULTS, "backup": WRITE_FAULTS + FSYNC_FAULTS,
                "restore": WRITE_FAULTS + FSYNC_FAULTS, "init": WRITE_FAULTS + FSYNC_FAULTS}
# How many times each stage calls os.fsync: a backup its archive; a restore each member it
# writes (database, two keys, the witness); init its two keys.
FSYNCS = {"backup": 1, "restore": 4, "init": 2}
SUCCESS = {"ingest": "rows loaded", "backup": "Backed up", "restore": "Restored",
           "init": "Created", "resolve": "Resolved", "judge": "Judged", "network": "Network:"}
CRASH_STAGES = ["ingest", "resolve", "judge", "network", "backup", "restore"]  # prepared by crash_harness
ALL_STAGES = (*CRASH_STAGES, "init")


@dataclass
class Run:
    number: int
    stage: str
    fault: str
    amount: int
    outcome: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    stages: list[crash.Stage]  # restore's restores a good backup made here
    largest: dict[str, int]  # per stage: the largest file an unfaulted run leaves (write limits)


def faulted_argv(argv: list[str], fault: str, amount: int) -> list[str]:
    """``python -m lantern.cli ARGS`` as the same command under the fault."""
    assert argv[1:3] == ["-m", "lantern.cli"], argv
    return [argv[0], "-c", FAULTED, fault, str(amount), *argv[3:]]


def _largest_file(folder: Path) -> int:
    return max((p.stat().st_size for p in folder.rglob("*") if p.is_file()), default=0)


def prepare(store: crash.Store, work: Path, bulk_rows: int, only: list[str]) -> Prepared:
    stages = crash.prepare(store, work, bulk_rows, [s for s in only if s in CRASH_STAGES] or ["backup"])
    stages.append(crash.Stage("init", stages[0].base, lambda p: crash.lantern_args(p, "init"), "init", fresh=True))
    stages = [s for s in stages if s.name in only]
    largest = {}
    for stage in stages:  # how big the files get unfaulted: the write limits are drawn below it
        probe = stage.place(store, "probe-size")
        crash.run_argv(stage.argv(probe))
        largest[stage.name] = max(_largest_file(probe.folder), 1)
        store.drop(probe)
    return Prepared(stages, largest)


def _said_problems(stage: str, done: subprocess.CompletedProcess[str], fired: bool) -> list[str]:
    said = (done.stdout + done.stderr).strip()
    if "Traceback" in said:
        return [f"a traceback instead of a clear error: {said[-300:]}"]
    if not fired or done.returncode == 0:
        return []
    problems = []
    if done.returncode != 1 or "error:" not in done.stderr:
        problems.append(f"no clear error (exit {done.returncode}): {said[-300:]}")
    if stage != "ingest" and SUCCESS[stage] in done.stdout:  # ingest: see _reported_loads
        problems.append(f"reported success after a failed write: {done.stdout.strip()[-300:]}")
    return problems


def _loaded_files(stdout: str) -> set[str]:
    """The files an ingest's output says it loaded (one line each: 'name: N rows loaded ...')."""
    return {line.split(":", 1)[0] for line in stdout.splitlines() if ": " in line and "rows loaded" in line}


def _reported_loads_problems(store: crash.Store, place: crash.Place, stage: crash.Stage,
                             said_loaded: set[str]) -> list[str]:
    """An ingest stopped by the fault may have loaded its first files: each one it reported
    loaded must really be committed, so the re-run finds it already loaded."""
    done = crash.run_argv(stage.argv(place))
    if done.returncode != 0:
        return [f"re-run failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-300:]}"]
    again = {line.split(":", 1)[0] for line in done.stdout.splitlines() if "already loaded" in line}
    lost = sorted(said_loaded - again)
    problems = [f"reported {name} loaded, but the re-run loaded it again" for name in lost]
    return problems or crash.check_workspace(store, place)


def _state_problems(store: crash.Store, place: crash.Place, stage: crash.Stage, failed: bool,
                    events_before: int) -> list[str]:
    if stage.fresh and failed:
        return []  # a half-made workspace: what must hold is that the re-run finishes it (below)
    problems = crash.check_workspace(store, place)
    if stage.name == "backup" and failed:
        if (place.folder / "backup.tar").exists():
            problems.append("a failed backup left backup.tar")
        if crash.count_operation(place, "backup") != events_before:
            problems.append("a failed backup has a backup event")
        problems += [f"a failed backup left its staging folder {p.name}"
                     for p in place.folder.glob(".lantern-backup-*")]
    return problems


def _rerun_problems(store: crash.Store, place: crash.Place, stage: crash.Stage,
                    rng: random.Random, failed: bool) -> list[str]:
    if stage.name != "init":
        return crash.rerun_problems(store, place, stage, rng)  # a restore's: crash.restore_rerun_problems
    if not failed:
        return crash.check_workspace(store, place)
    done = crash.run_argv(stage.argv(place))
    if done.returncode != 0:
        return [f"re-run failed (exit {done.returncode}): {(done.stdout + done.stderr).strip()[-300:]}"]
    return crash.check_workspace(store, place)


def write_limit(rng: random.Random, largest: int) -> int:
    """A limit drawn evenly on a log scale from 1 KiB to past the largest file: SQLite's log
    starts at offset 0 for each run of commits, so the small limits are where it fails."""
    return int(math.exp(rng.uniform(math.log(1024), math.log(max(largest, 1024) * 1.1))))


def one_run(store: crash.Store, prepared: Prepared, number: int, stage: crash.Stage,
            rng: random.Random) -> Run:
    fault = rng.choice(STAGE_FAULTS[stage.name])
    amount = (write_limit(rng, prepared.largest[stage.name]) if fault == "write-limit"
              else rng.randint(1, FSYNCS[stage.name]))
    run = Run(number, stage.name, fault, amount)
    place = stage.place(store, f"run-{number:04d}")
    before = 0 if stage.fresh else crash.count_operation(place, stage.operation)
    done = crash.run_argv(faulted_argv(stage.argv(place), fault, amount))
    fired = FIRED in done.stderr or "SIGXFSZ" in done.stderr  # or in a child it started (pg_dump)
    failed = done.returncode != 0
    run.outcome = ("stopped with an error" if failed else "completed despite it") if fired else (
        "not reached" if not failed else "failed without the fault")
    run.problems = _said_problems(stage.name, done, fired)
    if failed and not fired:
        run.problems.append(f"failed though no fault fired: {(done.stdout + done.stderr).strip()[-300:]}")
    run.problems = run.problems or _state_problems(store, place, stage, failed, before)
    if not run.problems and stage.name == "ingest" and _loaded_files(done.stdout):
        run.problems = _reported_loads_problems(store, place, stage, _loaded_files(done.stdout))
    else:
        run.problems = run.problems or _rerun_problems(store, place, stage, rng, failed)
    if run.problems:
        print(f"violating workspace kept: {store.keep(place)}", flush=True)
    else:
        store.drop(place)
    return run


def default_stages(store: crash.Store) -> tuple[str, ...]:
    """On PostgreSQL the database's files are the server's: only the stages that write files
    of their own (archives, restored members, keys) can meet the fault."""
    return ALL_STAGES if store.kind == "sqlite" else ("backup", "restore", "init")


def fault_runs(runs: int, seed: int, work: Path, bulk_rows: int = 20_000, stages: list[str] | None = None,
               echo: bool = True, store: str = "sqlite", pg_url: str = crash.DEFAULT_PG) -> list[Run]:
    """``runs`` seeded fault-and-check cycles, the stages in turn."""
    rng = random.Random(seed)
    backend = crash.make_store(store, work, pg_url)
    try:
        prepared = prepare(backend, work, bulk_rows, list(stages or default_stages(backend)))
        if echo:
            print(f"{backend.kind}; seed {seed}; largest files: " + ", ".join(
                f"{k} {v:,} B" for k, v in prepared.largest.items()), flush=True)
        results = []
        for number in range(1, runs + 1):
            stage = prepared.stages[(number - 1) % len(prepared.stages)]
            run = one_run(backend, prepared, number, stage, rng)
            results.append(run)
            if echo:
                mark = "VIOLATION " + "; ".join(run.problems) if run.problems else "ok"
                print(f"{run.number:4d}  {run.stage:8s}  {run.fault:12s} {run.amount:>10,}  "
                      f"{run.outcome:24s}  {mark}", flush=True)
        return results
    finally:
        backend.close()


def summarise(results: list[Run]) -> dict[str, object]:
    return {"runs": len(results),
            "fired": sum(1 for r in results if r.outcome in ("stopped with an error", "completed despite it")),
            "violations": sum(1 for r in results if r.problems),
            "outcomes": dict(Counter(f"{r.stage} {r.fault}: {r.outcome}"
                                     for r in sorted(results, key=lambda r: (r.stage, r.fault))))}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=28)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=crash.DEFAULT_PG)
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the bulk import")
    parser.add_argument("--stage", action="append", choices=ALL_STAGES, help="only these stages (repeatable)")
    parser.add_argument("--workdir", type=Path, help="keep scratch workspaces here")
    parser.add_argument("--json", type=Path, help="write the summary here")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="lantern-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    results = fault_runs(args.runs, args.seed, work, args.rows, args.stage, store=args.store, pg_url=args.pg_url)
    return crash.finish({"store": args.store, "seed": args.seed, **summarise(results)}, work, args.json,
                        keep=args.workdir is not None)


if __name__ == "__main__":
    sys.exit(main())

"""Cost of auditing: ingest and `status` with audit on vs off, and `audit verify` over 1M events.

Run: .venv/bin/python bench/audit.py [--people 20000] [--queries 300] [--events 1000000]   (full: defaults)
Quick: .venv/bin/python bench/audit.py --people 1000 --queries 20 --events 20000

1. Ingest: one synthetic scenario (3 forces, --people), loaded into a fresh workspace without
   audit (``ingest_file``, the library path) and into another through an authenticated
   Session, each file in ``case_action(WRITE, "ingest", "COLLECT")`` + ``load_file`` as
   ``lantern ingest`` does. Rows/s and the overhead, each load in its own process.
2. `status`: ``case_summary`` on the audited workspace, --queries times, interleaved: without
   audit (a plain reader transaction); audited (``case_action(READ, "status", "CONSULT")``
   writing its event, as ``lantern status`` does); and audited after a fresh ``Session.open``
   (authentication, as every CLI command does). Queries/s, p50 and p95 latency.
3. `audit verify`: --events well-formed events bulk inserted into a fresh workspace (built and
   hashed the way ``audit.record`` builds them), one signed checkpoint, then ``audit.verify``
   in its own process, against a floor measured in the same run: reading every event_json and
   SHA-256 hashing it. Events/s and peak memory (ru_maxrss) of each process.

Ratios are against a baseline measured in the same run. Figures to compare, nothing asserted
except that the log verifies.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import multiprocessing as mp
import platform
import random
import resource
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from table import HIGHER, Figure, emit

PURPOSE = "investigation"
BATCH_EVENTS = 10_000


def peak_mib() -> float:
    """This process's peak RSS. On Linux a spawned child's ru_maxrss starts from its parent's
    peak (multiprocessing spawns with vfork + exec), so the parent keeps itself small: the
    scenario is generated in a child too, and the parent imports little of Lantern."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(target: Any, *args: Any) -> Any:
    """Run ``target(*args, queue)`` in a fresh spawned process; its peak memory is its own."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    if proc.exitcode:
        raise SystemExit(f"{target.__name__} failed (exit status {proc.exitcode})")
    return result


def _settings(db: Path) -> Any:
    from lantern.settings import Settings

    return Settings(db=f"sqlite:///{db}", user=getpass.getuser(), purpose=PURPOSE)


# ---- 1. ingest ------------------------------------------------------------------------------

def run_generate(scenario: str, people: int, queue: mp.Queue) -> None:
    """In its own process, so the parent stays small (see ``peak_mib``)."""
    from lantern.synth import generate

    summary = generate(Path(scenario), forces=3, people=people, seed=1)
    queue.put((len(summary.files), summary.total_rows, summary.seconds))


def run_ingest_off(scenario: str, db: str, queue: mp.Queue) -> None:
    """The library path: ``ingest_file`` per file, no session, no audit event."""
    from lantern.ingest.loader import ingest_file
    from lantern.ingest.profile import load_profile
    from lantern.store import Workspace
    from lantern.synth.generate import manifest

    workspace = Workspace(f"sqlite:///{db}")
    workspace.init()
    entries = manifest(Path(scenario))
    rows, load_s = 0, 0.0
    started = time.perf_counter()
    for entry in entries:
        result = ingest_file(workspace, Path(scenario) / entry["file"], load_profile(entry["profile"]),
                             user=getpass.getuser())
        rows += result.rows_loaded + result.rows_quarantined
        load_s += result.seconds  # inside load_file; the rest is the transaction and its commit
    seconds = time.perf_counter() - started
    queue.put((seconds, rows, peak_mib(), 0, seconds - load_s))


def open_workspace(out: Path) -> Any:
    """A workspace with keys and a first user, as ``demo.open_demo_workspace`` makes one.

    (Not imported from lantern.demo: that module pulls in entity resolution, ~100 MiB more
    peak memory that has nothing to do with auditing.)
    """
    from lantern.security import audit
    from lantern.security.cases import bootstrap
    from lantern.security.keys import Keys
    from lantern.store import Workspace

    out.mkdir(parents=True, exist_ok=True)
    settings = _settings(out / "lantern.db")
    workspace = Workspace(settings.db)
    workspace.init()
    Keys.for_workspace(workspace, None).create()
    with workspace.writer() as conn:
        if bootstrap(conn, settings.acting_user, getpass.getuser()):
            audit.record(conn, settings.acting_user, "ADMIN", "init", purpose=settings.purpose,
                         auth="os", objects=[f"user:{settings.acting_user}"], detail={"bench": True})
    workspace.dispose()
    return settings


def run_ingest_on(scenario: str, out: str, queue: mp.Queue) -> None:
    """What ``lantern ingest`` does per file (cli.ingest_paths, less its progress bar)."""
    from lantern.ingest.loader import load_file
    from lantern.ingest.profile import load_profile
    from lantern.security import audit
    from lantern.security.policy import Permission
    from lantern.security.session import Session
    from lantern.synth.generate import manifest

    settings = open_workspace(Path(out))
    entries = manifest(Path(scenario))
    rows, load_s = 0, 0.0
    started = time.perf_counter()
    session = Session.open(settings)  # `lantern ingest` authenticates once per command
    for entry in entries:
        path = Path(scenario) / entry["file"]
        profile = load_profile(entry["profile"])
        with session.case_action(Permission.WRITE, "ingest", "COLLECT") as (conn, case, note):
            result = load_file(conn, path, profile, case_id=case.id, user=session.actor.username)
            note.objects = [f"source:{result.source_id}"]
            note.detail = {"file": path.name, "sha256": result.sha256, "profile": profile.name,
                           "rows_loaded": result.rows_loaded,
                           "rows_quarantined": result.rows_quarantined,
                           "duplicate": result.duplicate}
        rows += result.rows_loaded + result.rows_quarantined
        load_s += result.seconds  # the rest: session, case check, audit event, commit
    seconds = time.perf_counter() - started
    with session.workspace.reader() as conn:
        events = audit.count(conn)
    queue.put((seconds, rows, peak_mib(), events, seconds - load_s))


# ---- 2. status queries ----------------------------------------------------------------------

def run_queries(db: str, count: int, queue: mp.Queue) -> None:
    """The three ways of answering `status`, interleaved so drift hits all alike."""
    from lantern.security.policy import Permission
    from lantern.security.session import Session
    from lantern.store import Workspace, queries

    settings = _settings(Path(db))
    workspace = Workspace(settings.db)
    session = Session.open(settings)
    with workspace.reader() as conn:
        case_id = workspace.case_id(conn, settings.case)

    def off() -> None:
        with workspace.reader() as conn:
            queries.case_summary(conn, case_id)

    def audited(s: Session) -> None:  # as cli.status does
        with s.case_action(Permission.READ, "status", "CONSULT") as (conn, case, note):
            summary = queries.case_summary(conn, case.id)
            note.objects = [f"source:{x.id}" for x in summary.sources]
            note.detail = {"rendered_sha256": summary.digest()}

    def on() -> None:
        audited(session)

    def on_open() -> None:
        fresh = Session.open(settings)  # authenticates afresh, as every CLI command does
        audited(fresh)
        fresh.workspace.dispose()  # what the end of a CLI process does

    def event_only() -> None:  # the audit alone: case check, event, commit; no query
        with session.case_action(Permission.READ, "status", "CONSULT") as (_, _, note):
            note.detail = {"rendered_sha256": "0" * 64}

    def open_only() -> None:
        Session.open(settings).workspace.dispose()

    variants = {"off": off, "on": on, "on_open": on_open, "event": event_only, "open": open_only}
    for fn in variants.values():  # warm up: caches, statement compilation
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(count):
        order = list(variants.items())
        order = order[i % len(order):] + order[:i % len(order)]  # rotate who goes first
        for name, fn in order:
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    # the digest alone: part of the audited path, never of the unaudited one
    with workspace.reader() as conn:
        summary = queries.case_summary(conn, case_id)
    started = time.perf_counter()
    for _ in range(count):
        summary.digest()
    digest_s = (time.perf_counter() - started) / count
    queue.put((times, digest_s, peak_mib()))


# ---- 3. audit verify ------------------------------------------------------------------------

USERS = [f"analyst{i}" for i in range(1, 9)] + ["supervisor1", "auditor1"]
AUTHS = ["os", "token", "password"]


def synthetic_event(rng: random.Random, seq: int, at: str, user: str, version: str, host: str
                    ) -> dict[str, Any]:
    """One well-formed event with audit.record's keys, in a plausible mix of actions."""
    pick = rng.random()
    case_id: int | None = 1
    recipient = None
    objects: list[str] = []
    if pick < 0.55:
        action, operation = "CONSULT", "status"
        objects = [f"source:{k}" for k in range(1, rng.randint(2, 12))]
        detail: dict[str, Any] = {"rendered_sha256": f"{rng.getrandbits(256):064x}"}
    elif pick < 0.75:
        action, operation = "CONSULT", "show"
        objects = [f"record:{rng.randint(1, 5_000_000)}"]
        detail = {"fields": rng.randint(3, 40)}
    elif pick < 0.82:
        action, operation = "COLLECT", "ingest"
        source = rng.randint(1, 5000)
        objects = [f"source:{source}"]
        detail = {"file": f"force-a/nominals_{source}.csv", "sha256": f"{rng.getrandbits(256):064x}",
                  "profile": "synth-a-nominals", "rows_loaded": rng.randint(1, 100_000),
                  "rows_quarantined": rng.randint(0, 50), "duplicate": False}
    elif pick < 0.88:
        action, operation = "COMBINE", "resolve"
        detail = {"pairs": rng.randint(1, 10_000), "threshold": 0.9}
    elif pick < 0.92:
        action, operation = "DISCLOSE", "export"
        recipient = f"/exports/case-{rng.randint(1, 99)}.jsonl"
        detail = {"format": "jsonl", "rows": rng.randint(1, 1_000_000), "pseudonymised": True}
    elif pick < 0.96:
        action, operation, case_id = "AUDIT_READ", "audit query", None
        detail = {"user": rng.choice(USERS), "object": None, "case_id": None, "action": None,
                  "results": rng.randint(0, 100)}
    elif pick < 0.98:
        action, operation, case_id = "REFUSED", "status", None
        detail = {"case": "op-larch", "reason": "no case named 'op-larch'"}
    else:
        action, operation, case_id = "ADMIN", "user add", None
        objects = [f"user:{rng.choice(USERS)}"]
        detail = {"roles": ["analyst"]}
    return {
        "seq": seq, "at": at, "user": user, "auth": rng.choice(AUTHS), "case_id": case_id,
        "action": action, "operation": operation, "purpose": PURPOSE, "recipient": recipient,
        "objects": objects, "detail": detail, "version": version, "host": host,
    }


def run_insert_events(db: str, count: int, queue: mp.Queue) -> None:
    """Build, hash, chain and bulk insert ``count`` events in one writer transaction."""
    from lantern import __version__
    from lantern.security import audit, merkle
    from lantern.security.keys import Keys
    from lantern.store import Workspace, tables
    from lantern.store.bulk import bulk_insert

    workspace = Workspace(f"sqlite:///{db}")
    workspace.init()
    keys = Keys.for_workspace(workspace, None)
    keys.create()
    rng = random.Random(4)
    host = socket.gethostname()
    columns = ("seq", "at", "username", "case_id", "action", "operation", "event_json",
               "leaf_hash", "chain_hash")
    start_at = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    previous = audit.GENESIS
    db_s = 0.0
    started = time.perf_counter()
    with workspace.writer() as conn:
        batch: list[tuple[Any, ...]] = []
        for seq in range(1, count + 1):
            at = (start_at + timedelta(milliseconds=750 * seq)).isoformat(timespec="microseconds")
            user = rng.choice(USERS)
            event = synthetic_event(rng, seq, at.replace("+00:00", "Z"), user, __version__, host)
            audit._validate(event)
            data = merkle.canonical_event(event)
            leaf = merkle.leaf_hash(data)
            previous = merkle.chain_hash(previous, leaf)
            batch.append((seq, event["at"], user, event["case_id"], event["action"], event["operation"],
                          data.decode("utf-8"), leaf.hex(), previous.hex()))
            if len(batch) >= BATCH_EVENTS:
                t = time.perf_counter()
                bulk_insert(conn, tables.audit_events, columns, batch)
                db_s += time.perf_counter() - t
                batch = []
        t = time.perf_counter()
        bulk_insert(conn, tables.audit_events, columns, batch)
        db_s += time.perf_counter() - t
        t = time.perf_counter()
    db_s += time.perf_counter() - t  # the commit
    insert_s = time.perf_counter() - started
    started = time.perf_counter()
    with workspace.writer() as conn:
        checkpoint = audit.make_checkpoint(conn, keys.signing_key, keys.witness)
    checkpoint_s = time.perf_counter() - started
    assert checkpoint.size == count
    size = Path(db).stat().st_size
    queue.put((insert_s, db_s, checkpoint_s, size, peak_mib()))


def run_verify(db: str, queue: mp.Queue) -> None:
    from lantern.security import audit
    from lantern.security.keys import Keys
    from lantern.store import Workspace

    workspace = Workspace(f"sqlite:///{db}").require()
    keys = Keys.for_workspace(workspace, None)
    started = time.perf_counter()
    with workspace.reader() as conn:
        report = audit.verify(conn, keys.public_key, keys.witness)
    seconds = time.perf_counter() - started
    queue.put((seconds, report.ok, report.events, report.checkpoints, report.problems[:3], peak_mib()))


def run_floor(db: str, queue: mp.Queue) -> None:
    """The floor: read every event_json in order and SHA-256 it (plain sqlite3).

    Then, to show where verify's time goes, the same process (memory already measured) runs
    verify's per-event checks in plain sqlite3 + Python, and builds the Merkle tree.
    """
    from lantern.security import merkle

    con = sqlite3.connect(db)
    sha = hashlib.sha256
    n = 0
    started = time.perf_counter()
    for (text,) in con.execute("SELECT event_json FROM audit_events ORDER BY seq"):
        sha(text.encode("utf-8")).digest()
        n += 1
    floor_s = time.perf_counter() - started
    floor_peak = peak_mib()
    passes: dict[str, float] = {}
    for name, check_json in (("hashes", False), ("hashes+json", True)):
        previous = merkle.CHAIN_GENESIS
        leaves = []
        started = time.perf_counter()
        for seq, user, action, operation, case_id, text, leaf_hex, chain_hex in con.execute(
                "SELECT seq, username, action, operation, case_id, event_json, leaf_hash, chain_hash "
                "FROM audit_events ORDER BY seq"):
            data = text.encode("utf-8")
            leaf = merkle.leaf_hash(data)
            leaves.append(leaf)
            previous = merkle.chain_hash(previous, leaf)
            assert leaf.hex() == leaf_hex and previous.hex() == chain_hex
            if check_json:
                event = json.loads(data)
                assert merkle.canonical_event(event) == data and event["seq"] == seq
                assert (event["user"], event["action"], event["operation"], event["case_id"]) == (
                    user, action, operation, case_id)
        passes[name] = time.perf_counter() - started
    started = time.perf_counter()
    merkle.MerkleTree(leaves).root()
    passes["tree"] = time.perf_counter() - started
    con.close()
    queue.put((floor_s, n, floor_peak, passes))


# ---- report ---------------------------------------------------------------------------------

def pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def qline(times: list[float]) -> str:
    return (f"{len(times) / sum(times):,.1f} q/s, p50 {pct(times, 50) * 1000:.1f} ms, "
            f"p95 {pct(times, 95) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000, help="scenario size (default 20000)")
    parser.add_argument("--queries", type=int, default=300, help="`status` queries per variant (default 300)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="ingest runs of each kind, alternating; the best is reported (default 3)")
    parser.add_argument("--events", type=int, default=1_000_000, help="audit events to verify (default 1000000)")
    args = parser.parse_args()

    from lantern import __version__

    machine = (f"{mp.cpu_count()} cores, Python {platform.python_version()}, SQLite "
               f"{sqlite3.sqlite_version} (WAL, synchronous=FULL), {platform.system()} "
               f"{platform.machine()}, Lantern {__version__}")
    print(machine, flush=True)
    rows_md: list[str] = []
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)

        # 1. ingest
        scenario = tmp / "scenario"
        n_files, total_rows, gen_s = measure(run_generate, str(scenario), args.people)
        print(f"scenario: {args.people:,} people, {n_files} files, {total_rows:,} rows ({gen_s:.1f} s)",
              flush=True)
        runs: dict[str, list[Any]] = {"off": [], "on": []}
        targets = {"off": (run_ingest_off, "off{}.db"), "on": (run_ingest_on, "on{}")}
        for r in range(args.repeat):  # alternate which goes first; keep the best of each
            for kind in ("off", "on") if r % 2 == 0 else ("on", "off"):
                target, name = targets[kind]
                runs[kind].append(measure(target, str(scenario), str(tmp / name.format(r))))
        off_runs, on_runs = runs["off"], runs["on"]
        off_s, off_rows, off_peak, _, off_out = min(off_runs)
        on_s, on_rows, on_peak, on_events, on_out = min(on_runs)
        on_dir = tmp / f"on{min(range(args.repeat), key=lambda i: on_runs[i])}"
        for kind, best in (("off", min(off_runs)), ("on ", min(on_runs))):
            print(f"ingest, audit {kind}: {best[1]:,} rows, best {best[0]:.2f} s = {best[1] / best[0]:,.0f} rows/s; "
                  "runs (s total / s outside load_file / peak MiB): "
                  + ", ".join(f"{x[0]:.2f}/{x[4]:.3f}/{x[2]:.0f}" for x in runs[kind.strip()]), flush=True)
        print(f"  audit on wrote {on_events} events (one per file, one for init)", flush=True)
        med_off = statistics.median(x[4] for x in off_runs)
        med_on = statistics.median(x[4] for x in on_runs)
        assert on_rows == off_rows, (on_rows, off_rows)
        figures.append(Figure(
            measure=f"ingest 3 forces x {args.people:,} people ({n_files} files, {on_rows:,} rows) "
                    f"with audit on, best of {args.repeat}",
            value=on_rows / on_s, unit="rows/s",
            baseline="audit off (ingest_file, no session, no audit event)",
            baseline_value=off_rows / off_s, peak_mib=on_peak, baseline_peak_mib=off_peak, better=HIGHER,
            note="each load in its own process",
            extra={"seconds": on_s, "baseline_seconds": off_s, "audit_events": on_events,
                   "median_s_outside_load_file": med_on, "baseline_median_s_outside_load_file": med_off}))
        rows_md.append(
            f"| Ingest, 3 forces x {args.people:,} people ({n_files} files, {on_rows:,} rows), "
            f"audit on vs off, best of {args.repeat} | {on_rows / on_s:,.0f} rows/s ({on_s:.1f} s) | "
            f"{off_rows / off_s:,.0f} rows/s ({off_s:.1f} s) | {on_s / off_s:.3f}x "
            f"({(on_s / off_s - 1) * 100:+.1f}%) | {on_peak:.0f} / {off_peak:.0f} MiB |")
        rows_md.append(
            f"| ... time outside `load_file` (median of {args.repeat}): session, case check, audit "
            f"event and commit vs transaction and commit | {med_on:.3f} s | {med_off:.3f} s | "
            f"{(med_on - med_off) / off_s * 100:+.2f}% of the ingest | - |")

        # 2. status
        times, digest_s, q_peak = measure(run_queries, str(on_dir / "lantern.db"), args.queries)
        off_t, on_t, open_t = times["off"], times["on"], times["on_open"]
        for label, key in (("off (reader)", "off"), ("on (case_action)", "on"),
                           ("on + Session.open", "on_open"), ("audited, no query", "event"),
                           ("Session.open alone", "open")):
            print(f"status x{args.queries}, {label:<20} {qline(times[key])}", flush=True)
        print(f"CaseSummary.digest() alone: {digest_s * 1000:.2f} ms", flush=True)
        for label, t in (("audit on, `case_action` only", on_t),
                         ("audit on + `Session.open` (as each CLI command)", open_t)):
            rows_md.append(
                f"| `status` x{args.queries}, {label} | {qline(t)} | {qline(off_t)} | "
                f"{statistics.mean(t) / statistics.mean(off_t):.2f}x | {q_peak:.0f} MiB |")
        for label, key in (("audit on, case_action only", "on"),
                           ("audit on + Session.open, as each CLI command", "on_open")):
            figures.append(Figure(
                measure=f"`status` x{args.queries} ({args.people:,}-people scenario), {label}: p50",
                value=pct(times[key], 50) * 1000, unit="ms",
                baseline="audit off (a plain reader transaction), interleaved in the same process",
                baseline_value=pct(off_t, 50) * 1000, peak_mib=q_peak, better="lower",
                note="one process for all variants: its peak covers the baseline too",
                extra={"p95_ms": pct(times[key], 95) * 1000, "baseline_p95_ms": pct(off_t, 95) * 1000,
                       "queries_per_s": len(times[key]) / sum(times[key]),
                       "baseline_queries_per_s": len(off_t) / sum(off_t),
                       "audit_alone_p50_ms": pct(times["event"], 50) * 1000,
                       "session_open_alone_p50_ms": pct(times["open"], 50) * 1000,
                       "digest_ms": digest_s * 1000}))
        rows_md.append(f"| ... of which the audit alone (`case_action` with no query: case check, "
                       f"event, fsync'd commit) | {qline(times['event'])} | - | - | - |")
        rows_md.append(f"| ... of which authentication alone (`Session.open`: new engine, schema "
                       f"check, user lookup) | {qline(times['open'])} | - | - | - |")

        # 3. audit verify
        vdb = tmp / "verify" / "lantern.db"
        vdb.parent.mkdir()
        insert_s, db_s, checkpoint_s, size, i_peak = measure(run_insert_events, str(vdb), args.events)
        n = args.events
        print(f"inserted {n:,} events in {insert_s:.1f} s = {n / insert_s:,.0f} events/s "
              f"({db_s:.1f} s in SQLite), database {size / 2**20:,.0f} MiB; checkpoint {checkpoint_s:.1f} s; "
              f"peak {i_peak:.0f} MiB", flush=True)
        v_s, ok, v_events, v_checkpoints, problems, v_peak = measure(run_verify, str(vdb))
        print(f"audit verify: ok={ok}, {v_events:,} events, {v_checkpoints} checkpoints in {v_s:.1f} s = "
              f"{v_events / v_s:,.0f} events/s, peak {v_peak:.0f} MiB", flush=True)
        assert ok and v_events == n and v_checkpoints == 2, problems
        f_s, f_n, f_peak, passes = measure(run_floor, str(vdb))
        assert f_n == n
        print(f"floor (read + sha256): {f_s:.1f} s = {n / f_s:,.0f} events/s, peak {f_peak:.0f} MiB", flush=True)
        print(f"  plain sqlite3, all columns + leaf and chain hashes: {passes['hashes']:.1f} s; "
              f"+ json.loads and canonical re-encoding: {passes['hashes+json']:.1f} s; "
              f"Merkle tree build: {passes['tree']:.1f} s", flush=True)
        rows_md.append(
            f"| Build and bulk insert {n:,} audit events (one transaction) | {n / insert_s:,.0f} events/s "
            f"({insert_s:.1f} s, {db_s:.1f} s of it in SQLite) | - | - | {i_peak:.0f} MiB |")
        rows_md.append(f"| `make_checkpoint` over {n:,} events | {checkpoint_s:.1f} s | - | - | (above) |")
        rows_md.append(
            f"| `audit verify`, {n:,} events, 2 checkpoints: verify vs read + SHA-256 floor | "
            f"{n / v_s:,.0f} events/s ({v_s:.1f} s) | {n / f_s:,.0f} events/s ({f_s:.1f} s) | "
            f"{v_s / f_s:.1f}x | {v_peak:.0f} / {f_peak:.0f} MiB |")
        checks = passes["hashes+json"] + passes["tree"]
        figures.append(Figure(
            measure=f"build, hash and bulk insert {n:,} audit events (one transaction)",
            value=n / insert_s, unit="events/s", peak_mib=i_peak, better=HIGHER,
            extra={"seconds": insert_s, "sqlite_seconds": db_s, "database_mib": size / 2**20}))
        figures.append(Figure(
            measure=f"`make_checkpoint` over {n:,} audit events", value=checkpoint_s, unit="s",
            peak_mib=i_peak, note="same process as the insert"))
        figures.append(Figure(
            measure=f"`audit verify`, {n:,} events, 2 checkpoints",
            value=n / v_s, unit="events/s",
            baseline="read every event_json (plain sqlite3) and SHA-256 it",
            baseline_value=n / f_s, peak_mib=v_peak, baseline_peak_mib=f_peak, better=HIGHER,
            note="each in its own process",
            extra={"seconds": v_s, "baseline_seconds": f_s,
                   "checks_in_plain_python_seconds": checks, "hash_chain_only_seconds": passes["hashes"]}))
        rows_md.append(
            f"| ... verify's checks redone in plain sqlite3 + Python (hashes, chain, JSON canonical "
            f"check, Merkle tree) | - | {n / checks:,.0f} events/s ({checks:.1f} s) | "
            f"{v_s / checks:.1f}x | - |")

    print()
    print(f"Machine: {machine}; {datetime.now(UTC):%Y-%m-%d}; "
          f"`bench/audit.py --people {args.people} --queries {args.queries} --repeat {args.repeat} "
          f"--events {args.events}`")
    print()
    print("| Measurement | Lantern (audit on) | Baseline, same run | Ratio | Peak memory (on / base) |")
    print("|---|---:|---:|---:|---:|")
    for line in rows_md:
        print(line)
    sys.stdout.flush()
    emit("audit", figures, scale={"people": args.people, "forces": 3, "queries": args.queries,
                                  "repeat": args.repeat, "events": args.events},
         libraries=("sqlalchemy",))


if __name__ == "__main__":
    main()

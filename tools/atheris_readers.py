"""Coverage-guided fuzzing (atheris / libFuzzer) of every reader of untrusted files, time-bounded.

Issue 11, item 4: no crash, no hang and no unbounded memory on any input, and every rejection a
clear error. Each target writes libFuzzer's bytes to a temp file and reads it the way Lantern
does; a :class:`~lantern.errors.LanternError` (what the CLI prints as a one-line ``error:``) is a
clean rejection, and anything else is a crash: libFuzzer stops, prints the traceback and saves
the input as ``crash-<sha1>`` under ``--out``.

Targets (each in its own process, under ``RLIMIT_AS`` and a per-input timeout):

* ``csv``: ``open_table`` with delimiter and encoding sniffing, every row read, and each row
  mapped and cleaned by the shipped sample profile whose columns the header has;
* ``xlsx``: the same for a workbook (zip checks, openpyxl in read-only mode);
* ``jsonl``: the same for JSON lines;
* ``profile``: ``load_profile`` of the bytes as a mapping profile file (YAML);
* ``xml``: ``parse_xml``, the hostile-XML guard every XML read goes through (ANX charts);
* ``cdr-qnet``, ``cdr-vireo``: ``load_cdr`` of a provider CDR into an in-memory DuckDB frame.

Usage::

    python tools/atheris_readers.py --target csv --seconds 60
    python tools/atheris_readers.py --all --seconds 90          # or: make atheris SECONDS=90
    python tools/atheris_readers.py --replay csv crash-1a2b...   # re-run one saved input

Each target's seed corpus is written from the bundled samples (``src/lantern/samples``), the
shipped profiles and small generated files. Exit status 1 if any target crashed, hung or ran
out of memory; the summary gives executions, executions per second and peak RSS per target.
Nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("csv", "xlsx", "jsonl", "profile", "xml", "cdr-qnet", "cdr-vireo")
# Pure-Python libraries worth instrumenting for a target's coverage feedback (lantern always).
INSTRUMENT = {"xlsx": ("openpyxl",), "profile": ("yaml",), "xml": ("defusedxml",)}
MAX_LEN = {"xlsx": 64 * 1024}  # bytes per input; 16 KiB elsewhere
STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)


# ---- seeds ----------------------------------------------------------------------------------


def _samples() -> Path:
    return ROOT / "src" / "lantern" / "samples"


def _xlsx_bytes(rows: list[list[object]], gap: int = 0) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for _ in range(gap):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cdr_bytes(layout_name: str) -> list[bytes]:
    from lantern.comms.bulk import QNET, VIREO

    layout = QNET if layout_name == "qnet" else VIREO
    start = (["01/02/2024 10:00:00"] if layout is QNET else ["20240201", "100000"])
    header = layout.columns()
    rows = []
    for n, (a, b, kind) in enumerate([("07700 900123", "+44 (0)7700 900124", "V"),
                                      ("447700900125", "", "S"), ("n/a", "07700900126", "V")]):
        cells = {layout.record_id: f"R{n}", layout.target: "07700900123", layout.a: a, layout.b: b,
                 layout.duration: str(30 * n), layout.imei: "356938035643809",
                 layout.imsi: "234150000000001", layout.cell_start: "C1", layout.cell_end: "C2",
                 **dict(zip(layout.start, start, strict=True))}
        if layout.kind:
            cells[layout.kind] = kind if layout is VIREO else {"V": "VOICE", "S": "SMS"}[kind]
        rows.append([cells.get(c, "") for c in header])
    seeds = []
    for ending in ("\r\n", "\n"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter=layout.delimiter, lineterminator=ending)
        writer.writerow(header)
        writer.writerows(rows)
        seeds.append(out.getvalue().encode("utf-8"))
    return seeds


def _anx_bytes() -> bytes:
    from lantern.export.anx import write_anx
    from lantern.graph.view import NetworkView

    nodes = [{"id": f"E{n}", "label": label, "victim": n == 2, "child": False, "records": 1,
              "group": "G1", "role": role, "rank": n}
             for n, (label, role) in enumerate([("Mohammed Khan", "organiser"), ("Ann <Lee>", "broker"),
                                                ("Bo & Day", "member")])]
    edges = [{"entity_a": "E0", "entity_b": "E1", "type": "called", "count": 3, "weight": 1.0,
              "first_seen": "2024-01-02", "last_seen": "2024-02-03T10:00:00", "evidence": [1, 2]},
             {"entity_a": "E1", "entity_b": "E2", "type": "seen-with", "count": 1, "weight": 1.0,
              "first_seen": None, "last_seen": None, "evidence": []}]
    out = io.StringIO()
    write_anx(NetworkView(nodes, edges), out)
    return out.getvalue().encode("utf-8")


def seeds(target: str) -> list[bytes]:
    """A small seed corpus for ``target``, from the bundled samples and generated files."""
    samples = _samples()
    if target == "csv":
        nominals = (samples / "nominals.csv").read_bytes()
        text = nominals.decode("utf-8")
        return [
            nominals, (samples / "crimes.csv").read_bytes(), (samples / "associations.csv").read_bytes(),
            b"\xef\xbb\xbf" + nominals,
            text.replace(",", ";").encode("utf-8"),
            text.replace(",", "\t").encode("cp1252", "replace"),
            b'ID|NAME|DOB\r\n1|"Lee, Ann"|01/02/2003\r\n2|"multi\nline"|x\r\n3|a|b|c\r\n\r\n4\x00|z|\r\n',
        ]
    if target == "jsonl":
        return [
            (samples / "intelligence.jsonl").read_bytes(),
            b'{"ID": "1", "NAME": "Ann Lee", "DOB": 1.5, "X": [1, {"a": null}]}\n{oops\n[1]\n\n',
        ]
    if target == "xlsx":
        header: list[object] = ["NOMINAL_ID", "NAME", "DOB", "MOBILE", "POSTCODE"]
        return [
            _xlsx_bytes([header, ["NA-1", "KHAN, Mohammed", "03/04/1988", "07700 900101", "LS1 4AP"],
                         [None] * 5, [2, "Bo Day", None, 7700900112, "=HYPERLINK(\"x\")", "extra"]]),
            _xlsx_bytes([["ID", "NAME"], [1, "Ann Lee"]], gap=2),
        ]
    if target == "profile":
        root = ROOT / "src" / "lantern" / "profiles"
        shipped = sorted(root.rglob("*.yaml"))
        return [p.read_bytes() for p in shipped[:12]] + [
            b"name: x\nnamespace: n\ndates: 5\nentities: {p: {schema: Person, id: ID}}\n",
            b"name: &a x\nnamespace: n\n<<: {description: d}\nentities:\n  p: {schema: Person, id: *a}\n",
        ]
    if target == "xml":
        return [
            _anx_bytes(),
            b'<?xml version="1.0"?><a x="1"><b>t&amp;</b><![CDATA[<c>]]><!-- c --></a>',
            b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
        ]
    if target in ("cdr-qnet", "cdr-vireo"):
        return _cdr_bytes(target.split("-")[1])
    raise SystemExit(f"unknown target {target!r}; the targets are {', '.join(TARGETS)}")


# ---- targets --------------------------------------------------------------------------------


def make_target(target: str, work: Path) -> Callable[[bytes], None]:
    """The function libFuzzer calls with each input; it returns or raises only a real crash."""
    from lantern.errors import LanternError

    if target in ("csv", "xlsx", "jsonl"):
        from lantern.ingest.mapper import RowMapper
        from lantern.ingest.profile import load_profile
        from lantern.ingest.readers import open_table

        profiles = [load_profile(name) for name in
                    ("sample-nominals", "sample-crimes", "sample-intelligence")]
        path = work / f"input.{target}"

        def read_table(data: bytes) -> None:
            path.write_bytes(data)
            try:
                table = open_table(path, target)
                mapper = None
                for profile in profiles:  # the sample profile this header fits, if any
                    try:
                        mapper = RowMapper(profile, table)
                        break
                    except LanternError:
                        continue
                for row in table.rows:
                    if mapper is not None:
                        mapper.map(row)
            except LanternError:
                return

        return read_table

    if target == "profile":
        from lantern.ingest.profile import load_profile

        path = work / "input.yaml"

        def read_profile(data: bytes) -> None:
            path.write_bytes(data)
            try:
                load_profile(path)  # as `lantern ingest --profile FILE` reads it
            except LanternError as exc:
                # The parser's last guard turns an unforeseen shape into an error without a
                # line: clean for the user, but a check missing, so the fuzzer reports it.
                if "somewhere: a value has the wrong shape" in str(exc):
                    raise AssertionError(f"a shape no check foresaw: {exc}") from None
                return

        return read_profile

    if target == "xml":
        from lantern.security.xmlguard import parse_xml

        path = work / "input.anx"

        def read_xml(data: bytes) -> None:
            path.write_bytes(data)
            try:
                parse_xml(path)
            except LanternError:
                return

        return read_xml

    if target in ("cdr-qnet", "cdr-vireo"):
        import duckdb

        from lantern.comms.bulk import QNET, VIREO, load_cdr

        layout = QNET if target == "cdr-qnet" else VIREO
        path = work / "input.cdr"

        def read_cdr(data: bytes) -> None:
            path.write_bytes(data)
            db = duckdb.connect(config={"threads": 1, "memory_limit": "256MB"})
            try:
                load_cdr(db, path, layout)
            except LanternError:
                return
            finally:
                db.close()

        return read_cdr

    raise SystemExit(f"unknown target {target!r}; the targets are {', '.join(TARGETS)}")


# ---- worker: one target in this process -----------------------------------------------------


def _limit_memory(mb: int) -> None:
    limit = mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker(args: argparse.Namespace) -> None:
    import atheris

    target = args.worker
    with atheris.instrument_imports(include=["lantern", *INSTRUMENT.get(target, ())]):
        import lantern.comms.bulk  # noqa: F401 - imported here to be instrumented
        import lantern.export.anx  # noqa: F401
        import lantern.ingest.mapper  # noqa: F401
        import lantern.ingest.profile  # noqa: F401
        import lantern.ingest.readers  # noqa: F401
        import lantern.model.types  # noqa: F401
        import lantern.security.xmlguard  # noqa: F401
        for extra in INSTRUMENT.get(target, ()):
            __import__(extra)
    out = Path(args.out)
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for n, seed in enumerate(seeds(target)):
        (corpus / f"seed-{n:02d}").write_bytes(seed)
    work = Path(tempfile.mkdtemp(prefix=f"lantern-atheris-{target}-"))
    test_one = make_target(target, work)
    _limit_memory(args.memory_mb)  # after the imports and seeds: the limit is on fuzzing
    libfuzzer = [
        sys.argv[0],
        f"-max_total_time={args.seconds}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.memory_mb}",
        f"-max_len={MAX_LEN.get(target, 16 * 1024)}",
        f"-artifact_prefix={out}/",
        "-print_final_stats=1",
        str(corpus),
    ]
    if args.runs is not None:
        libfuzzer.insert(1, f"-runs={args.runs}")
    atheris.Setup(libfuzzer, test_one)
    atheris.Fuzz()


def replay(target: str, files: list[str]) -> int:
    """Run saved inputs through a target once, uninstrumented: for a crash's traceback."""
    work = Path(tempfile.mkdtemp(prefix=f"lantern-replay-{target}-"))
    test_one = make_target(target, work)
    for name in files:
        print(f"{name}: ", end="", flush=True)
        test_one(Path(name).read_bytes())
        print("ok (read or refused with a LanternError)")
    return 0


# ---- driver: each target in its own process ------------------------------------------------


def run_target(target: str, args: argparse.Namespace) -> dict[str, object]:
    out = Path(args.out) / target
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", target,
               "--seconds", str(args.seconds), "--timeout", str(args.timeout),
               "--memory-mb", str(args.memory_mb), "--out", str(out)]
    if args.runs is not None:
        command += ["--runs", str(args.runs)]
    started = time.monotonic()
    # Grace beyond the fuzzing time: start-up, seeding, and a last input up to its timeout.
    deadline = args.seconds + args.timeout + 120
    log = out / "libfuzzer.log"
    with log.open("w") as fh:
        try:
            rc = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
                                timeout=deadline, check=False).returncode
        except subprocess.TimeoutExpired:
            rc = -9
    wall = time.monotonic() - started
    text = log.read_text(errors="replace")
    stats = {k: int(v) for k, v in STAT.findall(text)}
    artifacts = sorted(p.name for p in out.iterdir()
                       if p.name.startswith(("crash-", "timeout-", "oom-", "leak-", "slow-unit-")))
    outcome = "ok" if rc == 0 else ("hung (driver timeout)" if rc == -9 else f"FAILED (rc {rc})")
    return {"target": target, "outcome": outcome, "wall_s": round(wall, 1), "log": str(log),
            "execs": stats.get("number_of_executed_units"),
            "execs_per_s": stats.get("average_exec_per_sec"),
            "peak_rss_mb": stats.get("peak_rss_mb"),
            "corpus": len(list((out / "corpus").glob("*"))) if (out / "corpus").exists() else 0,
            "artifacts": artifacts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--target", choices=TARGETS, help="fuzz one target")
    which.add_argument("--all", action="store_true", help="fuzz every target, one after another")
    which.add_argument("--worker", choices=TARGETS, help=argparse.SUPPRESS)
    which.add_argument("--replay", nargs="+", metavar=("TARGET", "FILE"),
                       help="run saved inputs (crash-*, timeout-*) through TARGET once")
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time per target")
    parser.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    parser.add_argument("--memory-mb", type=int, default=2048, help="RLIMIT_AS and rss limit")
    parser.add_argument("--runs", type=int, help="stop each target after this many inputs")
    parser.add_argument("--out", default=str(ROOT / "build" / "atheris"),
                        help="corpus, logs and crash inputs, per target (default build/atheris)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args, _ = parser.parse_known_args(argv)
    if args.worker:
        worker(args)
        return 0
    if args.replay:
        target, *files = args.replay
        if target not in TARGETS or not files:
            parser.error(f"--replay TARGET FILE...; the targets are {', '.join(TARGETS)}")
        return replay(target, files)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    results = []
    for target in TARGETS if args.all else (args.target,):
        print(f"{target}: fuzzing for {args.seconds} s ...", flush=True)
        result = run_target(target, args)
        results.append(result)
        print(f"{target}: {result['outcome']}, {result['execs']} executions, "
              f"{result['execs_per_s']}/s, peak RSS {result['peak_rss_mb']} MB, "
              f"corpus {result['corpus']}, {result['wall_s']} s"
              + (f"; saved: {', '.join(result['artifacts'])} (see {result['log']})"  # type: ignore[arg-type]
                 if result["artifacts"] else ""), flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if all(r["outcome"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The web workbench under load, and Chromium drawing a 2,000-person network.

Run: .venv/bin/python bench/web.py [--people 100000] [--workspace bench/out/web-100000]
     [--users 20] [--seconds 60] [--endpoints search,profile,expand] [--seed 1]
     [--render-nodes 2000] [--render-edges 4000] [--no-render]
     make bench-web [BENCH_WEB_ARGS="--people 2000 --seconds 10"]

Aims (issue 10): with 1M records, p95 under 300 ms for search, profile and network-expand
under 20 concurrent users for 60 s on loopback with no errors; Chromium draws a 2,000-node
network in under 3 s. About 10 records per person: --people 100000 gives ~1M records.
Issue 11: 50 users for 60 s (``make bench`` runs ``--users 50``) with no errors and nothing lost
from the audit log: the events written are counted against the requests made, and ``lantern
audit verify`` (by an auditor) checks the chain after the load. Figures for the one benchmark
table go through ``table.emit`` (bench/run.py).

* Workspace: the synthetic scenario (``lantern.synth.generate``, --forces, --people, --seed)
  taken through what ``lantern demo`` does: every export ingested through its shipped profile,
  people and objects resolved, the network built, free text extracted. Built once into
  --workspace and reused by later runs with the same --workspace (its ``built.json`` records
  the scale and each stage's time).
* Server: ``lantern serve`` in its own process on 127.0.0.1 (a free port), one worker, as an
  analyst would run it; a user with a password (for the browser) and a token (for the API).
  Its peak memory is the kernel's VmHWM of that process.
* Load: --users threads, each with its own HTTP connection, for --seconds; each request picks
  an endpoint of --endpoints at random (seeded) with values from the data: people of the
  network (sampled), their names as the profile API shows them (full name or surname) for
  search. Each request is checked (200) and timed from send to last byte. Every call is
  audited by the server, as in real use; the audit events written are counted.
* One user: before the load, --serial requests to each endpoint one at a time: the work of
  one request without queueing behind 19 others.
* Baseline, in the same run: the same users making the same number of requests to
  ``GET /api/cases`` (login by token, one audited transaction, a few rows): the framework,
  authentication and audit cost that every endpoint pays before its own query.
* Render: the real network page (``/cases/default/network``, as the user opens it: time to
  the chart drawn is printed too), then in that page's Cytoscape (``window.lanternNetwork``)
  a synthetic graph of --render-nodes people in planted groups of 3 to 12 with --render-edges
  ties, laid out with the page's own fcose options; timed from adding the elements to the
  ``layoutstop`` event plus two animation frames (painted). Also fcose with ``quality:
  "draft"`` (its spectral stage only, no force-directed refinement). Baseline: the same graph
  with the ``grid`` layout (no force layout). Median of --render-runs runs each.

Results: a markdown table on stdout and in bench/out/web.md, the same figures in
bench/out/web.json. Figures only: nothing is asserted (speed belongs here, not in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lantern.processes import children
from machine import describe  # bench/machine.py (the script's folder is on sys.path)
from table import HIGHER, Figure, emit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
LANTERN = str(Path(sys.executable).with_name("lantern"))
CHROMIUM = os.environ.get("LANTERN_CHROMIUM") or "/usr/bin/chromium"
AIM_P95_MS, AIM_RENDER_S = 300.0, 3.0
CASE = "default"
USER = "bench-analyst"
LEAD = "bench-lead"
AUDITOR = "bench-auditor"


# ---------------------------------------------------------------- the workspace


def build(folder: Path, people: int, forces: int, seed: int) -> dict[str, Any]:
    """The demo's pipeline at --people, timed per stage; skipped when ``built.json`` says the
    workspace already holds this scale."""
    marker = folder / "built.json"
    if marker.exists():
        built: dict[str, Any] = json.loads(marker.read_text())
        if (built["people"], built["forces"], built["seed"]) == (people, forces, seed):
            from lantern.store import Workspace

            kept = Workspace(f"sqlite:///{folder / 'lantern.db'}")
            kept.init()  # built before a later migration: brought up to date
            kept.dispose()
            print(f"workspace {folder}: reused ({built['records']:,} records, built in "
                  f"{sum(built['stages'].values()):.0f}s)")
            return built
        raise SystemExit(f"{folder} holds {built['people']:,} people / {built['forces']} forces / "
                         f"seed {built['seed']}: give another --workspace")
    from lantern.cli import ingest_paths
    from lantern.commands.extract import extract_case
    from lantern.demo import open_demo_workspace
    from lantern.graph.service import build_and_store
    from lantern.resolve.service import resolve_all_objects, resolve_people
    from lantern.security.policy import Permission
    from lantern.settings import Settings
    from lantern.store import queries
    from lantern.synth import generate, profile_of

    stages: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        stages[name] = time.perf_counter() - started
        print(f"  {name}: {stages[name]:.1f}s", flush=True)

    print(f"building the workspace in {folder}: {people:,} people, {forces} forces, seed {seed}")
    session = open_demo_workspace(folder, Settings(user=LEAD))
    with stage("generate"):
        summary = generate(folder / "scenario", forces=forces, people=people, seed=seed)
    with stage("ingest"):
        for entry in summary.files:
            _, errors = ingest_paths(session, [folder / "scenario" / entry["file"]],
                                     profile_of(folder / "scenario", entry), quiet=True)
            if errors:
                raise SystemExit(f"ingest failed: {errors}")
    with stage("resolve"), session.case_action(Permission.WRITE, "resolve", "COMBINE") as (conn, case, _):
        resolve_people(conn, case.id, LEAD)
        resolve_all_objects(conn, case.id, LEAD)
    with stage("network"), session.case_action(Permission.WRITE, "network", "COMBINE") as (conn, case, _):
        net = build_and_store(conn, case.id, LEAD)
    with stage("extract"):
        extract_case(session)
    with session.case_action(Permission.READ, "status", "CONSULT") as (conn, case, _):
        records = sum(queries.case_summary(conn, case.id).records_by_schema.values())
    built = {"people": people, "forces": forces, "seed": seed, "rows": summary.total_rows,
             "records": records, "network_people": net.people, "network_edges": net.edges,
             "stages": stages}
    marker.write_text(json.dumps(built, indent=2))
    return built


def cli(db: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([LANTERN, "--db", db, "--user", LEAD, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    if done.returncode:
        raise SystemExit(f"lantern {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def web_user(db: str, folder: Path) -> tuple[str, str]:
    """The bench analyst's password (kept beside the workspace: the CLI sets a password only
    when it adds a user) and a fresh token."""
    saved = folder / "bench-password"
    if not saved.exists():
        password = secrets.token_urlsafe(16)
        cli(db, "user", "add", USER, "--roles", "analyst", "--password-env", "BENCH_PW",
            env={"BENCH_PW": password})
        cli(db, "case", "grant", CASE, USER)
        saved.write_text(password)
        saved.chmod(0o600)
    token = cli(db, "user", "token", USER).strip().splitlines()[-1]
    return saved.read_text(), token


def audit_count(db: str) -> int:
    from sqlalchemy import create_engine, func, select

    from lantern.store import tables

    engine = create_engine(db)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(tables.audit_events))
    engine.dispose()
    return int(n or 0)


def network_people(db: str, count: int, seed: int) -> list[str]:
    """People of the latest network of the case, a seeded sample."""
    from sqlalchemy import create_engine, func, select

    from lantern.store import tables

    engine = create_engine(db)
    e, r = tables.network_edges, tables.network_runs
    with engine.connect() as conn:
        run = conn.scalar(select(func.max(r.c.id)))
        found = sorted(conn.scalars(select(e.c.entity_a).where(e.c.run_id == run).distinct()))
    engine.dispose()
    return random.Random(seed).sample(found, min(count, len(found)))


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(db: str, log: Path, workers: int = 1) -> Iterator[tuple[str, int]]:
    """`lantern serve` on loopback; yields its URL and process id, stops it afterwards."""
    import httpx

    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen([LANTERN, "--db", db, "serve", "--port", str(port), "--workers", str(workers)],
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: see {log}")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_mib(pid: int) -> float:
    """The high-water resident memory (VmHWM) so far of the server: with --workers, the sum over
    its worker processes and itself."""
    total = 0.0
    for one in [pid, *children(pid)]:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total or float("nan")


# ---------------------------------------------------------------- the load


@dataclass
class Subjects:
    """Values from the data that requests are made with."""

    people: list[str]
    names: list[str]


# Each endpoint: a name and how to make one request's path from the data. Add one here.
Request = Callable[[Subjects, random.Random], str]
ENDPOINTS: dict[str, Request] = {
    "search": lambda s, rng: f"/api/cases/{CASE}/search?q={rng.choice(s.names)}",
    "profile": lambda s, rng: f"/api/cases/{CASE}/people/{rng.choice(s.people)}",
    "expand": lambda s, rng: f"/api/cases/{CASE}/network/ego/{rng.choice(s.people)}?depth=1",
    "status": lambda s, rng: f"/api/cases/{CASE}/status",
    "risk": lambda s, rng: f"/api/cases/{CASE}/children-at-risk",
    "overview": lambda s, rng: f"/api/cases/{CASE}/network/overview",
    "timeline": lambda s, rng: f"/api/cases/{CASE}/timeline?subject={rng.choice(s.people)}",
    "baseline": lambda s, rng: "/api/cases",
}


def subjects_of(url: str, token: str, people: list[str]) -> Subjects:
    """The sampled people and the names their profiles show (victims and children are shown by
    pseudonyms, which search does not find: left out). Untimed: it also warms the server."""
    import httpx

    names: list[str] = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for entity in people:
            profile = client.get(f"/api/cases/{CASE}/people/{entity}").raise_for_status().json()
            if not profile["pseudonymised"] and profile["label"].strip():
                label = profile["label"].strip()
                names.append(label if len(names) % 2 else label.split()[-1])  # full name or surname
    if not names:
        raise SystemExit("no named person among the sampled people: a larger --people?")
    return Subjects(people, names)


@dataclass
class Sample:
    endpoint: str
    seconds: float
    status: int  # 0: no answer (a transport error)
    error: str = ""


def hammer(url: str, token: str, subjects: Subjects, endpoints: list[str], users: int,
           seconds: float, seed: int, max_requests: int | None = None) -> tuple[list[Sample], float]:
    """``users`` threads making requests until ``seconds`` pass (or ``max_requests`` are made);
    every sample and the wall time taken."""
    import httpx

    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    made = iter(range(max_requests)) if max_requests else None

    def one_user(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        mine: list[Sample] = []
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            while time.monotonic() < deadline and (made is None or next(made, None) is not None):
                name = rng.choice(endpoints)
                path = ENDPOINTS[name](subjects, rng)
                started = time.perf_counter()
                try:
                    response = client.get(path)
                    response.read()
                    status, error = response.status_code, "" if response.status_code == 200 \
                        else f"{path}: {response.status_code} {response.text[:200]}"
                except httpx.HTTPError as exc:
                    status, error = 0, f"{path}: {exc!r}"
                mine.append(Sample(name, time.perf_counter() - started, status, error))
        with lock:
            samples.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=one_user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, time.perf_counter() - started


def latency(samples: list[Sample], wall: float) -> dict[str, Any]:
    ms = sorted(s.seconds * 1000 for s in samples)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    errors = [s.error for s in samples if s.status != 200]
    return {"requests": len(ms), "per_s": len(ms) / wall, "p50_ms": cuts[49], "p95_ms": cuts[94],
            "max_ms": ms[-1], "errors": len(errors), "error_examples": errors[:3]}


def by_endpoint(samples: list[Sample], wall: float) -> dict[str, dict[str, Any]]:
    names = sorted({s.endpoint for s in samples})
    return {n: latency([s for s in samples if s.endpoint == n], wall) for n in names}


# ---------------------------------------------------------------- the render

# Runs in the network page: replace the chart with the synthetic graph and time its layout.
RENDER_JS = """
async ([nodes, edges, layoutName]) => {
  const cy = window.lanternNetwork;
  cy.elements().remove();
  const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const started = performance.now();
  cy.add(nodes.concat(edges));
  // As static/network.js lays out a chart of more than 300 people: draft quality, no label spacing.
  const page = { name: "fcose", animate: false, randomize: true, padding: 30, quality: "draft",
                 nodeDimensionsIncludeLabels: false };
  // What the page did before (proof quality, spacing by labels): minutes at 2,000 people.
  const proof = { ...page, quality: "default", nodeDimensionsIncludeLabels: true };
  const options = { fcose: page, proof, grid: { name: "grid", padding: 30 } }[layoutName];
  const stopped = new Promise((resolve) => cy.one("layoutstop", resolve));
  cy.layout(options).run();
  await stopped;
  cy.fit(undefined, 30);
  await frame(); await frame();
  return (performance.now() - started) / 1000;
}
"""


def planted_graph(nodes: int, edges: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """People in groups of 3 to 12 (a chain through each group, some pairs inside it), then
    random ties between any two people up to ``edges``: Cytoscape elements with the data
    fields the network page's style reads."""
    rng = random.Random(seed)
    group_of: list[str] = []
    pairs: set[tuple[int, int]] = set()
    while len(group_of) < nodes:
        first = len(group_of)
        members = range(first, min(first + rng.randint(3, 12), nodes))
        group_of += [f"G{first}"] * len(members)
        pairs.update((a, a + 1) for a in members[:-1])
        pairs.update((a, b) for a in members for b in members if a + 1 < b and rng.random() < 0.15)
    while len(pairs) < edges:
        a, b = sorted(rng.sample(range(nodes), 2))
        pairs.add((a, b))
    people = [{"group": "nodes", "data": {"id": f"P{i}", "label": f"Person {i}", "group": group, "role": "",
                                          "rank": 0, "victim": False, "child": False, "records": 1,
                                          "colour": "#1565c0"}} for i, group in enumerate(group_of)]
    ties = [{"group": "edges", "data": {"id": f"E{a}-{b}", "source": f"P{a}", "target": f"P{b}",
                                        "type": "called", "count": rng.randint(1, 20)}} for a, b in sorted(pairs)]
    return people, ties


def render(url: str, password: str, nodes: int, edges: int, runs: int, seed: int,
           proof: bool) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    people, ties = planted_graph(nodes, edges, seed)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)
        page.goto(f"{url}/login")
        page.get_by_label("User name").fill(USER)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{url}/cases")
        started = time.perf_counter()
        page.goto(f"{url}/cases/{CASE}/network")
        page.wait_for_selector("#network-app[data-nodes]", state="attached")
        page_ready = time.perf_counter() - started
        shown = int(page.get_attribute("#network-app", "data-nodes") or 0)
        times = {name: [page.evaluate(RENDER_JS, [people, ties, name]) for _ in range(runs)]
                 for name in ("fcose", "grid")}
        times["proof"] = [page.evaluate(RENDER_JS, [people, ties, "proof"])] if proof else [float("nan")]
        browser.close()
    return {"nodes": len(people), "edges": len(ties), "runs": runs, "page_ready_s": page_ready,
            "page_nodes": shown, "fcose_s": statistics.median(times["fcose"]),
            "proof_s": statistics.median(times["proof"]), "grid_s": statistics.median(times["grid"]),
            "all_s": times}


# ---------------------------------------------------------------- the report


def machine() -> str:
    return describe()


@dataclass
class Report:
    machine: str
    args: dict[str, Any]
    workspace: dict[str, Any]
    load: dict[str, dict[str, Any]] = field(default_factory=dict)
    one_user: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_total: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    server_peak_rss_mib: float = 0.0
    audit_events_written: int = 0
    audit_verified: str = ""
    render: dict[str, Any] = field(default_factory=dict)


def markdown(r: Report) -> str:
    w, a = r.workspace, r.args
    lines = [f"Web workbench: {w['records']:,} records ({w['people']:,} people, {w['forces']} forces, "
             f"seed {w['seed']}; network {w['network_people']:,} people / {w['network_edges']:,} ties); "
             f"{a['users']} users for {a['seconds']:g} s on loopback; {r.machine}", "",
             f"| endpoint | requests | req/s | p50 ms | p95 ms | max ms | errors | p95 / baseline p95 | "
             f"one user p50 ms | p95 under {AIM_P95_MS:.0f} ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |"]
    base = r.baseline

    def row(name: str, f: dict[str, Any], aim: bool = True) -> str:
        ratio = f"{f['p95_ms'] / base['p95_ms']:.1f}x" if base and name != "baseline" else "-"
        ok = ("yes" if f["p95_ms"] < AIM_P95_MS and not f["errors"] else "no") if aim else "-"
        alone = r.one_user.get(name.split(":")[0])
        serial = f"{alone['p50_ms']:.0f}" if alone else "-"
        return (f"| {name} | {f['requests']:,} | {f['per_s']:.1f} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | "
                f"{f['max_ms']:.0f} | {f['errors']} | {ratio} | {serial} | {ok} |")

    lines += [row(name, f) for name, f in r.load.items()]
    if r.load_total:
        lines.append(row("all of the mix", r.load_total, aim=False))
    if base:
        lines.append(row("baseline: GET /api/cases", base, aim=False))
    lines += ["", f"Server peak RSS {r.server_peak_rss_mib:,.0f} MiB; audit events written "
              f"{r.audit_events_written:,} for {r.load_total.get('requests', 0) + base.get('requests', 0):,} "
              f"requests; audit verify: {r.audit_verified}."]
    if r.render:
        x = r.render
        lines += ["", f"| render ({x['nodes']:,} nodes / {x['edges']:,} edges, median of {x['runs']}) | seconds | "
                  f"under {AIM_RENDER_S:g} s |", "| --- | ---: | :---: |",
                  f"| fcose as the network page lays out a large chart (draft) | {x['fcose_s']:.2f} | "
                  f"{'yes' if x['fcose_s'] < AIM_RENDER_S else 'no'} |",
                  f"| fcose at proof quality with label spacing (the page before) | {x['proof_s']:.2f} | "
                  f"{'yes' if x['proof_s'] < AIM_RENDER_S else 'no'} |",
                  f"| baseline: grid layout | {x['grid_s']:.2f} | - |",
                  f"| the network page opened (overview, {x['page_nodes']} people) | {x['page_ready_s']:.2f} | - |"]
    return "\n".join(lines)


def verify_audit(db: str) -> str:
    """``lantern audit verify`` after the load, by an auditor: the chain of every event written."""
    if AUDITOR not in cli(db, "user", "list"):
        cli(db, "user", "add", AUDITOR, "--roles", "auditor")
    token = cli(db, "user", "token", AUDITOR).strip().splitlines()[-1]
    done = subprocess.run([LANTERN, "--db", db, "--user", AUDITOR, "audit", "verify"], capture_output=True,
                          text=True, check=False, env={**os.environ, "LANTERN_TOKEN": token})
    return "ok" if done.returncode == 0 else f"FAILED: {(done.stdout + done.stderr).strip()[-300:]}"


def figures(r: Report) -> list[Figure]:
    """The table's rows: each endpoint's latency beside the framework-only baseline, throughput,
    errors, and whether the audit holds exactly one event a request."""
    users, records = r.args["users"], r.workspace["records"]
    workers = int(r.args.get("workers", 1))
    on = f", {workers} server processes" if workers > 1 else ""
    base, alone_base = r.baseline, r.one_user.get("baseline", {})
    rows: list[Figure] = []
    for name, f in r.load.items():
        rows.append(Figure(f"web {name}: p95 under {users} users ({records:,} records{on})", f["p95_ms"], "ms",
                           "GET /api/cases (login + audit only), same users", base.get("p95_ms"),
                           note=f"p50 {f['p50_ms']:.0f} ms, {f['requests']:,} requests, {f['errors']} errors"))
        alone = r.one_user.get(name)
        if alone:
            rows.append(Figure(f"web {name}: p50, one user", alone["p50_ms"], "ms", "GET /api/cases, one user",
                               alone_base.get("p50_ms")))
    total = r.load_total
    requests = total.get("requests", 0) + base.get("requests", 0)
    rows += [
        Figure(f"web: throughput of the mix, {users} users for {r.args['seconds']:g} s{on}", total["per_s"],
               "requests/s", "GET /api/cases, same users", base.get("per_s"), better=HIGHER,
               peak_mib=r.server_peak_rss_mib, note="peak is the server's (its processes together)"),
        Figure(f"web: errors under {users} users", total["errors"] + base.get("errors", 0), "errors",
               note=f"of {requests:,} requests (must be 0)"),
        Figure("web: audit events written per request", r.audit_events_written / max(requests, 1), "events",
               note=f"{r.audit_events_written:,} events for {requests:,} requests; "
                    f"audit verify: {r.audit_verified}",
               extra={"events": r.audit_events_written, "requests": requests}),
    ]
    if r.render:
        x = r.render
        rows.append(Figure(f"web: Chromium lays out {x['nodes']:,} people / {x['edges']:,} ties (fcose draft)",
                           x["fcose_s"], "s", "grid layout, same graph", x["grid_s"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--forces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workspace", type=Path, default=None, help="built once, reused (default "
                        "bench/out/web-PEOPLE)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server processes (lantern serve --workers)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--endpoints", default="search,profile,expand",
                        help=f"comma-separated, of: {', '.join(n for n in ENDPOINTS if n != 'baseline')}")
    parser.add_argument("--sample", type=int, default=50,
                        help="people of the network to ask about (their profiles are read once first)")
    parser.add_argument("--serial", type=int, default=10, help="one-user requests to each endpoint")
    parser.add_argument("--render-nodes", type=int, default=2000)
    parser.add_argument("--render-edges", type=int, default=4000)
    parser.add_argument("--render-runs", type=int, default=3)
    parser.add_argument("--no-render", action="store_true")
    parser.add_argument("--proof", action="store_true",
                        help="also time fcose at proof quality (minutes at 2,000 people)")
    parser.add_argument("--out", type=Path, default=OUT, help="where web.md and web.json go")
    args = parser.parse_args()
    # A `kill` still stops the server: the `with server(...)` block's cleanup runs on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    endpoints = args.endpoints.split(",")
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    folder = (args.workspace or OUT / f"web-{args.people}").resolve()
    folder.mkdir(parents=True, exist_ok=True)

    report = Report(machine(), {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                    build(folder, args.people, args.forces, args.seed))
    print(report.machine, flush=True)
    db = f"sqlite:///{folder / 'lantern.db'}"
    password, token = web_user(db, folder)
    with server(db, folder / "serve.log", args.workers) as (url, pid):
        subjects = subjects_of(url, token, network_people(db, args.sample, args.seed))
        print(f"server {url} (pid {pid}); {len(subjects.people)} people and {len(subjects.names)} names "
              f"to ask about; {args.users} users for {args.seconds:g}s: {', '.join(endpoints)}", flush=True)
        for name in [*endpoints, "baseline"]:
            alone, alone_wall = hammer(url, token, subjects, [name], 1, args.seconds, args.seed, args.serial)
            report.one_user[name] = latency(alone, alone_wall)
        print("  one user, p50: " + ", ".join(f"{n} {f['p50_ms']:.0f} ms" for n, f in report.one_user.items()),
              flush=True)
        audit_before = audit_count(db)
        samples, wall = hammer(url, token, subjects, endpoints, args.users, args.seconds, args.seed)
        report.load, report.load_total = by_endpoint(samples, wall), latency(samples, wall)
        print(f"  the mix: {len(samples):,} requests in {wall:.1f}s", flush=True)
        base, base_wall = hammer(url, token, subjects, ["baseline"], args.users, args.seconds, args.seed,
                                 max_requests=len(samples))
        report.baseline = latency(base, base_wall)
        print(f"  baseline: {len(base):,} requests in {base_wall:.1f}s", flush=True)
        report.audit_events_written = audit_count(db) - audit_before
        if not args.no_render:
            report.render = render(url, password, args.render_nodes, args.render_edges, args.render_runs,
                                   args.seed, args.proof)
        report.server_peak_rss_mib = peak_rss_mib(pid)
    report.audit_verified = verify_audit(db)

    table = markdown(report)
    print("\n" + table)
    for name, f in {**report.load, "baseline": report.baseline}.items():
        for example in f["error_examples"]:
            print(f"  error ({name}): {example}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "web.md").write_text(table + "\n")
    (args.out / "web.json").write_text(json.dumps(asdict(report), indent=2))
    print(f"\nwritten: {args.out / 'web.md'}, {args.out / 'web.json'}")
    emit("web", figures(report), scale={"people": args.people, "forces": args.forces,
                                        "records": report.workspace["records"], "users": args.users, "workers": args.workers,
                                        "seconds": args.seconds, "endpoints": args.endpoints},
         libraries=("fastapi", "uvicorn", "sqlalchemy"))


if __name__ == "__main__":
    main()

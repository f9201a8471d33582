"""`lantern demo`: the main job on a synthetic scenario, from a fresh clone, nothing to start.

Generates a small 3-force scenario into ``DIR/scenario/``, ingests every export through its
shipped profile into ``DIR/lantern.db`` as the person running it, and prints what Lantern
found so far. Later stages join here as they land.
"""

from __future__ import annotations

import csv
import getpass
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path

from sqlalchemy import select

from lantern.graph.chart import draw
from lantern.graph.service import NetworkSummary, build_and_store
from lantern.graph.view import network_view
from lantern.output import console, render_status, table_of
from lantern.resolve.service import audited_runs, resolve_all_objects, resolve_people
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser, victim_record_ids
from lantern.security.session import Session
from lantern.security.setup import set_up
from lantern.settings import Settings
from lantern.store import queries, tables

DEMO_FORCES, DEMO_PEOPLE, DEMO_SEED = 3, 5000, 1

# Bundled sample exports with the shipped profile that maps each (examples and test fixtures).
SAMPLES = (
    ("nominals.csv", "sample-nominals"),
    ("crimes.csv", "sample-crimes"),
    ("intelligence.jsonl", "sample-intelligence"),
)


def sample_path(name: str) -> Path:
    return Path(str(resources.files("lantern").joinpath("samples", name)))


def open_demo_workspace(out: Path, settings: Settings) -> Session:
    """A workspace in ``out`` whose first user is whoever runs the demo."""
    out.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, db=f"sqlite:///{out / 'lantern.db'}", key_dir=None, data_dir=None, token=None,
                       password=None, user=settings.user or getpass.getuser())
    set_up(settings)
    return Session.open(settings)


def run_demo(out: Path, settings: Settings, briefing: bool = True) -> None:
    from lantern.cli import ingest_paths, stage_progress
    from lantern.commands.network import print_groups
    from lantern.synth import generate, profile_of

    started = time.perf_counter()
    session = open_demo_workspace(out, settings)
    console.print(f"[bold]Lantern demo[/]: workspace {out / 'lantern.db'}, acting as {session.actor.username}")
    scenario = out / "scenario"
    with stage_progress() as report:
        summary = generate(scenario, forces=DEMO_FORCES, people=DEMO_PEOPLE, seed=DEMO_SEED, progress=report)
    console.print(f"1. Generated a synthetic scenario: {DEMO_PEOPLE:,} people, {DEMO_FORCES} forces, "
                  f"{len(summary.files)} exports, {summary.total_rows:,} rows ({summary.seconds:.1f}s)")
    rows = quarantined_rows = already = 0
    failures: list[str] = []
    for entry in summary.files:
        results, errors = ingest_paths(session, [scenario / entry["file"]], profile_of(scenario, entry),
                                       quiet=True)
        rows += sum(r.rows_loaded for r in results)
        quarantined_rows += sum(r.rows_quarantined for r in results)
        already += sum(r.duplicate for r in results)
        failures += errors
    console.print(f"2. Ingested {len(summary.files)} exports through their shipped mapping profiles: "
                  f"{rows:,} rows loaded, {quarantined_rows:,} quarantined"
                  + (f" ({already} already loaded earlier)" if already else "")
                  + (f", [red]{len(failures)} files failed[/]" if failures else ""))
    with session.case_action(Permission.READ, "status", "CONSULT") as (conn, case, note):
        found = queries.case_summary(conn, case.id)
        note.detail = {"rendered_sha256": found.digest()}
    with console.status("Resolving who is who..."), session.case_action(
            Permission.WRITE, "resolve", "COMBINE") as (conn, case, note):
        resolved = resolve_people(conn, case.id, session.actor.username)
        by_key = resolve_all_objects(conn, case.id, session.actor.username)
        note.objects = audited_runs(resolved, by_key)
        note.detail = {"records": resolved.records, "entities": resolved.entities, "held": resolved.held}
    console.print(f"3. Resolved {resolved.records:,} person records to {resolved.entities:,} people "
                  f"({resolved.held} joins held for review: `lantern review-queue`) in {resolved.seconds:.1f}s;"
                  " by their keys, " + ", ".join(f"{o.records:,} {o.schema} records to {o.entities:,}"
                                                 for o in by_key))
    with console.status("Building the network..."), session.case_action(
            Permission.WRITE, "network", "COMBINE") as (conn, case, note):
        net = build_and_store(conn, case.id, session.actor.username)
        note.objects = [f"network:{net.run_id}"]
        note.detail = {"people": net.people, "edges": net.edges, "groups": net.groups}
    organised = sum(g.organised_network for g in net.groups_found.values())
    console.print(f"4. Network: {net.people:,} connected people, {net.edges:,} typed ties; {net.groups} groups found, "
                  f"{organised} meeting the organised-network definition (`lantern network`, `lantern players`, "
                  "`lantern group G001`; `lantern export -f groups-csv` writes them)")
    print_groups(net, 5)
    charts = _group_charts(session, net, out / "charts")
    console.print(f"   Charts of the {len(charts)} organised networks with the most central key players "
                  "(victims pseudonymised): "
                  + ", ".join(str(c) for c in charts))
    _extract_text(session)
    _children_at_risk(session)
    _comms_summary(session)
    if briefing:  # test fixtures that never read the pack skip its ~15 s of PDF layout
        _briefing(session, out / "briefing")
    console.print("7. What Lantern holds now:")
    render_status(found, session.workspace.display_url, case.name)
    planted = _planted_corruptions(scenario)
    quarantined = found.quarantine.get("row rejected", 0)
    console.print(f"The scenario planted {planted} corrupted rows; Lantern quarantined {quarantined} "
                  "rows with file, row, field and reason (`lantern --db "
                  f"{out / 'lantern.db'} quarantine`).")
    console.print(f"Ground truth for checking results: {scenario / 'truth'}. "
                  f"Demo finished in {time.perf_counter() - started:.0f}s.")
    db = out / "lantern.db"
    console.print(f"Next: [bold].venv/bin/lantern --db {db} review-queue[/], then `explain A B` and "
                  "`judge A B same|different --reason ...`; `status`, `quarantine`, "
                  "`export -f clusters-csv -o FILE --recipient ...`")
    lantern = f".venv/bin/lantern --db {db}"
    console.print("The web workbench on the demo data (search, profiles, the network and its chronology, "
                  "children at risk, resolution review, case review, uploads, exports; docs/web.md): "
                  "give yourself a web login with a password, then serve it on this machine:\n"
                  f"  read -s PW && export PW && {lantern} user add web-lead --roles supervisor --password-env PW\n"
                  f"  {lantern} case grant default web-lead && {lantern} serve   # then open http://127.0.0.1:8765",
                  highlight=False, soft_wrap=True)


def _extract_text(session: Session) -> None:
    """Mentions, indicators and language of concern from every free-text field."""
    from lantern.commands.extract import extract_case

    with console.status("Reading free text..."):
        summary = extract_case(session)
    found = ", ".join(f"{n:,} {kind}" for kind, n in sorted(summary.by_kind.items(), key=lambda x: -x[1])
                      if kind not in ("indicator", "concern"))
    console.print(f"5. Free text: {summary.texts:,} values read (`lantern extract`): {found}; "
                  f"{sum(summary.indicators.values()):,} exploitation indicators ({summary.negated:,} negated, "
                  f"not counted); {len(summary.concerns):,} victim-blaming phrases flagged for review, "
                  "never scored (docs/text.md)")


def _children_at_risk(session: Session, top: int = 10) -> None:
    """The children the risk score ranks highest, pseudonymised, with their kinds of reason."""
    from lantern.commands.risk import labeller, print_summary
    from lantern.risk import assess

    with session.case_action(Permission.READ, "risk", "CONSULT") as (conn, case, note):
        assessment = assess(conn, case.id)
        label, _ = labeller(assessment, Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key))
        note.objects = [c.entity for c in assessment.top(top)]
        note.detail = {"children": len(assessment.ranked) + len(assessment.quiet), "weights": assessment.weights}
    console.print(f"   Children at risk: {len(assessment.ranked):,} children with at least one reason, of "
                  f"{len(assessment.ranked) + len(assessment.quiet):,} in the records (`lantern risk`, "
                  "`lantern risk --csv FILE`; docs/risk-model-card.md). The top ones, pseudonymised; "
                  "`lantern risk` shows every reason with its records:")
    print_summary(assessment, label, top, title=f"Top {top} children at risk")


def _comms_summary(session: Session) -> None:
    """Calls, likely device switches, and the numbers most in contact with victims' numbers."""
    from lantern.comms.frame import load_frame
    from lantern.comms.labels import NumberLabels
    from lantern.comms.phones import common_contacts
    from lantern.comms.switches import likely_switches

    with session.case_action(Permission.READ, "calls summary", "CONSULT") as (conn, case, note):
        frame = load_frame(conn, case.id)
        calls, records = frame.rows("SELECT count(*), sum(len(records)) FROM calls")[0]
        found = likely_switches(frame)
        victims = victim_record_ids(conn, case.id)
        s = tables.statements
        numbers = sorted({v for (v,) in conn.execute(select(s.c.value).where(
            s.c.prop == "phone", s.c.record_id.in_(list(victims))))})
        common = common_contacts(frame, numbers, 2, 5) if len(numbers) > 1 else []
        label = NumberLabels(conn, case.id, session.keys.pseudonym_key, [c.number for c in common])
        note.objects = [f"phone:{c.number}" for c in common]
    console.print(f"6. Communications: {calls:,} calls and messages from {records:,} records (one row per call "
                  f"across providers' CDRs and seized phones); {len(found)} likely handset or SIM changes "
                  "(`lantern calls switches`). Numbers in contact with the most recorded victims' numbers "
                  "(`lantern calls common`):")
    console.print(table_of("Common contacts of victims' numbers", ("number", "person", "victims' numbers", "contacts"),
                           ((c.number, label(c.number), str(len(c.shared_by)), str(c.contacts)) for c in common)))


def _briefing(session: Session, folder: Path) -> None:
    """The briefing pack for the case team, audited like every product that leaves the tool."""
    from lantern.commands.report import write_briefing

    with console.status("Writing the briefing pack..."):
        written = write_briefing(session, folder, "case team")
    console.print(f"   Briefing pack (HTML and PDF, marked OFFICIAL-SENSITIVE, victims pseudonymised; "
                  f"`lantern report -o DIR --recipient ...`): {written.html}, {written.pdf}",
                  markup=False, highlight=False)


def _group_charts(session: Session, net: NetworkSummary, folder: Path, count: int = 3) -> list[Path]:
    """PNG charts of the organised networks whose best-ranked member ranks highest."""
    best: dict[str, int] = {}
    for member in net.members:
        if member.rank and net.groups_found[member.group_id].organised_network:
            best[member.group_id] = min(best.get(member.group_id, member.rank), member.rank)
    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    with session.case_action(Permission.EXPORT, "chart", "DISCLOSE") as (conn, case, note):
        view = network_view(conn, case.id, Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key))
        for group in sorted(best, key=lambda g: best[g])[:count]:
            keep = {n["id"] for n in view.nodes if n["group"] == group}
            drawn.append(draw(view, keep, f"Group {group}: {len(keep)} people", folder / f"group-{group}.png"))
        note.recipient = "case team"
        note.objects = [f"file:{p.name}" for p in drawn]
    return drawn


def _planted_corruptions(scenario: Path) -> int:
    path = scenario / "truth" / "corrupted_rows.csv"
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in csv.DictReader(fh))

"""The `lantern` command line: one command per pipeline stage, Rich output and progress.

Every command that touches case data opens a :class:`~lantern.security.session.Session`:
it authenticates the acting user, checks the case permission in the one policy module and
writes the audit event in the same transaction as the work, before any result is shown.
A user mistake (a missing file, a bad profile, no access) is a LanternError and prints as
one line on stderr with exit status 1, never a traceback.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from lantern import __version__, analytics
from lantern.commands import admin, auditing
from lantern.commands import backup as backup_commands
from lantern.commands import calls as calls_commands
from lantern.commands import extract as extract_commands
from lantern.commands import lookup as lookup_commands
from lantern.commands import network as network_commands
from lantern.commands import report as report_commands
from lantern.commands import resolve as resolve_commands
from lantern.commands import review as review_commands
from lantern.commands import risk as risk_commands
from lantern.commands import serve as serve_commands
from lantern.commands import similar as similar_commands
from lantern.commands import timeline as timeline_commands
from lantern.commands.context import check_reveal, session_of, settings_of
from lantern.commands.ingesting import ingest_file
from lantern.errors import LanternError
from lantern.export import products
from lantern.ingest.loader import IngestResult
from lantern.ingest.profile import load_profile, shipped_profiles
from lantern.output import console, err_console, render_quarantine, render_status, table_of
from lantern.security.policy import AccessDenied, Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session
from lantern.security.setup import set_up
from lantern.settings import SETTING_BY_NAME, Settings
from lantern.store import failures, queries


class LanternGroup(TyperGroup):
    """Turns LanternError, and storage that refuses a write, into a one-line message and exit status 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LanternError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except duckdb.OutOfMemoryException as exc:
            err_console.print(f"[bold red]error:[/] {analytics.out_of_memory(exc, ctx.invoked_subcommand or 'lantern')}",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except (OSError, DBAPIError, sqlite3.Error) as exc:  # sqlite3's own: the backup API
            why = failures.storage_failure(exc)
            if why is None:
                raise
            err_console.print(f"[bold red]error:[/] {failures.storage_message(ctx.invoked_subcommand or 'lantern', why)}",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=LanternGroup,
    help="Lantern: a workbench for investigating group-based exploitation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _setting_option(name: str) -> Any:
    setting = SETTING_BY_NAME[name]
    return typer.Option(f"--{name.replace('_', '-')}", envvar=setting.env, help=setting.help,
                        show_default=setting.default is not None and name not in ("token", "password"))


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str, _setting_option("db")] = "sqlite:///lantern.db",
    user: Annotated[str | None, _setting_option("user")] = None,
    case: Annotated[str, _setting_option("case")] = "default",
    token: Annotated[str | None, _setting_option("token")] = None,
    password: Annotated[str | None, _setting_option("password")] = None,
    purpose: Annotated[str, _setting_option("purpose")] = "investigation",
    key_dir: Annotated[str | None, _setting_option("key_dir")] = None,
    data_dir: Annotated[str | None, _setting_option("data_dir")] = None,
    memory: Annotated[str | None, _setting_option("memory")] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Lantern: load police exports, resolve who is who, find the groups and the children at risk."""
    if version:
        console.print(f"lantern {__version__}")
        raise typer.Exit()
    ctx.obj = Settings(db=db, user=user, case=case, token=token, password=password,
                       purpose=purpose, key_dir=key_dir, data_dir=data_dir, memory=memory)
    try:
        analytics.set_memory_limit(memory)
    except LanternError as exc:
        raise typer.BadParameter(str(exc), param_hint="--memory") from None


# ---- init / status --------------------------------------------------------------------------

@app.command()
def init(ctx: typer.Context) -> None:
    """Create a workspace (or upgrade an old one) at --db, with its keys and first user."""
    settings = settings_of(ctx)
    done = set_up(settings)
    workspace, created, first = done.workspace, done.created, done.first_user
    if not first:
        session = Session.open(settings)  # an upgrade is done by an identified user
        with session.action(None, "init", "ADMIN") as (_, note):
            note.detail = {"upgraded_to": workspace.head_revision()}
    console.print(f"{'Created' if created else 'Workspace is up to date:'} {workspace.display_url}")
    if first:
        console.print(f"First user [bold]{settings.acting_user}[/] (administrator, supervisor, analyst), "
                      f"mapped to the system account {getpass.getuser()!r}; keys in {done.keys.folder}")


@app.command()
def status(ctx: typer.Context) -> None:
    """Describe the case: sources, records by type, links, quarantine."""
    session = session_of(ctx)
    with session.case_action(Permission.READ, "status", "CONSULT") as (conn, case, note):
        summary = queries.case_summary(conn, case.id)
        note.objects = [f"source:{s.id}" for s in summary.sources]
        note.detail = {"rendered_sha256": summary.digest()}
    render_status(summary, session.workspace.display_url, case.name)


# ---- ingest ---------------------------------------------------------------------------------

@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
        TimeRemainingColumn(), console=err_console, transient=True,
    ) as progress:
        yield progress


def ingest_paths(session: Session, paths: list[Path], profile_ref: str,
                 quiet: bool = False) -> tuple[list[IngestResult], list[str]]:
    """Ingest each file in its own audited transaction; returns results and per-file errors."""
    profile = load_profile(profile_ref)
    results: list[IngestResult] = []
    errors: list[str] = []
    with _progress() as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)

            def report(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            try:
                result = ingest_file(session, path, profile, progress=report)
            except AccessDenied:
                raise
            except LanternError as exc:
                errors.append(str(exc))
                err_console.print(f"[bold red]error:[/] {exc} [dim](nothing loaded from this file)[/]",
                                  highlight=False, soft_wrap=True)
                continue
            finally:
                progress.remove_task(task)
            results.append(result)
            if not quiet:
                _print_result(result)
    return results, errors


def _print_result(result: IngestResult) -> None:
    name = Path(result.file).name
    if result.duplicate:
        console.print(f"[yellow]{name}[/]: already loaded as source #{result.source_id}; nothing to do")
        return
    line = (f"[green]{name}[/]: {result.rows_loaded:,} rows loaded "
            f"({result.records:,} records, {result.statements:,} values, {result.links:,} links)")
    if result.rows_quarantined or result.values_rejected:
        line += (f", [yellow]{result.rows_quarantined:,} rows quarantined, "
                 f"{result.values_rejected:,} values rejected[/]")
    console.print(line + f" in {result.seconds:.1f}s")


@app.command()
def ingest(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files to load: CSV, XLSX or JSON lines.")],
    profile: Annotated[str, typer.Option("--profile", "-p",
                                         help="Mapping profile: a YAML file, or the name of a shipped one.")],
) -> None:
    """Load source files into the case through a mapping profile; each loads whole or not at all."""
    _, errors = ingest_paths(session_of(ctx), files, profile)
    if errors:
        raise typer.Exit(1)


@app.command("profiles")
def list_profiles() -> None:
    """List the mapping profiles that ship with Lantern (no case data)."""
    rows = [(name, load_profile(path).description) for name, path in shipped_profiles().items()]
    console.print(table_of("Shipped mapping profiles", ("name", "description"), rows))


# ---- quarantine / export --------------------------------------------------------------------

@app.command()
def quarantine(
    ctx: typer.Context,
    source: Annotated[int | None, typer.Option(help="Only this source (its # in `status`).")] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many entries.")] = 50,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write every entry to this CSV file.")] = None,
) -> None:
    """Show rows and values that were not loaded, with file, row, field and reason."""
    from lantern.export.tabular import write_csv

    session = session_of(ctx)
    with session.case_action(Permission.READ, "quarantine", "CONSULT") as (conn, case, note):
        entries = list(queries.quarantine_rows(conn, case.id, source, None if csv_out else limit))
        note.objects = [f"quarantine:{e['id']}" for e in entries]
        note.detail = {"source": source, "to_file": bool(csv_out)}
    if csv_out is not None:
        n = write_csv(csv_out, entries, ["file_name", "row_number", "field", "action", "reason", "raw_value"])
        console.print(f"Wrote {n:,} quarantine entries to {csv_out}")
        return
    render_quarantine(entries)


EXPORT_FORMATS = tuple(products.formats())


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(EXPORT_FORMATS)}.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    recipient: Annotated[str, typer.Option(help="Who receives this product (recorded in the audit).")],
    reveal: Annotated[bool, typer.Option(help="Show victims' real identifiers (needs victim.identity).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why victims are revealed (required with --reveal).")] = None,
) -> None:
    """Export the case: jsonl (every statement and link with provenance) or clusters-csv.

    Victims are pseudonymised unless --reveal is given by a user with victim.identity.
    The file appears only once its DISCLOSE event is committed.
    """
    if fmt not in EXPORT_FORMATS:
        raise LanternError(f"unknown export format {fmt!r}; available: {', '.join(EXPORT_FORMATS)}")
    session = session_of(ctx)
    check_reveal(session, reveal, reason)
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise LanternError(f"cannot write {output}: no folder {folder}")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".lantern-export-")
    try:
        with session.case_action(Permission.EXPORT, "export", "DISCLOSE") as (conn, case, note):
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                pseudonymiser = None if reveal else Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key)
                n, digest = products.WRITERS[fmt](out, conn, case.id, pseudonymiser)
            note.recipient = recipient
            note.objects = [f"file:{output.name}"]
            note.detail = {"format": fmt, "items": n, "sha256": digest, "revealed": reveal, "reason": reason}
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    console.print(f"Wrote {n:,} {products.describe(fmt)} to {output} for {recipient}"
                  + ("" if reveal else " (victims pseudonymised)")
                  + f"; audit checkpoint {note.checkpoint.size}")


# ---- synth / demo ---------------------------------------------------------------------------

@contextmanager
def stage_progress() -> Iterator[Any]:
    """A progress callback ``(stage, done, total)`` drawn as one Rich bar per stage."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,}"), TimeRemainingColumn(),
                  console=err_console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield report


@app.command()
def synth(
    outdir: Annotated[Path, typer.Argument(help="Folder for the scenario (its earlier scenario is replaced).")],
    forces: Annotated[int, typer.Option(help="Number of police forces (1-43).")] = 3,
    people: Annotated[int, typer.Option(help="Population size (200 or more).")] = 5000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 1,
) -> None:
    """Write a synthetic multi-force scenario (exports, profiles manifest, ground truth in truth/)."""
    from lantern.synth import generate
    from lantern.synth.forces import MAX_FORCES

    if not 1 <= forces <= MAX_FORCES:
        raise LanternError(f"--forces must be between 1 and {MAX_FORCES}")
    if people < 200:
        raise LanternError("--people must be at least 200")
    with stage_progress() as report:
        summary = generate(outdir, forces=forces, people=people, seed=seed, progress=report)
    console.print(f"Wrote {len(summary.files)} exports ({summary.total_rows:,} rows) for {people:,} people "
                  f"across {forces} forces to {outdir} in {summary.seconds:.1f}s: {summary.groups} planted "
                  f"groups, {summary.victims} victims, {summary.decoys} decoys; ground truth in "
                  f"{outdir / 'truth'}")



@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo workspace.")] = Path("demo"),
) -> None:
    """The main job on a synthetic 3-force scenario: generate, ingest, resolve, report."""
    from lantern.demo import run_demo

    run_demo(out, settings_of(ctx))


app.command()(resolve_commands.resolve)
app.command()(resolve_commands.explain)
app.command()(resolve_commands.judge)
app.command("review-queue")(resolve_commands.review_queue)
app.command()(network_commands.network)
app.command()(network_commands.path)
app.command()(network_commands.ego)
app.command()(network_commands.chart)
app.command()(network_commands.group)
app.command()(network_commands.between)
app.command()(network_commands.victims)
app.command()(network_commands.players)
app.command()(extract_commands.extract)
app.command()(risk_commands.risk)
app.command()(review_commands.review)
app.command()(timeline_commands.timeline)
app.command()(report_commands.report)
app.command()(similar_commands.similar)
app.command()(lookup_commands.search)
app.command()(lookup_commands.profile)
app.command()(serve_commands.serve)
app.command()(backup_commands.backup)
app.command()(backup_commands.restore)
app.add_typer(calls_commands.calls_app, name="calls")
app.add_typer(admin.user_app, name="user")
app.add_typer(admin.case_app, name="case")
app.add_typer(auditing.audit_app, name="audit")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

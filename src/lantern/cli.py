"""The `lantern` command line: one command per pipeline stage, Rich output and progress.

A user mistake (a missing file, a bad profile, no workspace) is a LanternError and prints as
one line on stderr with exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from lantern import __version__
from lantern.errors import LanternError
from lantern.ingest.loader import IngestResult, ingest_file
from lantern.ingest.profile import load_profile, shipped_profiles
from lantern.settings import SETTING_BY_NAME, Settings
from lantern.store import Workspace, queries

console = Console()
err_console = Console(stderr=True)


class LanternGroup(TyperGroup):
    """Turns LanternError into a one-line message and exit status 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LanternError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
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
    return typer.Option(f"--{name}", envvar=setting.env, help=setting.help, show_default=True)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str, _setting_option("db")] = "sqlite:///lantern.db",
    user: Annotated[str | None, _setting_option("user")] = None,
    case: Annotated[str, _setting_option("case")] = "default",
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Lantern: load police exports, resolve who is who, find the groups and the children at risk."""
    if version:
        console.print(f"lantern {__version__}")
        raise typer.Exit()
    ctx.obj = Settings(db=db, user=user, case=case)


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _workspace(ctx: typer.Context) -> Workspace:
    return Workspace(_settings(ctx).db).require()


# ---- init / status --------------------------------------------------------------------------


@app.command()
def init(ctx: typer.Context) -> None:
    """Create a workspace (or upgrade an old one) at --db."""
    workspace = Workspace(_settings(ctx).db)
    created = workspace.init()
    verb = "Created" if created else "Workspace is up to date:"
    console.print(f"{verb} {workspace.display_url}")


@app.command()
def status(ctx: typer.Context) -> None:
    """Describe the workspace: sources, records by type, links, quarantine."""
    settings = _settings(ctx)
    workspace = _workspace(ctx)
    with workspace.reader() as conn:
        case_id = workspace.case_id(conn, settings.case)
        render_status(conn, case_id, workspace, settings.case)


def render_status(conn: Any, case_id: int, workspace: Workspace, case: str) -> None:
    srcs = queries.sources(conn, case_id)
    by_source = queries.record_counts_by_source(conn, case_id)
    console.print(f"[bold]Workspace[/] {workspace.display_url}   [bold]case[/] {case}")
    table = Table(title=f"Sources ({len(srcs)})", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("file", overflow="fold", ratio=3)
    table.add_column("profile", overflow="fold", ratio=2)
    for col in ("rows", "quarantined", "records"):
        table.add_column(col, justify="right")
    table.add_column("loaded", overflow="fold", ratio=2)
    for source in srcs:
        records = sum(n for (sid, _), n in by_source.items() if sid == source.id)
        table.add_row(
            str(source.id), source.file_name, source.profile_name, f"{source.rows_loaded:,}",
            f"{source.rows_quarantined:,}", f"{records:,}",
            f"{source.loaded_at.replace('T', ' ')} by {source.loaded_by}",
        )
    console.print(table)
    counts = Table(title="Records by type", title_justify="left")
    counts.add_column("type")
    counts.add_column("records", justify="right")
    for schema, n in queries.record_counts_by_schema(conn, case_id).items():
        counts.add_row(schema, f"{n:,}")
    console.print(counts)
    link_counts = queries.link_counts_by_type(conn, case_id)
    if link_counts:
        links = Table(title="Links by type", title_justify="left")
        links.add_column("type")
        links.add_column("links", justify="right")
        for link_type, n in link_counts.items():
            links.add_row(link_type, f"{n:,}")
        console.print(links)
    quarantined = queries.quarantine_counts(conn, case_id)
    rows = quarantined.get("row rejected", 0)
    values = quarantined.get("value rejected", 0)
    console.print(
        f"Quarantine: {rows:,} rows rejected, {values:,} values rejected"
        + ("  (see `lantern quarantine`)" if rows or values else "")
    )


# ---- ingest ---------------------------------------------------------------------------------


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        yield progress


def ingest_paths(
    workspace: Workspace,
    paths: list[Path],
    profile_ref: str,
    settings: Settings,
    quiet: bool = False,
) -> tuple[list[IngestResult], list[str]]:
    """Ingest each file in its own transaction; returns the results and the per-file errors."""
    profile = load_profile(profile_ref)
    results: list[IngestResult] = []
    errors: list[str] = []
    with _progress() as progress:
        for path in paths:
            task = progress.add_task(path.name, total=None)

            def report(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done, total=total)

            try:
                result = ingest_file(
                    workspace,
                    path,
                    profile,
                    user=settings.acting_user,
                    case=settings.case,
                    progress=report,
                )
            except LanternError as exc:
                errors.append(str(exc))
                err_console.print(
                    f"[bold red]error:[/] {exc} [dim](nothing loaded from this file)[/]",
                    highlight=False,
                    soft_wrap=True,
                )
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
        console.print(
            f"[yellow]{name}[/]: already loaded as source #{result.source_id}; nothing to do"
        )
        return
    line = (
        f"[green]{name}[/]: {result.rows_loaded:,} rows loaded "
        f"({result.records:,} records, {result.statements:,} values, {result.links:,} links)"
    )
    if result.rows_quarantined or result.values_rejected:
        line += (
            f", [yellow]{result.rows_quarantined:,} rows quarantined, "
            f"{result.values_rejected:,} values rejected[/]"
        )
    console.print(line + f" in {result.seconds:.1f}s")


@app.command()
def ingest(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files to load: CSV, XLSX or JSON lines.")],
    profile: Annotated[
        str,
        typer.Option(
            "--profile", "-p", help="Mapping profile: a YAML file, or the name of a shipped one."
        ),
    ],
) -> None:
    """Load source files through a mapping profile. Each file loads whole or not at all."""
    settings = _settings(ctx)
    workspace = _workspace(ctx)
    _, errors = ingest_paths(workspace, files, profile, settings)
    if errors:
        raise typer.Exit(1)


@app.command("profiles")
def list_profiles() -> None:
    """List the mapping profiles that ship with Lantern."""
    table = Table(title="Shipped mapping profiles", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, path in shipped_profiles().items():
        table.add_row(name, load_profile(path).description)
    console.print(table)


# ---- quarantine / export --------------------------------------------------------------------


@app.command()
def quarantine(
    ctx: typer.Context,
    source: Annotated[
        int | None, typer.Option(help="Only this source (its # in `status`).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Show at most this many entries.")] = 50,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write every entry to this CSV file.")
    ] = None,
) -> None:
    """Show rows and values that were not loaded, with file, row, field and reason."""
    from lantern.export.tabular import write_csv

    settings = _settings(ctx)
    workspace = _workspace(ctx)
    with workspace.reader() as conn:
        case_id = workspace.case_id(conn, settings.case)
        if csv_out is not None:
            n = write_csv(
                csv_out,
                queries.quarantine_rows(conn, case_id, source),
                ["file_name", "row_number", "field", "action", "reason", "raw_value"],
            )
            console.print(f"Wrote {n:,} quarantine entries to {csv_out}")
            return
        entries = list(queries.quarantine_rows(conn, case_id, source, limit))
    if not entries:
        console.print("The quarantine is empty.")
        return
    table = Table(title="Quarantine", title_justify="left", show_lines=False)
    for col in ("file", "row", "field", "action", "reason", "raw"):
        table.add_column(col, overflow="fold")
    for entry in entries:
        raw = entry["raw_value"] or ""
        table.add_row(
            entry["file_name"],
            str(entry["row_number"]),
            entry["field"] or "",
            entry["action"],
            entry["reason"],
            raw[:80] + ("..." if len(raw) > 80 else ""),
        )
    console.print(table)


EXPORT_FORMATS = ("jsonl",)


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(EXPORT_FORMATS)}.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write ('-' for stdout).")],
) -> None:
    """Export the workspace: jsonl gives every statement and link with its provenance."""
    if fmt not in EXPORT_FORMATS:
        raise LanternError(f"unknown export format {fmt!r}; available: {', '.join(EXPORT_FORMATS)}")
    settings = _settings(ctx)
    workspace = _workspace(ctx)
    with workspace.reader() as conn, _open_output(output) as out:
        case_id = workspace.case_id(conn, settings.case)
        n = _write_jsonl(out, conn, case_id)
    if str(output) != "-":
        console.print(f"Wrote {n:,} lines to {output}")


@contextmanager
def _open_output(path: Path) -> Iterator[TextIO]:
    if str(path) == "-":
        yield sys.stdout
        return
    try:
        with path.open("w", encoding="utf-8", newline="\n") as out:
            yield out
    except OSError as exc:
        raise LanternError(f"cannot write {path}: {exc.strerror}") from None


def _write_jsonl(out: TextIO, conn: Any, case_id: int) -> int:
    n = 0
    for row in queries.statements_with_provenance(conn, case_id):
        out.write(json.dumps({"kind": "statement", **row}, ensure_ascii=False, default=str) + "\n")
        n += 1
    for row in queries.links_with_provenance(conn, case_id):
        props = json.loads(row.pop("properties") or "{}")
        out.write(
            json.dumps({"kind": "link", **row, "properties": props}, ensure_ascii=False) + "\n"
        )
        n += 1
    return n


# ---- demo -----------------------------------------------------------------------------------


@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder for the demo workspace.")] = Path(
        "demo"
    ),
) -> None:
    """Run the main job on the bundled sample data: create a workspace, ingest, report."""
    from lantern.demo import run_demo

    run_demo(out, _settings(ctx), console)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

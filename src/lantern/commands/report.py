"""`lantern report -o DIR`: the briefing pack (HTML and PDF), released like any export.

A pack leaves the case team, so it follows `lantern export`'s rules: case.export on the case,
a named recipient, a DISCLOSE event committed before the files appear, and victims and
children pseudonymised unless --reveal is given, with a reason, by a user holding
victim.identity.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from lantern.commands.calls import bulk_store
from lantern.commands.context import check_reveal, session_of
from lantern.errors import LanternError
from lantern.export.report import Meta, collect, render_html, render_pdf
from lantern.export.report.content import Context, Privacy, next_audit_seq
from lantern.output import console
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session

FILES = ("briefing.html", "briefing.pdf")


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path
    audit_seq: int
    checkpoint: int


def _folder(output: Path) -> Path:
    if output.exists() and not output.is_dir():
        raise LanternError(f"cannot write the pack to {output}: it is a file, not a folder")
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LanternError(f"cannot create {output}: {exc.strerror}") from None
    return output


def write_briefing(session: Session, output: Path, recipient: str, reveal: bool = False,
                   reason: str | None = None) -> Written:
    """Collect, render and write the pack; the files appear only once its DISCLOSE event is
    committed (they are written beside their targets, then moved into place)."""
    if not recipient.strip():
        raise LanternError("--recipient must name who receives the pack")
    check_reveal(session, reveal, reason)
    folder = output
    temps: list[str] = []
    try:
        with session.case_action(Permission.EXPORT, "report", "DISCLOSE") as (conn, case, note):
            folder = _folder(output)  # only once access is granted: a refused user leaves no trace
            seq = next_audit_seq(conn)
            privacy = Privacy(None if reveal else Pseudonymiser.of(conn, case.id, session.keys.pseudonym_key), reason)
            ctx = Context(conn, case.id, case.name, privacy, bulk_store(session))
            meta = Meta(case.name, session.actor.username, recipient, session.settings.purpose, seq, reveal, reason,
                        Meta.now())
            html = render_html(collect(ctx, meta)).encode("utf-8")
            pdf = render_pdf(html.decode("utf-8"))
            for data in (html, pdf):
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=".lantern-report-")
                temps.append(tmp)
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
            note.recipient = recipient
            note.objects = [f"file:{name}" for name in FILES]
            note.detail = {"files": {name: hashlib.sha256(data).hexdigest() for name, data in zip(FILES, (html, pdf),
                                                                                                   strict=True)},
                           "revealed": reveal, "reason": reason}
        for tmp, name in zip(temps, FILES, strict=True):
            os.replace(tmp, folder / name)
    except OSError as exc:
        raise LanternError(f"cannot write the pack to {folder}: {exc.strerror}") from None
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return Written(folder / FILES[0], folder / FILES[1], seq, note.checkpoint.size)


def report(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for briefing.html and briefing.pdf.")],
    recipient: Annotated[str, typer.Option(help="Who receives the pack (recorded in the audit).")],
    reveal: Annotated[bool, typer.Option(help="Show victims' and children's names (needs victim.identity).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why identities are revealed (required with --reveal).")] = None,
) -> None:
    """The briefing pack: summary, groups with charts, key players, children at risk, chronologies,
    lines of enquiry, case-review findings, force consistency, data quality and provenance,
    as self-contained HTML (opens offline) and PDF, marked OFFICIAL-SENSITIVE.

    Reads the latest network (run `lantern network` first). Victims and children are
    pseudonymised unless --reveal is given with --reason by a user holding victim.identity.
    """
    written = write_briefing(session_of(ctx), output, recipient, reveal, reason)
    console.print(f"Wrote the briefing pack for {recipient}" + ("" if reveal else " (victims pseudonymised)")
                  + f": {written.html} and {written.pdf}; audit event #{written.audit_seq}, "
                  f"checkpoint {written.checkpoint}", markup=False, highlight=False, soft_wrap=True)

"""Exports and the briefing pack from the browser: page and API, released as the CLI releases them.

A product leaves the workbench only after the user types their password again (WS-1), under
``case.export``, pseudonymised (no reveal from the web), with a DISCLOSE event that names the
recipient and the SHA-256 of exactly the bytes sent, committed before the first byte goes out.
The file is written to a private temporary folder and sent as an attachment under a generated
name (never one a user typed).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from lantern.commands.report import write_briefing
from lantern.export import products
from lantern.security.policy import Permission
from lantern.security.pseudonymise import Pseudonymiser
from lantern.security.session import Session
from lantern.web.context import User, Web, WebDep, WebUser
from lantern.web.routes.cases import NOT_FOUND
from lantern.web.routes.upload import check_access

router = APIRouter()
FORMATS = tuple(products.formats())  # the `lantern export --format` choices
# (file extension, media type) of each format's download.
KINDS = {"anx": ("anx", "application/xml"), "graphml": ("graphml", "application/xml"),
         "gexf": ("gexf", "application/xml"), "cytoscape": ("cyjs", "application/json"),
         "ftm": ("ftm.json", "application/x-ndjson"), "jsonl": ("jsonl", "application/x-ndjson")}
MAX_RECIPIENT = 200
MEDIA_TYPES = sorted({media for _, media in KINDS.values()} | {"text/csv"})
DOWNLOAD_RESPONSES = {**NOT_FOUND, 200: {"content": {m: {} for m in MEDIA_TYPES},
                                         "description": "the file, as an attachment"},
                      403: {"description": "wrong password (nothing written) or CSRF"},
                      409: {"description": "the case has no network yet"},
                      400: {"description": "unknown format or no recipient"}}


class ExportRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)


class ExportIn(BaseModel):
    format: str = Field(description=f"one of: {', '.join(FORMATS)}")
    recipient: str = Field(description="who receives the product (recorded in the audit)")
    password: str = Field("", description="your password again, with a session cookie "
                                          "(a bearer token needs none)")
    csrf_token: str = Field("", description="with a session cookie (or X-CSRF-Token)")


def _checked_recipient(recipient: str) -> str:
    cleaned = " ".join(recipient.split())
    if not cleaned:
        raise ExportRefused("name the recipient: who receives this product")
    if len(cleaned) > MAX_RECIPIENT:
        raise ExportRefused(f"the recipient is longer than {MAX_RECIPIENT} characters")
    return cleaned


def _checked_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown export format {fmt!r}; available: {', '.join(FORMATS)}")
    return fmt


def download_name(case: str, what: str, extension: str) -> str:
    """Generated, ASCII only, so Content-Disposition stays intact whatever the case is called."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", case).strip("-")[:40] or "case"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"lantern-{slug}-{what}-{stamp}.{extension}"


def _attachment(path: Path, media_type: str, folder: Path) -> FileResponse:
    # The folder goes once the file has been sent.
    return FileResponse(path, media_type=media_type, filename=path.name,
                        content_disposition_type="attachment",
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def _in_case(session: Session, case: str) -> Session:
    # write_briefing acts on the session's case, as the CLI's --case does.
    return replace(session, settings=replace(session.settings, case=case))


def export_file(session: Session, case: str, fmt: str, recipient: str, channel: str,
                folder: Path) -> Path:
    """`lantern export` without --reveal: the same writer, action and audit event."""
    extension, _ = KINDS.get(fmt, ("csv", "text/csv"))
    target = folder / download_name(case, fmt, extension)
    with session.case_action(Permission.EXPORT, "export", "DISCLOSE", case=case) as (
            conn, ref, note):
        with target.open("w", encoding="utf-8", newline="") as out:
            pseudonymiser = Pseudonymiser.of(conn, ref.id, session.keys.pseudonym_key)
            n, digest = products.WRITERS[fmt](out, conn, ref.id, pseudonymiser)
        note.recipient = recipient
        note.objects = [f"file:{target.name}"]
        note.detail = {"format": fmt, "items": n, "sha256": digest, "revealed": False,
                       "reason": None, "channel": channel}
    return target


def release(web: Web, user: WebUser, case: str, password: str, csrf_token: str,
            produce: str, recipient: str, channel: str) -> FileResponse:
    """CSRF, re-authentication, then the product (``produce``: a format or "briefing")."""
    web.require_csrf(user, csrf_token)
    check_access(web, user, case, Permission.EXPORT, "report" if produce == "briefing" else "export")
    recipient = _checked_recipient(recipient)
    if produce != "briefing":
        _checked_format(produce)
    web.reauthenticate(user, password, "report" if produce == "briefing" else "export")
    session = web.session_for(user.actor)
    folder = Path(tempfile.mkdtemp(prefix="lantern-export-"))  # private: mode 0700
    try:
        if produce == "briefing":
            written = write_briefing(_in_case(session, case), folder, recipient)
            pdf = written.pdf.rename(folder / download_name(case, "briefing", "pdf"))
            return _attachment(pdf, "application/pdf", folder)
        path = export_file(session, case, produce, recipient, channel, folder)
        return _attachment(path, KINDS.get(produce, ("csv", "text/csv"))[1], folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


# ---- pages ----------------------------------------------------------------------------


def _page(request: Request, web: Web, user: WebUser, case: str, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    ref = check_access(web, user, case, Permission.EXPORT, "export")
    formats = [(f, products.describe(f)) for f in FORMATS]
    return web.page(request, "exports.html", {**web.base(user, ref.name), "formats": formats,
                                              "error": error}, status_code)


@router.get("/cases/{case}/exports", include_in_schema=False)
def exports_page(request: Request, case: str, user: User, web: WebDep) -> HTMLResponse:
    return _page(request, web, user, case)


@router.post("/cases/{case}/exports", include_in_schema=False)
def export_post(request: Request, case: str, user: User, web: WebDep,
                format: Annotated[str, Form()] = "", recipient: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "",
                csrf_token: Annotated[str, Form()] = "") -> Response:
    try:
        return release(web, user, case, password, csrf_token, format, recipient, "web")
    except ExportRefused as exc:
        return _page(request, web, user, case, str(exc), 422)


@router.post("/cases/{case}/briefing", include_in_schema=False)
def briefing_post(request: Request, case: str, user: User, web: WebDep,
                  recipient: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                  csrf_token: Annotated[str, Form()] = "") -> Response:
    try:
        return release(web, user, case, password, csrf_token, "briefing", recipient, "web")
    except ExportRefused as exc:
        return _page(request, web, user, case, str(exc), 422)


# ---- the API --------------------------------------------------------------------------


def _json_refusal(exc: ExportRefused) -> Response:
    return JSONResponse({"detail": str(exc)}, status_code=400)


@router.post("/api/cases/{case}/exports", tags=["exports"], response_class=Response,
             responses=DOWNLOAD_RESPONSES)
def api_export(case: str, body: ExportIn, user: User, web: WebDep,
               x_csrf_token: Annotated[str | None, Header()] = None) -> Response:
    """Export the case (pseudonymised) in one of the `lantern export` formats, as a download.
    The DISCLOSE audit event records the recipient and the SHA-256 of the bytes returned."""
    try:
        return release(web, user, case, body.password, x_csrf_token or body.csrf_token,
                       body.format, body.recipient, "api")
    except ExportRefused as exc:
        return _json_refusal(exc)

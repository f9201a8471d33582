"""Upload of a source file with a mapping profile, ingested in the background: page and API.

The file takes the same road as `lantern ingest`: ``load_file`` inside
``Session.case_action(WRITE, "ingest", "COLLECT")``, so sources, quarantine, the duplicate check
and the audit event are the CLI's own. The web adds only what a browser needs: the body is
streamed to a private temporary folder under a hard size cap, the name the browser sent is kept
as metadata (its last part, cleaned; never a path), and the ingest runs in a thread whose
progress the page polls.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from lantern.commands.ingesting import ingest_file
from lantern.errors import LanternError
from lantern.ingest.loader import BATCH_ROWS, IngestResult
from lantern.ingest.profile import Profile, load_profile, shipped_profiles
from lantern.security.files import DEFAULT_LIMITS
from lantern.security.policy import AccessDenied, Actor, CaseRef, Permission, require_case
from lantern.web.context import User, Web, WebDep, WebUser
from lantern.web.jobs import Job, jobs_of, new_job_id
from lantern.web.routes.cases import NOT_FOUND, case_status

router = APIRouter()

# The ceiling every input file meets (limits.py); an upload is refused as it passes it.
MAX_UPLOAD_BYTES = DEFAULT_LIMITS.max_file_bytes
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, headers and the small fields around the file
CHUNK = 1024 * 1024
ACCEPT = ".csv,.txt,.tsv,.xlsx,.xlsm,.jsonl,.ndjson"


class UploadRefused(Exception):
    """The upload cannot be taken: answered with ``status`` and a message the user can act on."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ProfileOut(BaseModel):
    name: str
    description: str
    format: str | None  # csv, xlsx or jsonl; None: taken from the file's name


class JobOut(BaseModel):
    id: str
    case: str
    file_name: str
    profile: str
    state: str  # queued, running, done, failed
    bytes_done: int
    bytes_total: int
    rows_done: int
    rows_read: int | None
    rows_loaded: int | None
    rows_quarantined: int | None
    values_rejected: int | None
    records: int | None
    links: int | None
    source_id: int | None
    duplicate: bool
    error: str | None
    message: str  # the line `lantern ingest` would print
    dashboard: str


# ---- profiles ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _profiles() -> dict[str, Profile]:
    # Profiles ship inside the package: read once per process.
    return {name: load_profile(path) for name, path in shipped_profiles().items()}


def profile_list() -> list[ProfileOut]:
    return [ProfileOut(name=name, description=p.description, format=p.format)
            for name, p in _profiles().items()]


def profile_named(name: str) -> Profile:
    """Only a listed name: the CLI's ``load_profile`` would also open a path, which a browser
    must never choose."""
    found = _profiles().get(name)
    if found is None:
        raise UploadRefused(400, f"no mapping profile named {name!r}; `GET /api/profiles` lists them")
    return found


# ---- receiving the file -------------------------------------------------------------------


def safe_file_name(sent: str | None) -> str:
    """The last part of the name the browser sent, printable, not hidden: metadata only.
    `../../etc/passwd` becomes `passwd`, written inside a fresh private folder."""
    last = re.split(r"[\\/]", sent or "")[-1]
    cleaned = "".join(ch for ch in last if ch.isprintable()).strip().lstrip(".").strip()
    return cleaned[:200] or "upload"


def _human(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:,} bytes"


def too_large(name: str, cap: int) -> UploadRefused:
    return UploadRefused(413, f"{name}: refused: the upload is over the {_human(cap)} limit for "
                              "one input file (nothing was kept)")


class _BodyTooLarge(MultiPartException):
    """Raised inside the multipart parser, which then closes its spooled parts."""


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise _BodyTooLarge("too large")
        yield chunk


@dataclass
class Received:
    path: Path  # inside a private temporary folder; the worker removes the folder
    fields: dict[str, str]


async def receive_upload(request: Request, folder: Path, cap: int) -> Received:
    """Stream the multipart body; the file part goes to ``folder`` under its cleaned name.
    Nothing beyond ``cap`` bytes of file (plus the form's overhead) is ever read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap + FORM_OVERHEAD:
        raise too_large("the file", cap)  # refused before a byte is read
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UploadRefused(415, "send the file as multipart/form-data, in a field named 'file'")
    parser = MultiPartParser(request.headers, _capped(request.stream(), cap + FORM_OVERHEAD),
                             max_files=1, max_fields=10)
    try:
        form = await parser.parse()
    except _BodyTooLarge:
        raise too_large("the file", cap) from None
    except MultiPartException as exc:
        raise UploadRefused(400, f"malformed upload: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise UploadRefused(400, "choose a file to upload (the form field 'file')")
        path = folder / safe_file_name(upload.filename)
        await _copy_capped(upload, path, cap)
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    finally:
        await form.close()
    return Received(path, fields)


async def _copy_capped(upload: UploadFile, path: Path, cap: int) -> None:
    written = 0
    with path.open("xb") as out:
        while chunk := await upload.read(CHUNK):
            written += len(chunk)
            if written > cap:
                out.close()
                path.unlink()
                raise too_large(path.name, cap)
            out.write(chunk)


# ---- the ingest, exactly as `lantern ingest` does it ----------------------------------------


def check_access(web: Web, user: WebUser, case: str, permission: Permission,
                 operation: str) -> CaseRef:
    """Check before any work (or any byte of an upload) is taken; the work itself checks again
    inside its own audited action. A refusal is audited and reads like a missing case."""
    try:
        with web.workspace.reader() as conn:
            return require_case(conn, user.actor, case, permission)
    except AccessDenied as exc:
        web.audit_refusal(user.actor.username, operation, str(exc))
        raise


def ingest_work(web: Web, actor: Actor, case: str, path: Path, profile: Profile,
                channel: str) -> Callable[[Job], None]:
    def work(job: Job) -> None:
        def progress(done: int, total: int) -> None:
            if done < total:  # the loader reports after each batch, then once at the end
                job.rows_done += BATCH_ROWS
            job.bytes_done, job.bytes_total = done, total
            job.changed()

        session = web.session_for(actor)
        try:
            result = ingest_file(session, path, profile, case=case, progress=progress,
                                 shown_name=path.name, detail={"channel": channel})
            _finish(job, result)
        except LanternError as exc:  # AccessDenied included: the grant may have gone meanwhile
            # Messages name the file as the user knows it, not the server's temporary folder.
            job.error = str(exc).replace(f"{path.parent}/", "")
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)

    return work


def _finish(job: Job, result: IngestResult) -> None:
    job.source_id, job.duplicate = result.source_id, result.duplicate
    if not result.duplicate:
        job.rows_done = result.rows_read
        job.result = {k: getattr(result, k) for k in ("rows_read", "rows_loaded",
                                                      "rows_quarantined", "values_rejected",
                                                      "records", "statements", "links")}


def job_message(job: Job) -> str:
    """The line `lantern ingest` prints for the same file."""
    name = job.file_name
    if job.state == "failed":
        return f"{job.error} (nothing loaded from this file)"
    if job.state != "done":
        return f"{name}: loading ({job.rows_done:,} rows so far)"
    if job.duplicate:
        return f"{name}: already loaded as source #{job.source_id}; nothing to do"
    r = job.result
    line = (f"{name}: {r['rows_loaded']:,} rows loaded ({r['records']:,} records, "
            f"{r['statements']:,} values, {r['links']:,} links)")
    if r["rows_quarantined"] or r["values_rejected"]:
        line += (f", {r['rows_quarantined']:,} rows quarantined, "
                 f"{r['values_rejected']:,} values rejected")
    return line


def job_out(job: Job) -> JobOut:
    r = job.result
    return JobOut(
        id=job.id, case=job.case, file_name=job.file_name, profile=job.profile, state=job.state,
        bytes_done=job.bytes_done, bytes_total=job.bytes_total, rows_done=job.rows_done,
        rows_read=r.get("rows_read"), rows_loaded=r.get("rows_loaded"),
        rows_quarantined=r.get("rows_quarantined"), values_rejected=r.get("values_rejected"),
        records=r.get("records"), links=r.get("links"), source_id=job.source_id,
        duplicate=job.duplicate, error=job.error, message=job_message(job),
        dashboard=f"/cases/{quote(job.case, safe='')}",
    )


async def accept_upload(request: Request, case: str, user: WebUser, web: Web,
                        channel: str) -> Job:
    """Check, receive, and start the ingest; any refusal is an UploadRefused or AccessDenied."""
    header_token = request.headers.get("x-csrf-token")
    if header_token is not None:  # checked before the body is read, when the page sends it
        web.require_csrf(user, header_token)
    ref = await run_in_threadpool(check_access, web, user, case, Permission.WRITE, "ingest")
    folder = Path(tempfile.mkdtemp(prefix="lantern-upload-"))  # private: mode 0700
    try:
        received = await receive_upload(request, folder, MAX_UPLOAD_BYTES)
        if header_token is None:
            web.require_csrf(user, received.fields.get("csrf_token", ""))
        profile = profile_named(received.fields.get("profile", ""))
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, UploadRefused):
            await run_in_threadpool(web.audit_refusal, user.actor.username, "ingest", str(exc))
        raise
    job = Job(new_job_id(), user.actor.username, ref.name, received.path.name, profile.name)
    return jobs_of(request).start(
        job, ingest_work(web, user.actor, ref.name, received.path, profile, channel))


# ---- pages ----------------------------------------------------------------------------


def _upload_page(request: Request, web: Web, user: WebUser, case: str, job: Job | None = None,
                 error: str | None = None, status_code: int = 200) -> HTMLResponse:
    status = case_status(web.session_for(user.actor), case, "web")
    return web.page(request, "upload.html", {
        **web.base(user, status.case), "status": status, "profiles": profile_list(),
        "can_write": user.actor.can(Permission.WRITE), "accept": ACCEPT,
        "max_upload": _human(MAX_UPLOAD_BYTES), "job": job_out(job) if job else None,
        "error": error}, status_code)


@router.get("/cases/{case}/upload", include_in_schema=False)
def upload_page(request: Request, case: str, user: User, web: WebDep,
                job: str | None = None) -> HTMLResponse:
    found = jobs_of(request).find(job, user.actor.username, case) if job else None
    return _upload_page(request, web, user, case, found)


@router.post("/cases/{case}/upload", include_in_schema=False)
async def upload_post(request: Request, case: str, user: User, web: WebDep) -> Response:
    """The page's form: JSON for its script (which shows progress), a redirect without one."""
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        job = await accept_upload(request, case, user, web, "web")
    except UploadRefused as exc:
        if wants_json:
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)
        return await run_in_threadpool(_upload_page, request, web, user, case, None, str(exc),
                                       exc.status)
    if wants_json:
        return JSONResponse(job_out(job).model_dump(), status_code=202)
    return RedirectResponse(f"/cases/{job.case}/upload?job={job.id}", status_code=303)


# ---- the API --------------------------------------------------------------------------

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file", "profile"],
        "properties": {
            "file": {"type": "string", "format": "binary",
                     "description": "CSV, XLSX or JSON lines"},
            "profile": {"type": "string", "description": "a name from GET /api/profiles"},
            "csrf_token": {"type": "string",
                           "description": "with a session cookie only (or X-CSRF-Token)"}}}}}}}


@router.get("/api/profiles", response_model=list[ProfileOut], tags=["upload"])
def api_profiles(user: User) -> list[ProfileOut]:
    """The mapping profiles an upload may name (those `lantern profiles` lists)."""
    return profile_list()


@router.post("/api/cases/{case}/uploads", response_model=JobOut, status_code=202,
             tags=["upload"], openapi_extra=UPLOAD_BODY,
             responses={**NOT_FOUND,
                        403: {"description": "missing CSRF token (with a session cookie)"},
                        413: {"description": "over the size limit"},
                        415: {"description": "not multipart/form-data"},
                        400: {"description": "no file, an unknown profile, or a malformed body"}})
async def api_upload(request: Request, case: str, user: User, web: WebDep) -> Response:
    """Upload a file and ingest it with a mapping profile in the background; poll the job."""
    try:
        job = await accept_upload(request, case, user, web, "api")
    except UploadRefused as exc:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)
    return JSONResponse(job_out(job).model_dump(), status_code=202)


@router.get("/api/cases/{case}/jobs/{job}", response_model=JobOut, tags=["upload"],
            responses={404: {"description": "no such job of yours in a case you can access"}})
def api_job(request: Request, case: str, job: str, user: User, web: WebDep) -> Response:
    """How far an upload's ingest has gone: rows, quarantine, errors, the source when done."""
    check_access(web, user, case, Permission.READ, "ingest")
    found = jobs_of(request).find(job, user.actor.username, case)
    if found is None:  # another user's job reads like one that never was
        return JSONResponse({"detail": "no such job"}, status_code=404)
    return JSONResponse(job_out(found).model_dump())

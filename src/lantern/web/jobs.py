"""Background jobs of the workbench (an upload being ingested), visible only to who started them.

An ingest can take minutes, longer than a browser should wait on one request, so the upload
answers at once with a job id and the work runs in a thread; the page polls the job. Each job
is also written to a small file in the workspace's data folder (``web-jobs/``), so that a poll
answered by another server process (``lantern serve --workers``) sees it too; a job whose
process has died is reported failed. A restart forgets nothing but the threads; the data is
committed (or not) by the ingest's own transaction.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from lantern.processes import alive

log = logging.getLogger(__name__)
KEEP_FINISHED = 200  # finished jobs remembered before the oldest are forgotten
SAVE_EVERY = 0.5  # seconds between two writes of a running job's progress
UNEXPECTED = "the ingest failed unexpectedly; nothing was loaded from this file (reference {ref})"
DIED = ("the server process running this ingest stopped before it finished; nothing was loaded "
        "from this file unless the case's sources list it")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what new_job_id makes: safe as a file name


@dataclass
class Job:
    """What the page shows while a file is ingested; updated by the worker thread only."""

    id: str
    owner: str
    case: str
    file_name: str
    profile: str
    state: str = "queued"  # queued, running, done, failed
    bytes_done: int = 0
    bytes_total: int = 0
    rows_done: int = 0  # at least this many rows read (the loader reports every batch)
    result: dict[str, Any] = field(default_factory=dict)  # the loader's counts, when done
    source_id: int | None = None
    duplicate: bool = False
    error: str | None = None
    pid: int = field(default_factory=os.getpid)  # the server process doing the work
    thread: threading.Thread | None = field(default=None, repr=False, compare=False)
    on_change: Callable[[Job], None] | None = field(default=None, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def changed(self) -> None:
        """The worker tells the registry that the progress moved (saved now and then)."""
        if self.on_change is not None:
            self.on_change(self)

    def as_json(self) -> str:
        return json.dumps({f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                           if f.name not in ("thread", "on_change")})

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))


class JobRegistry:
    """The jobs of this server, kept in memory and, where the workspace has a data folder, in
    ``folder`` for the other server processes."""

    def __init__(self, folder: Path | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._saved: dict[str, float] = {}
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def start(self, job: Job, work: Callable[[Job], None]) -> Job:
        """Run ``work(job)`` in a thread; an unexpected error fails the job with a reference
        (the traceback goes to the server log, never to the user)."""
        def run() -> None:
            job.state = "running"
            self._save(job)
            try:
                work(job)
            except Exception:
                ref = secrets.token_hex(4)
                log.exception("upload job %s failed (reference %s)", job.id, ref)
                job.error = UNEXPECTED.format(ref=ref)
            job.state = "failed" if job.error else "done"
            self._save(job)

        job.on_change = self._progress
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        self._save(job)
        job.thread = threading.Thread(target=run, name=f"lantern-job-{job.id}", daemon=True)
        job.thread.start()
        return job

    def find(self, job_id: str, owner: str, case: str) -> Job | None:
        """The job, only for the user who started it and under its own case."""
        with self._lock:
            job = self._jobs.get(job_id) or self._load(job_id)
        if job is None or not secrets.compare_digest(job.owner, owner) or job.case != case:
            return None
        if not job.finished and job.thread is None and not alive(job.pid):
            job.state, job.error = "failed", DIED
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job ends (tests and scripts; the pages poll instead)."""
        job = self._jobs[job_id]
        if job.thread is not None:
            job.thread.join(timeout)
        return job

    def _progress(self, job: Job) -> None:
        if time.monotonic() - self._saved.get(job.id, 0.0) >= SAVE_EVERY:
            self._save(job)

    def _save(self, job: Job) -> None:
        """Write the job whole, then move it into place: a reader never sees half of it."""
        self._saved[job.id] = time.monotonic()
        if self.folder is None:
            return
        draft = self.folder / f".{job.id}.{threading.get_ident()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(job.as_json())
        os.replace(draft, self.folder / f"{job.id}.json")

    def _load(self, job_id: str) -> Job | None:
        if self.folder is None or not JOB_ID.fullmatch(job_id):
            return None
        try:
            return Job.from_json((self.folder / f"{job_id}.json").read_text())
        except (OSError, ValueError, TypeError):
            return None

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.finished]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]
            self._saved.pop(key, None)
        if self.folder is not None:
            files = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for path in files[: max(0, len(files) - KEEP_FINISHED)]:
                path.unlink(missing_ok=True)



def jobs_of(request: Request) -> JobRegistry:
    """The app's job registry (made by ``create_app``, kept on ``app.state``)."""
    registry: JobRegistry = request.app.state.upload_jobs
    return registry


def new_job_id() -> str:
    return secrets.token_urlsafe(16)

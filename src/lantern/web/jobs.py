"""Background jobs of the workbench (an upload being ingested), visible only to who started them.

An ingest can take minutes, longer than a browser should wait on one request, so the upload
answers at once with a job id and the work runs in a thread; the page polls the job. Jobs live
in memory, like the sessions (one server process): a restart forgets them, never the data,
which is committed (or not) by the ingest's own transaction.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

log = logging.getLogger(__name__)
KEEP_FINISHED = 200  # finished jobs remembered (per server) before the oldest are forgotten
UNEXPECTED = "the ingest failed unexpectedly; nothing was loaded from this file (reference {ref})"


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
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, job: Job, work: Callable[[Job], None]) -> Job:
        """Run ``work(job)`` in a thread; an unexpected error fails the job with a reference
        (the traceback goes to the server log, never to the user)."""
        def run() -> None:
            job.state = "running"
            try:
                work(job)
            except Exception:
                ref = secrets.token_hex(4)
                log.exception("upload job %s failed (reference %s)", job.id, ref)
                job.error = UNEXPECTED.format(ref=ref)
            job.state = "failed" if job.error else "done"

        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        job.thread = threading.Thread(target=run, name=f"lantern-job-{job.id}", daemon=True)
        job.thread.start()
        return job

    def find(self, job_id: str, owner: str, case: str) -> Job | None:
        """The job, only for the user who started it and under its own case."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or not secrets.compare_digest(job.owner, owner) or job.case != case:
            return None
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job ends (tests and scripts; the pages poll instead)."""
        job = self._jobs[job_id]
        if job.thread is not None:
            job.thread.join(timeout)
        return job

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.finished]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]


_CREATE = threading.Lock()


def jobs_of(request: Request) -> JobRegistry:
    """The app's job registry, made on first use (kept on ``app.state`` beside the Web)."""
    state = request.app.state
    with _CREATE:
        registry = getattr(state, "upload_jobs", None)
        if registry is None:
            registry = state.upload_jobs = JobRegistry()
    return registry


def new_job_id() -> str:
    return secrets.token_urlsafe(16)

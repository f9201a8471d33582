"""When the disk or the database server refuses a write (DI-2): name it, never a traceback.

A full disk, an I/O error or a file-size limit is not a user's mistake, but it is something
the operator must fix, and the command must stop rather than carry on as if its write had
landed: every command's work commits in transactions, so a failed write rolls back the one it
was in, and running the command again finishes the job (tools/fault_harness.py checks both). The CLI turns these failures into one line
on stderr (exit 1); anything else stays a real error with its traceback.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError

# What an OSError's errno means when a write or fsync fails for want of working storage.
STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EIO: "the device reported an input/output error",
    errno.EFBIG: "the file is larger than this process may write",
    errno.EROFS: "the file system is read-only",
}
# SQLite's own words for the same failures (its result codes IOERR, FULL and READONLY).
SQLITE_MESSAGES = ("disk I/O error", "database or disk is full", "attempt to write a readonly database")
# PostgreSQL's SQLSTATEs: 53100 disk_full; class 58, a system error such as 58030 io_error.
POSTGRES_DISK_FULL = "53100"
POSTGRES_SYSTEM_ERROR = "58"


def _postgres_storage(sqlstate: str | None) -> bool:
    return sqlstate is not None and (sqlstate == POSTGRES_DISK_FULL or sqlstate.startswith(POSTGRES_SYSTEM_ERROR))


def storage_failure(exc: BaseException) -> str | None:
    """What went wrong with the storage, in words, if ``exc`` is a storage failure; else None."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig if isinstance(exc.orig, BaseException) else exc
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{STORAGE_ERRNOS[exc.errno]}{where}"
    if isinstance(exc, sqlite3.Error):
        said = str(exc)
        return f"SQLite could not write: {said}" if said in SQLITE_MESSAGES else None
    sqlstate = getattr(exc, "sqlstate", None)
    if _postgres_storage(sqlstate):
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else sqlstate
        return f"the PostgreSQL server could not write: {first_line}"
    return None


def storage_message(command: str, why: str) -> str:
    """The one line a command that stopped on a storage failure prints."""
    return (f"`lantern {command}` stopped: {why}. What it reported as done is committed; "
            "fix the storage (free space, check the disk), then run it again to finish the rest.")

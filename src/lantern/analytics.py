"""Every DuckDB connection Lantern opens (bulk calls, the comms frame, resolution), with the
memory limit the operator set (`--memory` / LANTERN_MEMORY) and a private place to spill.

DuckDB takes up to 80% of the machine's memory by default (19.9 GiB loading 50M calls on a
24 GiB machine). Under a limit it spills to disk instead: a file-backed database beside its
file (the case's data folder), an in-memory one to a folder of this process's own, mode 0700,
never the current directory (DuckDB's default for in-memory databases), since what spills is
call data and names.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import duckdb

from lantern.errors import LanternError

_limit: str | None = None
_spill: Path | None = None
_lock = threading.Lock()


def set_memory_limit(limit: str | None) -> None:
    """Use ``limit`` (DuckDB's form: 4GB, 512MB, 50%) for connections opened from now on;
    None leaves DuckDB's own default. A value DuckDB cannot read is a LanternError."""
    global _limit
    if limit is not None:
        limit = limit.strip()
        try:
            with duckdb.connect(config={"memory_limit": limit}):
                pass
        except duckdb.Error as exc:
            raise LanternError(f"--memory / LANTERN_MEMORY {limit!r} is not a memory size DuckDB reads "
                               f"(e.g. 4GB, 512MB, 50%): {str(exc).splitlines()[-1]}") from None
    _limit = limit or None


def memory_limit() -> str | None:
    return _limit


def _spill_folder() -> Path:
    global _spill
    with _lock:
        if _spill is None:
            _spill = Path(tempfile.mkdtemp(prefix="lantern-spill-"))  # mode 0700
            atexit.register(shutil.rmtree, _spill, True)
        return _spill


def connect(database: str | Path = ":memory:", *, read_only: bool = False,
            config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection under the operator's memory limit; ``config`` adds DuckDB settings."""
    settings: dict[str, Any] = dict(config or {})
    if _limit is not None:
        settings["memory_limit"] = _limit
    if str(database) == ":memory:":
        settings["temp_directory"] = str(_spill_folder())
    return duckdb.connect(str(database), read_only=read_only, config=settings)


def out_of_memory(exc: duckdb.OutOfMemoryException, doing: str) -> LanternError:
    """The error for work that did not fit the memory DuckDB was allowed."""
    allowed = f"the {_limit} that --memory / LANTERN_MEMORY allows" if _limit else "DuckDB's default limit"
    return LanternError(f"{doing} needed more memory than {allowed}: set a larger --memory, or free some "
                        f"({str(exc).splitlines()[0]})")

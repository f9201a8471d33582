"""Hostile-file guards' limits and size checks; the guards are in xmlguard.py and archives.py.

Every source file is treated as hostile until these checks pass (requirements BI-1 to BI-3).
Each refusal is a :class:`~lantern.errors.LanternError` whose one-line message names the file
and says what is wrong, so the CLI can print it as it stands.

* :func:`check_file_size` refuses oversize (or non-regular) files from ``stat`` alone.
* :func:`parse_xml` parses through :mod:`defusedxml` with DTDs, entities and external
  references forbidden, and bounds input size and nesting depth while it parses.
* :func:`check_zip` reads only the central directory and local headers, and refuses path
  tricks, links, duplicates, bombs and overlapping entries before any member is decompressed.
* :func:`read_zip_member` / :func:`iter_zip_member` stream one member, counting the bytes that
  actually come out, never trusting the sizes the archive declares.
* :func:`safe_extract` writes members under content-addressed (SHA-256) names only.

What this module does not do: run parsers in a resource-limited subprocess (BI-3 isolation)
or impose wall-clock timeouts; those belong to the caller.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from lantern.errors import LanternError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True, slots=True)
class FileLimits:
    """Ceilings on what Lantern will read from one source file.

    The defaults suit spreadsheet and CSV exports and the XML of device reports; raise them
    per source (never globally) when a genuine exhibit is bigger, and say why in the case.
    """

    max_file_bytes: int = 2 * GiB  # any one input file, checked by stat before reading
    max_rows: int = 5_000_000  # data rows in one table
    max_columns: int = 2_000  # header width: a 1M-column header is an attack, not an export
    max_field_bytes: int = 1 * MiB  # one CSV/XLSX cell (csv.field_size_limit)
    max_xml_bytes: int = 256 * MiB  # parse_xml builds a tree in memory, so stay well under RAM
    max_xml_depth: int = 256  # ANX and UFDR reports nest a few dozen levels at most
    max_zip_entries: int = 50_000  # members in one archive
    max_zip_total_bytes: int = 4 * GiB  # sum of uncompressed sizes, declared and streamed
    max_zip_entry_bytes: int = 2 * GiB  # one member, uncompressed
    max_zip_ratio: int = 200  # uncompressed/compressed; deflate bombs run near 1000
    max_zip_nesting: int = 2  # archive inside archive inside the source, no deeper


DEFAULT_LIMITS = FileLimits()

# Members smaller than this are exempt from the ratio check: a few KiB of spaces compresses
# far better than 200:1 and harms nobody; the total-bytes limit still counts them.
RATIO_FLOOR_BYTES = 1 * MiB
# Bytes read or decompressed per step, so memory stays flat whatever the archive claims.
CHUNK_BYTES = 1 * MiB
# Suffixes of members that are themselves archives (flagged; open them with nesting + 1).
ARCHIVE_SUFFIXES = (
    ".zip",
    ".ufdr",
    ".jar",
    ".apk",
    ".ipa",
    ".7z",
    ".rar",
    ".tar",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
)


# ---- sizes ------------------------------------------------------------------------------------


def _human(n: int) -> str:
    if n < KiB:
        return f"{n:,} bytes"
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    raise AssertionError("unreachable")


def _stat_regular(path: Path) -> os.stat_result:
    """Stat without following into devices or pipes: /dev/zero or a FIFO would never end."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise LanternError(f"{path}: no such file") from None
    except OSError as exc:
        raise LanternError(f"{path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise LanternError(f"{path}: refused: not a regular file (a device, pipe or directory)")
    return info


def check_file_size(path: Path | str, limits: FileLimits = DEFAULT_LIMITS) -> int:
    """Return the file's size, or refuse it if it is over ``limits.max_file_bytes``.

    Only ``stat`` is used, so a 10 GB (sparse) file is refused without reading a byte.
    """
    return _check_size(Path(path), limits.max_file_bytes, "for one input file")


def _check_size(path: Path, limit: int, what: str) -> int:
    size = _stat_regular(path).st_size
    if size > limit:
        raise LanternError(
            f"{path}: refused: the file is {_human(size)}, over the {_human(limit)} limit {what}"
        )
    return size

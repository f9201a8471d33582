"""ZIP archives inspected before a byte is decompressed: bombs, overlaps, hostile names."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lantern.errors import LanternError
from lantern.security.limits import (  # noqa: F401
    ARCHIVE_SUFFIXES,
    CHUNK_BYTES,
    DEFAULT_LIMITS,
    RATIO_FLOOR_BYTES,
    FileLimits,
    MiB,
    _check_size,
    _human,
    _stat_regular,
)

# ---- ZIP: inspection --------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")  # 30 bytes, APPNOTE 4.3.7
_LOCAL_SIG = b"PK\x03\x04"
_EOCD = struct.Struct("<4sHHHHIIH")  # 22 bytes, APPNOTE 4.3.16
_EOCD_SIG = b"PK\x05\x06"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")  # 56 bytes, APPNOTE 4.3.14
_SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_FLAG_ENCRYPTED = 0x1
_FLAG_PATCHED = 0x20
_FLAG_STRONG_ENCRYPTION = 0x40
_FLAG_UTF8 = 0x800
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One archive entry as its central directory declares it (sizes may lie; see reads)."""

    name: str
    size: int  # declared uncompressed size
    compressed_size: int
    offset: int  # of the local header, from the start of the file
    crc: int
    method: int
    flags: int
    is_dir: bool
    is_archive: bool  # looks like an archive itself: check it with nesting + 1 before use


def _name_problem(name: str) -> str | None:
    """Why an entry name could write outside the extraction folder, or None if it cannot."""
    if not name:
        return "has an empty name"
    if any(ord(ch) < 0x20 for ch in name):
        return "has control characters in its name"
    # Windows tools treat backslash as a separator, so judge the name as they would.
    parts = name.replace("\\", "/")
    if parts.startswith("/"):
        return "has an absolute path"
    if _DRIVE.match(parts):
        return "names a drive letter"
    if ".." in parts.split("/"):
        return "climbs out of the archive with '..'"
    return None


def _type_problem(info: zipfile.ZipInfo) -> str | None:
    """Refuse links and special files whatever the creating system: only files and folders."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if mode and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is a special file (device, pipe or socket)"
    if info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        return "is encrypted, so it cannot be inspected"
    if info.flag_bits & _FLAG_PATCHED:
        return "uses compressed patched data, which Lantern does not read"
    if info.compress_type not in _SUPPORTED_METHODS and not info.is_dir():
        return (
            f"uses compression method {info.compress_type}; Lantern reads stored and deflated "
            "entries only, whose output it can bound"
        )
    return None


def _declared_count(fh: IO[bytes]) -> int | None:
    """Entry count from the end-of-central-directory record, before zipfile lists them all.

    A huge central directory costs memory just to list, so refuse by count first. Returns None
    where the record is not found; zipfile then gives its own error.
    """
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    tail_len = min(size, _EOCD.size + 0xFFFF)  # the record plus the longest comment
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD_SIG)
    if at < 0 or at + _EOCD.size > len(tail):
        return None
    count = int(_EOCD.unpack_from(tail, at)[4])
    if count != 0xFFFF or at < 20 or tail[at - 20 : at - 16] != _ZIP64_LOCATOR_SIG:
        return count
    zip64_at = struct.unpack_from("<Q", tail, at - 12)[0]
    fh.seek(zip64_at)
    record = fh.read(_ZIP64_EOCD.size)
    if len(record) < _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
        return None
    return int(_ZIP64_EOCD.unpack(record)[7])


def _open_zip(path: Path, max_entries: int) -> zipfile.ZipFile:
    _stat_regular(path)
    try:
        with path.open("rb") as fh:
            count = _declared_count(fh)
        if count is not None and count > max_entries:
            raise LanternError(
                f"{path}: refused: the archive declares {count:,} entries, more than "
                f"the {max_entries:,} limit"
            )
        return zipfile.ZipFile(path)
    # NotImplementedError: a zip version or feature zipfile lacks (found by atheris)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise LanternError(f"{path}: not a readable ZIP archive ({exc})") from None


def _member(info: zipfile.ZipInfo) -> ZipMember:
    return ZipMember(
        name=info.filename,
        size=info.file_size,
        compressed_size=info.compress_size,
        offset=info.header_offset,
        crc=info.CRC,
        method=info.compress_type,
        flags=info.flag_bits,
        is_dir=info.is_dir(),
        is_archive=info.filename.lower().endswith(ARCHIVE_SUFFIXES),
    )


def _check_entry(path: Path, info: zipfile.ZipInfo, max_entry_bytes: int, max_ratio: int) -> None:
    # orig_filename keeps any NUL byte that zipfile cuts from filename.
    problem = _name_problem(info.orig_filename) or _type_problem(info)
    if problem:
        raise LanternError(f"{path}: refused: entry {info.orig_filename!r} {problem}")
    if info.file_size > max_entry_bytes:
        raise LanternError(
            f"{path}: refused: entry {info.filename!r} declares {_human(info.file_size)} "
            f"uncompressed, over the {_human(max_entry_bytes)} limit for one entry"
        )
    if info.file_size > RATIO_FLOOR_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > max_ratio:
            raise LanternError(
                f"{path}: refused: entry {info.filename!r} has compression ratio {ratio:,.0f}:1, "
                f"over the {max_ratio}:1 limit (a zip bomb?)"
            )


def _local_span(fh: IO[bytes], path: Path, member: ZipMember) -> tuple[int, int, bytes]:
    """(start of local header, end of compressed data, local name), from the local header."""
    header = b""
    if member.offset >= 0:  # negative when bytes were cut from the archive (found by atheris)
        fh.seek(member.offset)
        header = fh.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIG:
        raise LanternError(
            f"{path}: refused: entry {member.name!r} points at no local header "
            f"(offset {member.offset:,}): the archive is damaged or crafted"
        )
    fields = _LOCAL_HEADER.unpack(header)
    name_len, extra_len = int(fields[9]), int(fields[10])
    local_name = fh.read(name_len)
    data_start = member.offset + _LOCAL_HEADER.size + name_len + extra_len
    return member.offset, data_start + member.compressed_size, local_name


def _check_local_name(path: Path, member: ZipMember, local_name: bytes) -> None:
    """The two copies of a name must agree, or tools that trust different copies disagree."""
    encoding = "utf-8" if member.flags & _FLAG_UTF8 else "cp437"
    if local_name != member.name.encode(encoding, errors="surrogateescape"):
        raise LanternError(
            f"{path}: refused: entry {member.name!r} has a different name in its local header "
            f"({local_name[:100]!r}): the archive is crafted to mislead"
        )


def _check_layout(path: Path, zf: zipfile.ZipFile, members: list[ZipMember]) -> None:
    """Refuse entries whose bytes overlap another's (Fifield's overlapped and quoted bombs).

    Honest archives lay entries end to end; a bomb points many directory entries into one
    highly compressed stream, so each span must end before the next begins. Overlap is
    judged before names, so a fully overlapped bomb is reported as what it is.
    """
    assert zf.fp is not None
    spans = sorted((*_local_span(zf.fp, path, m), i) for i, m in enumerate(members))
    previous_end, previous = 0, ""
    for start, end, _, i in spans:
        if start < previous_end:
            raise LanternError(
                f"{path}: refused: entries {previous!r} and {members[i].name!r} overlap "
                "(an overlapped zip bomb or a damaged archive)"
            )
        previous_end, previous = end, members[i].name
    if previous_end > zf.start_dir:
        raise LanternError(f"{path}: refused: entry {previous!r} runs into the central directory")
    for _, _, local_name, i in spans:
        _check_local_name(path, members[i], local_name)


def check_zip(
    path: Path | str,
    *,
    max_total_bytes: int = DEFAULT_LIMITS.max_zip_total_bytes,
    max_entries: int = DEFAULT_LIMITS.max_zip_entries,
    max_ratio: int = DEFAULT_LIMITS.max_zip_ratio,
    max_entry_bytes: int = DEFAULT_LIMITS.max_zip_entry_bytes,
    nesting: int = 0,
    max_nesting: int = DEFAULT_LIMITS.max_zip_nesting,
) -> list[ZipMember]:
    """Inspect an archive's directory and headers and list its members, or refuse it.

    Nothing is decompressed. Refused: too many entries; unsafe names (absolute, drive letter,
    '..', backslash escapes, control characters); symlinks and special files; encrypted or
    unsupported entries; duplicate names; declared sizes or ratios over the limits; entries
    whose local headers disagree with the directory or whose data overlaps. ``nesting`` is how
    deep this archive sits inside others: pass ``nesting + 1`` for a member flagged
    ``is_archive``, so a 42.zip-style recursion stops at ``max_nesting``.
    """
    path = Path(path)
    if nesting > max_nesting:
        raise LanternError(
            f"{path}: refused: archives nested {nesting} deep, more than the {max_nesting} limit"
        )
    with _open_zip(path, max_entries) as zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise LanternError(
                f"{path}: refused: the archive holds {len(infos):,} entries, more than "
                f"the {max_entries:,} limit"
            )
        members = _check_entries(path, infos, max_entry_bytes, max_ratio, max_total_bytes)
        _check_layout(path, zf, members)
    return members


def _check_entries(
    path: Path,
    infos: list[zipfile.ZipInfo],
    max_entry_bytes: int,
    max_ratio: int,
    max_total_bytes: int,
) -> list[ZipMember]:
    seen: set[str] = set()
    total = 0
    for info in infos:
        _check_entry(path, info, max_entry_bytes, max_ratio)
        key = info.filename.replace("\\", "/")
        if key in seen:
            raise LanternError(f"{path}: refused: entry {info.filename!r} appears more than once")
        seen.add(key)
        total += info.file_size
    if total > max_total_bytes:
        raise LanternError(
            f"{path}: refused: the archive declares {_human(total)} uncompressed, over the "
            f"{_human(max_total_bytes)} limit"
        )
    return [_member(info) for info in infos]


# ---- ZIP: reading -----------------------------------------------------------------------------


def _find_member(path: Path, name: str) -> ZipMember:
    with _open_zip(path, DEFAULT_LIMITS.max_zip_entries) as zf:
        try:
            return _member(zf.getinfo(name))
        except KeyError:
            raise LanternError(f"{path}: the archive has no entry {name!r}") from None


def _raw_chunks(fh: IO[bytes], path: Path, member: ZipMember) -> Iterator[bytes]:
    """The member's compressed bytes, in chunks, exactly compressed_size of them."""
    _, end, local_name = _local_span(fh, path, member)
    _check_local_name(path, member, local_name)
    fh.seek(end - member.compressed_size)
    left = member.compressed_size
    while left > 0:
        chunk = fh.read(min(CHUNK_BYTES, left))
        if not chunk:
            raise LanternError(f"{path}: entry {member.name!r} is truncated")
        left -= len(chunk)
        yield chunk


def _inflate(raw: Iterator[bytes], path: Path, member: ZipMember) -> Iterator[bytes]:
    """Decompress with a cap on each step's output, so one small input cannot fill memory."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for chunk in raw:
            data = chunk
            while data and not inflater.eof:
                yield inflater.decompress(data, CHUNK_BYTES)
                data = inflater.unconsumed_tail
        # What zlib holds back after its input is at most one match; small by construction.
        yield inflater.flush()
    except zlib.error as exc:
        raise LanternError(f"{path}: entry {member.name!r} is damaged ({exc})") from None
    if not inflater.eof:
        raise LanternError(f"{path}: entry {member.name!r} is truncated or damaged")


def _stream(fh: IO[bytes], path: Path, member: ZipMember, limit: int) -> Iterator[bytes]:
    """Yield the member's bytes; stop the moment the real output passes ``limit``."""
    problem = _name_problem(member.name)
    if problem is None and member.method not in _SUPPORTED_METHODS:
        problem = f"uses unsupported compression method {member.method}"
    if problem is None and member.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        problem = "is encrypted"
    if problem:
        raise LanternError(f"{path}: refused: entry {member.name!r} {problem}")
    raw = _raw_chunks(fh, path, member)
    chunks = raw if member.method == zipfile.ZIP_STORED else _inflate(raw, path, member)
    count, crc = 0, 0
    for chunk in chunks:
        count += len(chunk)
        if count > limit:
            raise LanternError(
                f"{path}: refused: entry {member.name!r} decompresses to more than "
                f"{_human(limit)} (it declares {_human(member.size)}): over the limit"
            )
        crc = zlib.crc32(chunk, crc)
        if chunk:
            yield chunk
    _check_declared(path, member, count, crc)


def _check_declared(path: Path, member: ZipMember, count: int, crc: int) -> None:
    """After a full read, the headers must have told the truth: a lie is a crafted archive."""
    if count != member.size:
        raise LanternError(
            f"{path}: refused: entry {member.name!r} declares {member.size:,} bytes but holds "
            f"{count:,}: its headers lie"
        )
    if crc != member.crc:
        raise LanternError(f"{path}: entry {member.name!r} is damaged (CRC mismatch)")


def iter_zip_member(path: Path | str, member: str | ZipMember, limit: int) -> Iterator[bytes]:
    """Stream one member's bytes, refusing once more than ``limit`` bytes actually come out.

    Declared sizes are never trusted: output is counted as it is produced, and at the end it
    must match the declared size and CRC. Call :func:`check_zip` on the archive first; pass the
    :class:`ZipMember` it returned to skip re-reading the central directory.
    """
    path = Path(path)
    entry = member if isinstance(member, ZipMember) else _find_member(path, member)
    with path.open("rb") as fh:
        yield from _stream(fh, path, entry, limit)


def read_zip_member(path: Path | str, member: str | ZipMember, limit: int) -> bytes:
    """One member's bytes (at most ``limit`` of them), as :func:`iter_zip_member` streams them."""
    return b"".join(iter_zip_member(path, member, limit))


# ---- ZIP: extraction --------------------------------------------------------------------------


def _write_blob(
    fh: IO[bytes], path: Path, member: ZipMember, limit: int, dest: Path
) -> tuple[Path, int, bool]:
    """Stream a member into dest under its SHA-256; returns (path, bytes, newly created)."""
    digest = hashlib.sha256()
    count = 0
    with tempfile.NamedTemporaryFile(dir=dest, prefix=".partial-", delete=False) as out:
        partial = Path(out.name)
        try:
            for chunk in _stream(fh, path, member, limit):
                digest.update(chunk)
                out.write(chunk)
                count += len(chunk)
        except BaseException:
            out.close()
            partial.unlink(missing_ok=True)
            raise
    target = dest / digest.hexdigest()
    if target.exists():  # same content already stored: content addressing deduplicates
        partial.unlink()
        return target, count, False
    os.replace(partial, target)
    target.chmod(0o400)  # originals are evidence: stored read-only (DI-4)
    return target, count, True


def safe_extract(
    path: Path | str, dest_dir: Path | str, limits: FileLimits = DEFAULT_LIMITS
) -> dict[str, Path]:
    """Check the archive, then write each file member to ``dest_dir/<sha256>``.

    Archive paths are never used for output names, so no entry can write outside
    ``dest_dir``. The running total of bytes actually written is held to the archive limit
    whatever the headers claim. On any refusal the files this call created are removed.
    Returns ``{member name: stored path}``; folders are skipped.
    """
    path, dest = Path(path), Path(dest_dir)
    members = check_zip(
        path,
        max_total_bytes=limits.max_zip_total_bytes,
        max_entries=limits.max_zip_entries,
        max_ratio=limits.max_zip_ratio,
        max_entry_bytes=limits.max_zip_entry_bytes,
    )
    dest.mkdir(parents=True, exist_ok=True)
    stored: dict[str, Path] = {}
    created: list[Path] = []
    budget = limits.max_zip_total_bytes
    try:
        with path.open("rb") as fh:
            for member in members:
                if member.is_dir:
                    continue
                limit = min(limits.max_zip_entry_bytes, budget)
                target, count, new = _write_blob(fh, path, member, limit, dest)
                budget -= count
                if new:
                    created.append(target)
                stored[member.name] = target
    except BaseException:
        for blob in created:
            blob.unlink(missing_ok=True)
        raise
    return stored

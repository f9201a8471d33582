"""Hostile XML refused before it can hurt: DTDs, entities, external references, depth, size."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as defused_et
from defusedxml import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    NotSupportedError,
)

from lantern.errors import LanternError
from lantern.security.limits import CHUNK_BYTES, DEFAULT_LIMITS, _check_size, _human

# ---- XML --------------------------------------------------------------------------------------


class _TooBig(Exception):
    """Raised inside the parser's read loop when input passes max_bytes."""


class _BoundedReader:
    """A file-like reader that stops the parse once more than ``limit`` bytes have come in.

    The stat check can be outrun (a file still being written, a pipe), so count what is read.
    """

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        want = size if size >= 0 else CHUNK_BYTES  # iterparse asks for 16 KiB at a time
        data = self.raw.read(min(want, self.limit + 1 - self.count))
        self.count += len(data)
        if self.count > self.limit:
            raise _TooBig
        return data


def _dtd_reason(exc: DTDForbidden) -> str:
    where = exc.sysid or exc.pubid
    # The system id is attacker text: repr() keeps the message on one line.
    fetch = f" pointing at {where[:200]!r}" if where else ""
    return (
        f"refused: the XML declares a DTD (<!DOCTYPE {exc.name}>{fetch}); Lantern never "
        "processes DTDs or expands entities, which carry entity bombs and external references"
    )


def _xml_refusal(name: str, exc: Exception, max_bytes: int) -> LanternError:
    if isinstance(exc, _TooBig):
        return LanternError(f"{name}: refused: the XML is over the {_human(max_bytes)} limit")
    if isinstance(exc, DTDForbidden):
        return LanternError(f"{name}: {_dtd_reason(exc)}")
    if isinstance(exc, EntitiesForbidden):
        return LanternError(
            f"{name}: refused: the XML declares entities, which Lantern never expands"
        )
    if isinstance(exc, ExternalReferenceForbidden):
        return LanternError(
            f"{name}: refused: the XML references an external resource, which Lantern never fetches"
        )
    if isinstance(exc, NotSupportedError):
        return LanternError(f"{name}: refused: the XML uses a feature Lantern does not allow")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return LanternError(f"{name}: not well-formed XML ({reason})")


def _parse_bounded(stream: _BoundedReader, max_depth: int, name: str) -> Element:
    """Parse with start/end events, counting depth so a deep document stops early."""
    events = defused_et.iterparse(
        stream,
        events=("start", "end"),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    depth = 0
    root: Element | None = None
    for event, element in events:
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > max_depth:
            raise LanternError(
                f"{name}: refused: the XML is nested deeper than {max_depth} elements"
            )
        if root is None:
            root = element
    if root is None:  # pragma: no cover - expat reports "no element found" first
        raise LanternError(f"{name}: not well-formed XML (no root element)")
    return root


def parse_xml(
    source: Path | str | bytes,
    *,
    max_bytes: int = DEFAULT_LIMITS.max_xml_bytes,
    max_depth: int = DEFAULT_LIMITS.max_xml_depth,
    name: str | None = None,
) -> Element:
    """Parse untrusted XML and return its root element, or refuse it with a LanternError.

    ``source`` is a path (``str`` or ``Path``) or the document's bytes; ``name`` labels bytes in
    messages. DTDs are refused outright (forbid_dtd), which stops billion laughs, quadratic
    blowup, XXE and parameter entities before any entity is expanded or any URL is touched.
    Input over ``max_bytes`` and nesting over ``max_depth`` are refused while parsing, without
    recursion, so neither memory nor time grows past those bounds.
    """
    if isinstance(source, bytes):
        label = name or "<XML data>"
        if len(source) > max_bytes:
            raise LanternError(
                f"{label}: refused: the XML is {_human(len(source))}, over the "
                f"{_human(max_bytes)} limit"
            )
        return _parse_stream(io.BytesIO(source), label, max_bytes, max_depth)
    if isinstance(source, str) and source.lstrip().startswith("<"):
        raise TypeError("parse_xml takes a path or bytes; pass XML text as bytes")
    path = Path(source)
    label = name or str(path)
    _check_size(path, max_bytes, "for XML")
    with path.open("rb") as raw:
        return _parse_stream(raw, label, max_bytes, max_depth)


def _parse_stream(raw: IO[bytes], name: str, max_bytes: int, max_depth: int) -> Element:
    try:
        return _parse_bounded(_BoundedReader(raw, max_bytes), max_depth, name)
    except LanternError:
        raise
    # defusedxml's errors are ValueErrors; expat raises LookupError for an unknown encoding
    # named in the XML declaration (found by tools/atheris_readers.py).
    except (_TooBig, ValueError, ParseError, LookupError) as exc:
        raise _xml_refusal(name, exc, max_bytes) from None

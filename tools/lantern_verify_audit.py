#!/usr/bin/env python3
"""Verify a Lantern audit disclosure bundle, offline and on its own.

Usage:  python lantern_verify_audit.py BUNDLE_DIR

Needs only Python 3.11+ and the ``cryptography`` package (for Ed25519); it does not import
Lantern, so an expert witness can read and run this one file. BUNDLE_DIR holds:

``events.jsonl``
    The audit events in log order, one JSON object per line (UTF-8). Each line is parsed and
    re-serialised canonically -- ``json.dumps(event, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` as UTF-8 -- and leaf ``i`` of the Merkle tree is
    ``SHA-256(0x00 || those bytes)``. Events are numbered from 1, by line.
``checkpoint.txt``
    The signed checkpoint: a signed note whose body is four lines (log id, tree size, base64
    Merkle root, UTC time), then a blank line, then ``— <log id> <base64(4-byte key hash ||
    64-byte Ed25519 signature)>``. The signature covers the four body lines.
``public_key.hex``
    The log's Ed25519 public key, 64 hex digits.
``chain.txt`` (optional)
    The hash chain value stored with each event, one hex line per event:
    ``c_i = SHA-256(c_(i-1) || leaf_i)`` with ``c_0`` 32 zero bytes. Not evidence on its own
    (anyone can recompute it); it only locates the first altered, deleted or reordered event.

The verifier recomputes the RFC 6962 / RFC 9162 Merkle root (nodes ``SHA-256(0x01 || l || r)``,
left subtree = largest power of two below n, empty tree = SHA-256 of nothing), checks the
signature, and that size and root match. It prints ``OK: N events, root <hex>`` and exits 0, or
prints the problems, first the one that locates the earliest bad event, and exits 1.

By design this file repeats the few lines of hashing in ``lantern.security.merkle`` and
``lantern.security.checkpoint`` rather than importing them: a verifier that used the code under
test would prove nothing. The Lantern test suite checks that the two agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EMPTY_ROOT = hashlib.sha256(b"").digest()
SIG_PREFIX = "\u2014 "  # em dash and space


class BundleError(Exception):
    """A problem that stops verification; its message is printed as is."""


# --- hashing (duplicated from lantern.security.merkle on purpose, see above) -----------------


def canonical(event: dict[str, Any]) -> bytes:
    text = json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def merkle_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    level = leaves
    while len(level) > 1:  # pairing neighbours and lifting an odd last node = RFC 6962's tree
        upper = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return level[0]


# --- reading the bundle ----------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A line with a key twice could show a reader one value and the hash another.
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice")
    return dict(pairs)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def read_events(path: Path) -> list[dict[str, Any]]:
    raw = _read_bytes(path)
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline
    events = []
    for number, line in enumerate(lines, start=1):
        try:
            event = json.loads(
                line.decode("utf-8"),
                object_pairs_hook=_reject_duplicates,
                parse_constant=_reject_constant,
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise BundleError(f"event {number} (events.jsonl line {number}) is unreadable: {exc}") from None
        if not isinstance(event, dict):
            raise BundleError(f"event {number} (events.jsonl line {number}) is not a JSON object")
        events.append(event)
    return events


def read_public_key(path: Path) -> bytes:
    try:
        key = bytes.fromhex(_read_bytes(path).decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != 32:
        raise BundleError("public_key.hex is not 64 hex digits (an Ed25519 public key)")
    return key


def read_chain(path: Path) -> list[bytes] | None:
    if not path.exists():
        return None
    values = []
    for number, line in enumerate(_read_bytes(path).decode("ascii", "replace").splitlines(), 1):
        try:
            value = bytes.fromhex(line.strip())
        except ValueError:
            value = b""
        if len(value) != 32:
            raise BundleError(f"chain.txt line {number} is not a 32-byte hex hash")
        values.append(value)
    return values


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read {path.name}: {exc.strerror}") from None


# --- the checkpoint --------------------------------------------------------------------------


def read_checkpoint(path: Path, public_key: bytes) -> tuple[int, bytes, str]:
    """(size, root, "log id at time") of a checkpoint whose signature is valid."""
    try:
        text = _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError("checkpoint.txt is not UTF-8 text") from None
    body, sep, signatures = text.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) != 4:
        raise BundleError("checkpoint.txt is malformed: expected 4 body lines and a blank line")
    log_id, size_text, root_text, time = lines
    size = int(size_text) if size_text.isascii() and size_text.isdigit() else -1
    root = b64decode(root_text)
    if size < 0 or len(root) != 32:
        raise BundleError("checkpoint.txt is malformed: bad size or root line")
    signature = _signature_for(log_id, signatures, public_key)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, (body + "\n").encode())
    except InvalidSignature:
        raise BundleError("signature invalid: checkpoint.txt was not signed by public_key.hex "
                          "or was altered after signing") from None
    return size, root, f"{log_id} at {time}"


def b64decode(text: str) -> bytes:
    """Strict base64: b"" unless ``text`` is the canonical encoding of its bytes."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""
    return data if base64.b64encode(data).decode("ascii") == text else b""


def _signature_for(log_id: str, signatures: str, public_key: bytes) -> bytes:
    # The note format's key hash binds the signature to the log name and this key.
    key_hash = hashlib.sha256(log_id.encode() + b"\n\x01" + public_key).digest()[:4]
    for line in signatures.split("\n"):
        if not line.startswith(SIG_PREFIX):
            continue
        name, _, encoded = line[len(SIG_PREFIX):].partition(" ")
        blob = b64decode(encoded)
        if name == log_id and len(blob) == 68 and blob[:4] == key_hash:
            return blob[4:]
    raise BundleError("signature invalid: checkpoint.txt has no signature line by public_key.hex")


# --- locating the first bad event ------------------------------------------------------------


def first_chain_break(leaves: list[bytes], chain: list[bytes]) -> int | None:
    """0-based index of the first event whose chain value disagrees, or None."""
    prev = bytes(32)
    for index, (leaf, stored) in enumerate(zip(leaves, chain, strict=False)):
        prev = hashlib.sha256(prev + leaf).digest()
        if prev != stored:
            return index
    return None if len(leaves) == len(chain) else min(len(leaves), len(chain))


def first_sequence_break(events: list[dict[str, Any]]) -> int | None:
    """0-based index of the first event whose ``seq`` is not its line number (Lantern numbers
    events 1, 2, 3...); None if they all agree or the events carry no ``seq``."""
    if not events or "seq" not in events[0]:
        return None
    for index, event in enumerate(events):
        if event.get("seq") != index + 1:
            return index
    return None


# --- the verdict -----------------------------------------------------------------------------


def verify(bundle: Path) -> tuple[bool, list[str]]:
    """(ok, lines to print)."""
    try:
        public_key = read_public_key(bundle / "public_key.hex")
        size, signed_root, signed_by = read_checkpoint(bundle / "checkpoint.txt", public_key)
        events = read_events(bundle / "events.jsonl")
        chain = read_chain(bundle / "chain.txt")
    except BundleError as exc:
        return False, [str(exc)]
    try:
        leaves = [leaf_hash(canonical(event)) for event in events]
    except ValueError as exc:
        return False, [f"an event cannot be canonicalised: {exc}"]
    root = merkle_root(leaves)
    matches = len(leaves) == size and root == signed_root
    problems = _locate(events, leaves, chain, matches)
    if len(leaves) < size:
        problems.append(f"log truncated: {len(leaves)} events, checkpoint says {size} "
                        "(events deleted, or the tail cut off)")
    elif len(leaves) > size:
        problems.append(f"{len(leaves)} events but the checkpoint covers only {size}: "
                        "the rest are not verified")
    elif root != signed_root:
        problems.append(f"the {len(leaves)} events do not match the checkpoint root "
                        "(altered, reordered, or a forked history)")
    if problems:
        return False, problems
    return True, [f"OK: {len(leaves)} events, root {root.hex()}, checkpoint {signed_by}"]


def _locate(
    events: list[dict[str, Any]], leaves: list[bytes], chain: list[bytes] | None, matches: bool
) -> list[str]:
    found = []
    if chain is not None:
        index = first_chain_break(leaves, chain)
        if index is not None:
            found.append((index, "its hash chain value in chain.txt breaks here"))
    index = first_sequence_break(events)
    if index is not None:
        found.append((index, f"its sequence number is {events[index].get('seq')!r}, "
                             f"expected {index + 1}: an event was deleted or reordered"))
    if not found:
        return []
    index, why = min(found)
    if matches:  # the signed root vouches for the events; the locator data itself was changed
        return [f"event {index + 1}: the events match the checkpoint, but {why}"]
    return [f"event {index + 1} does not match the checkpoint: {why}"]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    bundle = Path(argv[1])
    if not bundle.is_dir():
        print(f"{bundle} is not a directory", file=sys.stderr)
        return 2
    ok, lines = verify(bundle)
    for line in lines:
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

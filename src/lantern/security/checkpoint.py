"""Signed checkpoints of the audit log (requirement AU-5): ``(log id, size, root, time)``.

A checkpoint is kept outside the database (the witness file, a WORM store, a disclosure
bundle), so rewriting the database cannot rewrite it. The text form is a signed note in the
style of transparency-dev checkpoints and Go's ``golang.org/x/mod/sumdb/note``::

    lantern-audit                   <- origin (the log id)
    1234                            <- tree size, decimal
    q3Vw...base64 root...=          <- Merkle root, standard base64
    2025-01-02T03:04:05Z            <- time (UTC), an extra body line as the format allows
                                    <- blank line ends the signed body
    — lantern-audit AbCd...=        <- em dash, key name, base64(4-byte key hash || signature)

The Ed25519 signature covers the body (the four lines, each ending in a newline). The key hash
is ``SHA-256(name || "\\n" || 0x01 || public key)[:4]`` as in the note format, so the note also
verifies with Go's note package given ``note_verifier_key``. Further signature lines (witness
cosignatures) are allowed and ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_ED25519 = b"\x01"  # the note format's algorithm byte for Ed25519
_SIG_PREFIX = "\u2014 "  # em dash and space start every signature line
_NAME = re.compile(r"[^\s+]+")  # note key names: no spaces, no '+'
_SIZE = re.compile(r"0|[1-9][0-9]*")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class CheckpointError(ValueError):
    """Checkpoint text that cannot be parsed, or fields that cannot be signed."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed ``(size, root, time)`` for the log ``log_id``.

    ``root`` is hex; ``time`` ISO 8601 UTC (``2025-01-02T03:04:05Z``); ``signature`` the base64
    of the 64-byte Ed25519 signature over ``body()``; ``key_id`` the hex of the 4-byte note key
    hash, which tells which key signed it without carrying the key.
    """

    log_id: str
    size: int
    root: str
    time: str
    signature: str
    key_id: str

    def root_bytes(self) -> bytes:
        return bytes.fromhex(self.root)

    def body(self) -> bytes:
        """The signed bytes: origin, size, base64 root and time, one per line."""
        return _body(self.log_id, self.size, self.root_bytes(), self.time)


def _body(log_id: str, size: int, root: bytes, time: str) -> bytes:
    b64root = base64.b64encode(root).decode("ascii")
    return f"{log_id}\n{size}\n{b64root}\n{time}\n".encode()


# --- keys ------------------------------------------------------------------------------------


def generate_key() -> bytes:
    """A new Ed25519 private key, as its 32 raw bytes."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def public_key(private: bytes) -> bytes:
    """The 32 raw bytes of the public key for an Ed25519 private key."""
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def key_hash(log_id: str, public: bytes) -> bytes:
    """The note format's 4-byte key hash, binding the key to the log's name."""
    return hashlib.sha256(log_id.encode() + b"\n" + _ED25519 + public).digest()[:4]


def note_verifier_key(log_id: str, public: bytes) -> str:
    """The key as Go's note package writes it: ``name+hash+base64(0x01 || key)``."""
    encoded = base64.b64encode(_ED25519 + public).decode("ascii")
    return f"{log_id}+{key_hash(log_id, public).hex()}+{encoded}"


# --- signing and verifying -------------------------------------------------------------------


def _format_time(time: datetime | str | None) -> str:
    if time is None:
        time = datetime.now(UTC)
    if isinstance(time, str):
        _parse_time(time)
        return time
    if time.tzinfo is None:
        raise CheckpointError("checkpoint time must be timezone-aware")
    return time.astimezone(UTC).strftime(_TIME_FORMAT)


def _parse_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise CheckpointError(
            f"checkpoint time {text!r} is not like 2025-01-02T03:04:05Z"
        ) from None


def sign_checkpoint(
    log_id: str,
    size: int,
    root: bytes,
    private_key: bytes,
    time: datetime | str | None = None,
) -> Checkpoint:
    """Sign ``(log_id, size, root, time)``; ``time`` defaults to now, to the second, in UTC."""
    if not _NAME.fullmatch(log_id):
        raise CheckpointError(f"log id {log_id!r} must be non-empty, without spaces or '+'")
    if size < 0 or len(root) != 32:
        raise CheckpointError("a checkpoint needs a size >= 0 and a 32-byte root")
    stamp = _format_time(time)
    key = Ed25519PrivateKey.from_private_bytes(private_key)
    signature = key.sign(_body(log_id, size, root, stamp))
    return Checkpoint(
        log_id=log_id,
        size=size,
        root=root.hex(),
        time=stamp,
        signature=base64.b64encode(signature).decode("ascii"),
        key_id=key_hash(log_id, public_key(private_key)).hex(),
    )


def verify_checkpoint(cp: Checkpoint, public_key: bytes) -> bool:
    """True if ``cp`` was signed by the private half of ``public_key`` for ``cp.log_id``."""
    try:
        if key_hash(cp.log_id, public_key).hex() != cp.key_id:
            return False  # signed by another key, or for another log
        signature = base64.b64decode(cp.signature, validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, cp.body())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


# --- text form -------------------------------------------------------------------------------


def checkpoint_to_text(cp: Checkpoint) -> str:
    """The signed note: body, blank line, one signature line; ends with a newline."""
    blob = bytes.fromhex(cp.key_id) + base64.b64decode(cp.signature)
    signature_line = f"{_SIG_PREFIX}{cp.log_id} {base64.b64encode(blob).decode('ascii')}"
    return cp.body().decode("utf-8") + "\n" + signature_line + "\n"


def checkpoint_from_text(text: str) -> Checkpoint:
    """Parse ``checkpoint_to_text`` output. Raises ``CheckpointError``; does not verify."""
    body, sep, signatures = text.partition("\n\n")
    if not sep:
        raise CheckpointError("checkpoint has no blank line before its signature")
    lines = body.split("\n")
    if len(lines) != 4:
        raise CheckpointError(f"checkpoint body has {len(lines)} lines, expected 4")
    log_id, size_text, root_text, time = lines
    if not _NAME.fullmatch(log_id) or not _SIZE.fullmatch(size_text):
        raise CheckpointError("checkpoint origin or size line is malformed")
    root = _b64decode(root_text)
    if len(root) != 32:
        raise CheckpointError("checkpoint root is not a base64 32-byte hash")
    _parse_time(time)
    key_id, signature = _own_signature(log_id, signatures)
    return Checkpoint(log_id, int(size_text), root.hex(), time, signature, key_id)


def _b64decode(text: str) -> bytes:
    """Strict base64: b"" unless ``text`` is the one canonical encoding of its bytes (unused
    low bits set would let two texts carry the same signature or root)."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""
    return data if base64.b64encode(data).decode("ascii") == text else b""


def _own_signature(log_id: str, signatures: str) -> tuple[str, str]:
    """The (key id, base64 signature) of the first signature line by ``log_id``."""
    for line in signatures.split("\n"):
        if not line:
            continue
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError(f"checkpoint signature line {line[:40]!r} is malformed")
        name, _, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        if name != log_id:
            continue  # a witness cosignature
        blob = _b64decode(encoded)
        if len(blob) != 4 + 64:
            break
        return blob[:4].hex(), base64.b64encode(blob[4:]).decode("ascii")
    raise CheckpointError(f"checkpoint has no valid signature line for {log_id!r}")

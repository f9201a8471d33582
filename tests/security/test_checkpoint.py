"""Signed checkpoints (AU-5): round trips, the text format, and tampering that must fail."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lantern.security import checkpoint as cp
from lantern.security import merkle as m

ROOT = bytes(range(32))
TIME = "2025-03-04T05:06:07Z"


@pytest.fixture(scope="module")
def key() -> bytes:
    return cp.generate_key()


def test_keys_are_raw_ed25519(key: bytes) -> None:
    assert len(key) == 32
    assert len(cp.public_key(key)) == 32
    assert cp.public_key(key) == cp.public_key(key)
    assert cp.generate_key() != key


def test_sign_and_verify(key: bytes) -> None:
    signed = cp.sign_checkpoint("lantern-audit", 42, ROOT, key, time=TIME)
    assert (signed.log_id, signed.size, signed.root, signed.time) == ("lantern-audit", 42, ROOT.hex(), TIME)
    assert signed.key_id == cp.key_hash("lantern-audit", cp.public_key(key)).hex()
    assert len(base64.b64decode(signed.signature)) == 64
    assert cp.verify_checkpoint(signed, cp.public_key(key))


def test_another_key_or_altered_fields_fail(key: bytes) -> None:
    signed = cp.sign_checkpoint("lantern-audit", 42, ROOT, key, time=TIME)
    public = cp.public_key(key)
    assert not cp.verify_checkpoint(signed, cp.public_key(cp.generate_key()))
    for altered in (
        cp.Checkpoint(**{**signed.__dict__, "size": 41}),
        cp.Checkpoint(**{**signed.__dict__, "root": bytes(32).hex()}),
        cp.Checkpoint(**{**signed.__dict__, "time": "2025-03-04T05:06:08Z"}),
        cp.Checkpoint(**{**signed.__dict__, "log_id": "other-log"}),
        cp.Checkpoint(**{**signed.__dict__, "signature": "not base64!"}),
        cp.Checkpoint(**{**signed.__dict__, "key_id": "00000000"}),
    ):
        assert not cp.verify_checkpoint(altered, public), altered


def test_text_format_is_a_signed_note(key: bytes) -> None:
    signed = cp.sign_checkpoint("lantern-audit", 42, ROOT, key, time=TIME)
    text = cp.checkpoint_to_text(signed)
    lines = text.split("\n")
    assert lines[:5] == ["lantern-audit", "42", base64.b64encode(ROOT).decode(), TIME, ""]
    assert lines[5].startswith("\u2014 lantern-audit ")
    assert lines[6:] == [""]  # ends with one newline
    blob = base64.b64decode(lines[5].split(" ")[2])
    assert blob[:4].hex() == signed.key_id and len(blob) == 68
    assert cp.checkpoint_from_text(text) == signed
    verifier_key = cp.note_verifier_key("lantern-audit", cp.public_key(key))
    name, key_hash, encoded = verifier_key.split("+", 2)
    assert (name, key_hash) == ("lantern-audit", signed.key_id)
    assert base64.b64decode(encoded) == b"\x01" + cp.public_key(key)


def test_round_trip_through_text_verifies(key: bytes) -> None:
    signed = cp.sign_checkpoint("lantern-audit", 0, m.EMPTY_ROOT, key)
    parsed = cp.checkpoint_from_text(cp.checkpoint_to_text(signed))
    assert cp.verify_checkpoint(parsed, cp.public_key(key))


def test_every_flipped_byte_of_the_text_fails(key: bytes) -> None:
    text = cp.checkpoint_to_text(cp.sign_checkpoint("lantern-audit", 1234, ROOT, key, time=TIME))
    raw = text.encode()
    public = cp.public_key(key)
    for position in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[position] ^= 1 << bit
            try:
                parsed = cp.checkpoint_from_text(flipped.decode("utf-8"))
            except (UnicodeDecodeError, cp.CheckpointError):
                continue  # rejected while parsing
            assert not cp.verify_checkpoint(parsed, public), (position, bit)


def test_witness_cosignatures_are_ignored(key: bytes) -> None:
    text = cp.checkpoint_to_text(cp.sign_checkpoint("lantern-audit", 7, ROOT, key, time=TIME))
    witness = cp.checkpoint_to_text(cp.sign_checkpoint("witness", 7, ROOT, cp.generate_key(), time=TIME))
    cosigned = text + witness.split("\n")[5] + "\n"
    assert cp.verify_checkpoint(cp.checkpoint_from_text(cosigned), cp.public_key(key))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "lantern-audit\n1\n",
        "lantern-audit\n01\nAAAA\n2025-03-04T05:06:07Z\n\n\u2014 lantern-audit AAAA\n",
        "lantern audit\n1\nAAAA\n2025-03-04T05:06:07Z\n\n\u2014 lantern-audit AAAA\n",
        "lantern-audit\n1\nAAAA\n2025-03-04T05:06:07Z\n\n\u2014 lantern-audit AAAA\n",
        "lantern-audit\n1\n" + base64.b64encode(ROOT).decode() + "\nyesterday\n\n\u2014 x AAAA\n",
        "lantern-audit\n1\n" + base64.b64encode(ROOT).decode() + "\n" + TIME + "\n\n\u2014 x AAAA\n",
        "lantern-audit\n1\n" + base64.b64encode(ROOT).decode() + "\n" + TIME + "\n\ngarbage\n",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(cp.CheckpointError):
        cp.checkpoint_from_text(text)


def test_time_is_utc_to_the_second(key: bytes) -> None:
    now = cp.sign_checkpoint("lantern-audit", 1, ROOT, key)
    parsed = datetime.strptime(now.time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - parsed) < timedelta(minutes=1)
    plus_two = datetime(2025, 3, 4, 7, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    assert cp.sign_checkpoint("lantern-audit", 1, ROOT, key, time=plus_two).time == TIME
    with pytest.raises(cp.CheckpointError):
        cp.sign_checkpoint("lantern-audit", 1, ROOT, key, time=datetime(2025, 3, 4))
    with pytest.raises(cp.CheckpointError):
        cp.sign_checkpoint("lantern-audit", 1, ROOT, key, time="4 March 2025")
    with pytest.raises(cp.CheckpointError):
        cp.sign_checkpoint("lantern audit", 1, ROOT, key)
    with pytest.raises(cp.CheckpointError):
        cp.sign_checkpoint("lantern-audit", 1, ROOT[:31], key)


def test_consistency_between_two_honest_checkpoints(key: bytes) -> None:
    """AU-5: a consistency proof between two honest checkpoints verifies; a fork's does not."""
    leaves = [m.leaf_hash(m.canonical_event({"seq": i})) for i in range(1, 101)]
    public = cp.public_key(key)
    old = cp.checkpoint_from_text(cp.checkpoint_to_text(
        cp.sign_checkpoint("lantern-audit", 37, m.root(leaves[:37]), key)))
    new = cp.checkpoint_from_text(cp.checkpoint_to_text(
        cp.sign_checkpoint("lantern-audit", 100, m.root(leaves), key)))
    assert cp.verify_checkpoint(old, public) and cp.verify_checkpoint(new, public)
    proof = m.consistency_proof(leaves, old.size)
    assert m.verify_consistency(old.size, new.size, old.root_bytes(), new.root_bytes(), proof)
    fork = leaves[:30] + [m.leaf_hash(m.canonical_event({"seq": i, "fork": True})) for i in range(31, 101)]
    forked = cp.sign_checkpoint("lantern-audit", 100, m.root(fork), key)
    fork_proof = m.consistency_proof(fork, old.size)
    assert not m.verify_consistency(old.size, 100, old.root_bytes(), forked.root_bytes(), fork_proof)

"""The standalone bundle verifier (AU-7: "the exported bundle verifies offline with a
standalone verifier"), run as a court expert would run it, and on every AU-5 mutation."""

from __future__ import annotations

import ast
import importlib.util
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lantern.security import checkpoint as cp
from lantern.security import merkle as m

TOOL = Path(__file__).resolve().parents[2] / "tools" / "lantern_verify_audit.py"
N = 40


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lantern_verify_audit", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def make_events(n: int, tag: str = "") -> list[dict[str, Any]]:
    return [
        {"seq": i, "at": f"2025-01-01T00:00:{i % 60:02d}Z", "user": f"analyst{i % 3}",
         "action": "CONSULT", "operation": f"person.view{tag}", "purpose": "investigation",
         "objects": [str(1000 + i)], "detail": {"note": "Zoë → Ødegård"}}
        for i in range(1, n + 1)
    ]


def write_bundle(folder: Path, events: list[dict[str, Any]], key: bytes, *,
                 signed_events: list[dict[str, Any]] | None = None, chain: bool = True) -> Path:
    """A bundle of ``events``, checkpointed over ``signed_events`` (default: the same)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [m.canonical_event(e) for e in events]
    (folder / "events.jsonl").write_bytes(b"".join(line + b"\n" for line in lines))
    signed = [m.leaf_hash(m.canonical_event(e)) for e in (signed_events or events)]
    checkpoint = cp.sign_checkpoint("lantern-audit", len(signed), m.root(signed), key)
    (folder / "checkpoint.txt").write_text(cp.checkpoint_to_text(checkpoint), encoding="utf-8")
    (folder / "public_key.hex").write_text(cp.public_key(key).hex() + "\n")
    if chain:
        values = m.chain([m.leaf_hash(line) for line in lines])
        (folder / "chain.txt").write_text("".join(v.hex() + "\n" for v in values))
    return folder


def run(folder: Path) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, str(TOOL), str(folder)], capture_output=True,
                          text=True, timeout=60, check=False)
    return done.returncode, done.stdout.splitlines()


@pytest.fixture(scope="module")
def key() -> bytes:
    return cp.generate_key()


# --- standalone --------------------------------------------------------------------------------


def test_imports_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_its_hashing_agrees_with_lantern() -> None:
    rng = random.Random(7)
    for size in [0, 1, 2, 3, 5, 8, 13, 100, 257]:
        leaves = [rng.randbytes(32) for _ in range(size)]
        assert tool.merkle_root(leaves) == m.root(leaves)
        assert tool.first_chain_break(leaves, m.chain(leaves)) is None
    event = make_events(1)[0]
    assert tool.canonical(event) == m.canonical_event(event)
    assert tool.leaf_hash(b"x") == m.leaf_hash(b"x")


# --- honest bundles --------------------------------------------------------------------------


def test_an_honest_bundle_verifies(tmp_path: Path, key: bytes) -> None:
    events = make_events(N)
    code, out = run(write_bundle(tmp_path, events, key))
    root = m.root([m.leaf_hash(m.canonical_event(e)) for e in events]).hex()
    assert code == 0, out
    assert out[0].startswith(f"OK: {N} events, root {root}, checkpoint lantern-audit at ")


def test_an_honest_bundle_verifies_without_chain(tmp_path: Path, key: bytes) -> None:
    assert run(write_bundle(tmp_path, make_events(N), key, chain=False))[0] == 0


def test_an_empty_log_verifies(tmp_path: Path, key: bytes) -> None:
    code, out = run(write_bundle(tmp_path, [], key))
    assert code == 0 and out[0].startswith("OK: 0 events, root e3b0c442")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert subprocess.run([sys.executable, str(TOOL)], capture_output=True, check=False).returncode == 2
    missing = tmp_path / "nope"
    assert subprocess.run([sys.executable, str(TOOL), str(missing)], capture_output=True,
                          check=False).returncode == 2


# --- the AU-5 mutations, each with a clear message -----------------------------------------------


def test_flipped_byte_in_an_event(tmp_path: Path, key: bytes) -> None:
    bundle = write_bundle(tmp_path, make_events(N), key)
    lines = (bundle / "events.jsonl").read_bytes().split(b"\n")
    lines[16] = lines[16].replace(b"analyst2", b"analyst3")  # event 17, still valid JSON
    (bundle / "events.jsonl").write_bytes(b"\n".join(lines))
    code, out = run(bundle)
    assert code == 1
    assert out[0] == "event 17 does not match the checkpoint: its hash chain value in chain.txt breaks here"
    assert "do not match the checkpoint root" in out[1]


def test_flipped_byte_without_chain_still_fails(tmp_path: Path, key: bytes) -> None:
    bundle = write_bundle(tmp_path, make_events(N), key, chain=False)
    data = bytearray((bundle / "events.jsonl").read_bytes())
    data[data.index(b"analyst") + 7] ^= 1
    (bundle / "events.jsonl").write_bytes(bytes(data))
    code, out = run(bundle)
    assert code == 1 and out == [
        f"the {N} events do not match the checkpoint root (altered, reordered, or a forked history)"]


def test_any_flipped_bit_in_any_event_names_that_event(tmp_path: Path, key: bytes) -> None:
    """In process (no subprocess per case): every event, a random byte and bit each."""
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    bundle = write_bundle(tmp_path, make_events(N), key)
    honest = (bundle / "events.jsonl").read_bytes()
    for index in range(N):
        lines = honest.split(b"\n")
        line = bytearray(lines[index])
        line[rng.randrange(len(line))] ^= 1 << rng.randrange(8)
        lines[index] = bytes(line)
        (bundle / "events.jsonl").write_bytes(b"\n".join(lines))
        ok, out = tool.verify(bundle)
        assert not ok, f"seed {seed}, event {index + 1}"
        assert out[0].startswith(f"event {index + 1} "), f"seed {seed}: {out}"


def test_deleted_event(tmp_path: Path, key: bytes) -> None:
    events = make_events(N)
    bundle = write_bundle(tmp_path, events[:9] + events[10:], key, signed_events=events)
    code, out = run(bundle)
    assert code == 1
    assert out[0].startswith("event 10 does not match the checkpoint: ")
    assert out[1].startswith(f"log truncated: {N - 1} events, checkpoint says {N}")
    # Without chain.txt, Lantern's sequence numbers still locate it.
    (bundle / "chain.txt").unlink()
    code, out = run(bundle)
    assert code == 1
    assert out[0] == ("event 10 does not match the checkpoint: its sequence number is 11, "
                      "expected 10: an event was deleted or reordered")


def test_reordered_events(tmp_path: Path, key: bytes) -> None:
    events = make_events(N)
    swapped = list(events)
    swapped[4], swapped[30] = swapped[30], swapped[4]
    code, out = run(write_bundle(tmp_path, swapped, key, signed_events=events))
    assert code == 1 and out[0].startswith("event 5 does not match the checkpoint: ")


def test_truncated_tail(tmp_path: Path, key: bytes) -> None:
    events = make_events(N)
    code, out = run(write_bundle(tmp_path, events[:30], key, signed_events=events))
    assert code == 1
    assert out == [f"log truncated: 30 events, checkpoint says {N} (events deleted, or the tail cut off)"]


def test_extra_events_beyond_the_checkpoint(tmp_path: Path, key: bytes) -> None:
    events = make_events(N)
    code, out = run(write_bundle(tmp_path, events, key, signed_events=events[:35]))
    assert code == 1 and out == [f"{N} events but the checkpoint covers only 35: the rest are not verified"]


def test_forked_history(tmp_path: Path, key: bytes) -> None:
    events = make_events(N)
    fork = events[:25] + make_events(N, tag=".fork")[25:]
    code, out = run(write_bundle(tmp_path, fork, key, signed_events=events))
    assert code == 1
    assert out == [f"the {N} events do not match the checkpoint root (altered, reordered, or a forked history)"]


def test_signature_invalid(tmp_path: Path, key: bytes) -> None:
    bundle = write_bundle(tmp_path, make_events(N), key)
    text = (bundle / "checkpoint.txt").read_text(encoding="utf-8")
    (bundle / "checkpoint.txt").write_text(text.replace(f"\n{N}\n", f"\n{N + 1}\n"), encoding="utf-8")
    code, out = run(bundle)
    assert code == 1 and out[0].startswith("signature invalid")


def test_signed_by_another_key(tmp_path: Path, key: bytes) -> None:
    bundle = write_bundle(tmp_path, make_events(N), key)
    (bundle / "public_key.hex").write_text(cp.public_key(cp.generate_key()).hex())
    code, out = run(bundle)
    assert code == 1 and out[0].startswith("signature invalid")


def test_every_flipped_bit_of_the_checkpoint_fails(tmp_path: Path, key: bytes) -> None:
    bundle = write_bundle(tmp_path, make_events(5), key)
    raw = (bundle / "checkpoint.txt").read_bytes()
    for position in range(len(raw)):
        for bit in range(8):
            flipped = bytearray(raw)
            flipped[position] ^= 1 << bit
            (bundle / "checkpoint.txt").write_bytes(bytes(flipped))
            ok, out = tool.verify(bundle)
            assert not ok, (position, bit)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json\n", "event 1 (events.jsonl line 1) is unreadable"),
        (b"[1, 2]\n", "event 1 (events.jsonl line 1) is not a JSON object"),
        (b'{"a": 1, "a": 2}\n', "event 1 (events.jsonl line 1) is unreadable: a key appears twice"),
        (b'{"a": NaN}\n', "event 1 (events.jsonl line 1) is unreadable: NaN is not JSON"),
        (b'{"a": "\xff"}\n', "event 1 (events.jsonl line 1) is unreadable"),
    ],
)
def test_unreadable_events(tmp_path: Path, key: bytes, content: bytes, message: str) -> None:
    bundle = write_bundle(tmp_path, make_events(1), key)
    (bundle / "events.jsonl").write_bytes(content)
    code, out = run(bundle)
    assert code == 1 and out[0].startswith(message), out


def test_missing_files(tmp_path: Path, key: bytes) -> None:
    bundle = write_bundle(tmp_path, make_events(3), key)
    (bundle / "checkpoint.txt").unlink()
    code, out = run(bundle)
    assert code == 1 and out[0].startswith("cannot read checkpoint.txt")

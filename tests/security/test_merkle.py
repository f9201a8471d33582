"""The audit log's Merkle tree (AU-5): known answers, a reference implementation, proofs, and
the mutations that must be detected and located."""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantern.security import merkle as m

SEED = int(os.environ.get("LANTERN_TEST_SEED", random.randrange(2**32)))
print(f"test_merkle random seed: {SEED} (rerun with LANTERN_TEST_SEED={SEED})")

# --- RFC 6962 section 2.1, written as recursively as the RFC, to check the fast code ---------


def ref_mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return m.node_hash(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if index < k:
        return ref_path(index, leaves[:k]) + [ref_mth(leaves[k:])]
    return ref_path(index - k, leaves[k:]) + [ref_mth(leaves[:k])]


def ref_subproof(old: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if old == n:
        return [] if complete else [ref_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if old <= k:
        return ref_subproof(old, leaves[:k], complete) + [ref_mth(leaves[k:])]
    return ref_subproof(old - k, leaves[k:], False) + [ref_mth(leaves[:k])]


def leaves_of(n: int, salt: bytes = b"") -> list[bytes]:
    return [m.leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


# --- known answers: the certificate-transparency reference tree -------------------------------

CT_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_LEAVES = [m.leaf_hash(d) for d in CT_INPUTS]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
H_01 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
H_23 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_47 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_4 = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_67 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_5 = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
CT_PATHS = [  # (index, tree size, audit path)
    (0, 1, []),
    (0, 8, [H_01, H_23, H_47]),
    (5, 8, [H_4, H_67, CT_ROOTS[3]]),
    (2, 3, [CT_ROOTS[1]]),
    (1, 5, [CT_ROOTS[0], H_23, H_4]),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, [H_01, H_23, H_47]),
    (6, 8, [H_5, H_67, CT_ROOTS[3]]),
    (2, 5, [H_23, H_4]),
]


def test_empty_tree_is_the_hash_of_nothing() -> None:
    assert m.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert m.MerkleTree([]).root() == m.EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert m.leaf_hash(b"").hex() == CT_ROOTS[0]
    left, right = CT_LEAVES[0], CT_LEAVES[1]
    assert m.node_hash(left, right) != m.leaf_hash(left + right)
    assert m.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(size: int) -> None:
    assert m.root(CT_LEAVES[:size]).hex() == CT_ROOTS[size - 1]
    assert m.MerkleTree(CT_LEAVES).root(size).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_PATHS)
def test_known_inclusion_proofs(index: int, size: int, path: list[str]) -> None:
    proof = m.inclusion_proof(CT_LEAVES[:size], index)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert m.verify_inclusion(CT_LEAVES[index], index, size, proof, root)


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_known_consistency_proofs(old: int, new: int, path: list[str]) -> None:
    proof = m.consistency_proof(CT_LEAVES[:new], old)
    assert [p.hex() for p in proof] == path
    old_root, new_root = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    assert m.verify_consistency(old, new, old_root, new_root, proof)


# --- against the reference, on random trees ---------------------------------------------------


def test_matches_the_reference_on_random_trees() -> None:
    rng = random.Random(SEED)
    for size in range(1, 301):
        leaves = [rng.randbytes(32) for _ in range(size)]
        tree = m.MerkleTree(leaves)
        expected = ref_mth(leaves)
        assert m.root(leaves) == expected == tree.root(), f"size {size}, seed {SEED}"
        for index in rng.sample(range(size), min(size, 5)):
            proof = tree.inclusion_proof(index)
            assert proof == ref_path(index, leaves), f"size {size} index {index}, seed {SEED}"
            assert m.verify_inclusion(leaves[index], index, size, proof, expected)
        for old in rng.sample(range(1, size + 1), min(size, 5)):
            proof = tree.consistency_proof(old)
            assert proof == ref_subproof(old, leaves, True), f"{old}->{size}, seed {SEED}"
            assert m.verify_consistency(old, size, ref_mth(leaves[:old]), expected, proof)


def test_prefix_roots_and_proofs_match_a_tree_of_that_prefix() -> None:
    leaves = leaves_of(77)
    tree = m.MerkleTree(leaves)
    for size in range(0, 78):
        assert tree.root(size) == m.root(leaves[:size])
        for index in range(size):
            assert tree.inclusion_proof(index, size) == m.inclusion_proof(leaves[:size], index)
        for old in range(size + 1):
            assert tree.consistency_proof(old, size) == m.consistency_proof(leaves[:size], old)


# --- inclusion --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 100, 257])
def test_inclusion_proofs_verify_for_every_index(size: int) -> None:
    leaves = leaves_of(size)
    tree = m.MerkleTree(leaves)
    root = tree.root()
    for index in range(size):
        proof = tree.inclusion_proof(index)
        assert m.verify_inclusion(leaves[index], index, size, proof, root)
        other = (index + 1) % size
        if other != index:
            assert not m.verify_inclusion(leaves[other], index, size, proof, root)
            assert not m.verify_inclusion(leaves[index], other, size, proof, root)
        assert not m.verify_inclusion(leaves[index], index, size, proof, m.leaf_hash(b"x"))
        # (The size itself is not bound by the path: the signed checkpoint binds it to the root.)
        assert not m.verify_inclusion(leaves[index], index, size, [*proof, root], root)
        if proof:
            bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            assert not m.verify_inclusion(leaves[index], index, size, bad, root)
            assert not m.verify_inclusion(leaves[index], index, size, proof[:-1], root)


def test_inclusion_rejects_malformed_input() -> None:
    leaves = leaves_of(5)
    root = m.root(leaves)
    proof = m.inclusion_proof(leaves, 2)
    assert not m.verify_inclusion(leaves[2], 5, 5, proof, root)
    assert not m.verify_inclusion(leaves[2], -1, 5, proof, root)
    assert not m.verify_inclusion(leaves[2][:31], 2, 5, proof, root)
    assert not m.verify_inclusion(leaves[2], 2, 5, [p[:31] for p in proof], root)
    with pytest.raises(ValueError):
        m.inclusion_proof(leaves, 5)
    with pytest.raises(ValueError):
        m.root([b"short"])


# --- consistency ------------------------------------------------------------------------------


def test_consistency_proofs_verify_for_every_pair_up_to_64() -> None:
    leaves = leaves_of(64)
    tree = m.MerkleTree(leaves)
    roots = [tree.root(size) for size in range(65)]
    for new in range(0, 65):
        for old in range(0, new + 1):
            proof = tree.consistency_proof(old, new)
            assert m.verify_consistency(old, new, roots[old], roots[new], proof), (old, new)
            if 0 < old < new:
                assert not m.verify_consistency(old, new, roots[old - 1], roots[new], proof)
                assert not m.verify_consistency(old, new, roots[old], roots[new - 1], proof)
                for i in range(len(proof)):
                    bad = list(proof)
                    bad[i] = bytes([bad[i][0] ^ 1]) + bad[i][1:]
                    assert not m.verify_consistency(old, new, roots[old], roots[new], bad)


def test_consistency_fails_for_a_forked_history() -> None:
    honest = leaves_of(40)
    forked = honest[:25] + leaves_of(15, salt=b"fork")
    old_root = m.root(honest[:30])  # a checkpoint taken before the fork was written
    proof = m.consistency_proof(forked, 30)
    assert not m.verify_consistency(30, 40, old_root, m.root(forked), proof)


def test_consistency_edge_cases() -> None:
    leaves = leaves_of(10)
    root = m.root(leaves)
    assert m.verify_consistency(0, 10, m.EMPTY_ROOT, root, [])
    assert not m.verify_consistency(0, 10, root, root, [])
    assert m.verify_consistency(10, 10, root, root, [])
    assert not m.verify_consistency(10, 10, root, m.EMPTY_ROOT, [])
    assert not m.verify_consistency(4, 10, m.root(leaves[:4]), root, [])
    assert not m.verify_consistency(11, 10, root, root, [])
    with pytest.raises(ValueError):
        m.consistency_proof(leaves, 11)


# --- canonical events -------------------------------------------------------------------------


def test_canonical_event_is_sorted_compact_utf8() -> None:
    event = {"user": "analyst1", "detail": {"b": 1, "a": [1, "Zoë"]}, "action": "CONSULT"}
    data = m.canonical_event(event)
    assert data == '{"action":"CONSULT","detail":{"a":[1,"Zoë"],"b":1},"user":"analyst1"}'.encode()
    with pytest.raises(ValueError):
        m.canonical_event({"x": float("nan")})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_canonical_bytes_survive_a_json_round_trip(event: dict[str, object]) -> None:
    data = m.canonical_event(event)
    assert m.canonical_event(json.loads(data.decode("utf-8"))) == data


# --- mutations: detected by checkpoints, located by the chain ---------------------------------


def stored_log(n: int) -> list[bytes]:
    """Canonical bytes of n synthetic audit events, as the audit table stores them."""
    return [
        m.canonical_event({"seq": i + 1, "user": f"analyst{i % 3}", "action": "CONSULT",
                           "operation": "person.view", "objects": [str(1000 + i)]})
        for i in range(n)
    ]


def honest(n: int = 40) -> tuple[list[bytes], list[bytes], dict[int, bytes]]:
    """(leaves, stored chain values, checkpoint roots every 10 events and at the end)."""
    leaves = [m.leaf_hash(d) for d in stored_log(n)]
    chain = m.chain(leaves)
    checkpoints = {size: m.root(leaves[:size]) for size in [*range(10, n, 10), n]}
    return leaves, chain, checkpoints


def test_an_honest_log_has_no_divergence() -> None:
    leaves, chain, checkpoints = honest()
    assert m.first_divergence(leaves, checkpoints, chain) is None
    assert m.first_divergence(leaves, checkpoints) is None
    assert m.first_chain_break(leaves, chain) is None
    assert m.first_divergence([], {}, []) is None


@pytest.mark.parametrize("index", range(40))
def test_flipping_one_byte_in_any_event_is_found_at_that_event(index: int) -> None:
    data = stored_log(40)
    leaves, chain, checkpoints = honest()
    rng = random.Random(SEED + index)
    event = bytearray(data[index])
    event[rng.randrange(len(event))] ^= 1 << rng.randrange(8)
    data[index] = bytes(event)
    tampered = [m.leaf_hash(d) for d in data]
    assert m.root(tampered) != checkpoints[40], f"seed {SEED}"
    found = m.first_divergence(tampered, checkpoints, chain)
    assert found is not None and found.exact and found.index == index, f"seed {SEED}"
    # An attacker who also rewrites the chain only moves it back to the checkpoint bracket.
    bracket = m.first_divergence(tampered, checkpoints, m.chain(tampered))
    assert bracket is not None and bracket.first <= index <= bracket.last
    assert bracket.kind == "checkpoint" and bracket.first == index // 10 * 10


@pytest.mark.parametrize("index", [0, 17, 39])
def test_deleting_an_event_is_found_at_that_event(index: int) -> None:
    leaves, chain, checkpoints = honest()
    del leaves[index], chain[index]  # the row goes with its stored chain value
    found = m.first_divergence(leaves, checkpoints, chain)
    assert found is not None and found.exact and found.index == index
    assert m.first_divergence(leaves, checkpoints) is not None


@pytest.mark.parametrize(("i", "j"), [(0, 1), (5, 33), (38, 39)])
def test_reordering_two_events_is_found_at_the_first(i: int, j: int) -> None:
    leaves, chain, checkpoints = honest()
    leaves[i], leaves[j] = leaves[j], leaves[i]
    chain[i], chain[j] = chain[j], chain[i]
    assert m.root(leaves) != checkpoints[40]
    found = m.first_divergence(leaves, checkpoints, chain)
    assert found is not None and found.exact and found.index == i


@pytest.mark.parametrize("keep", [0, 25, 30, 39])
def test_truncating_the_tail_or_restoring_a_backup_is_found(keep: int) -> None:
    leaves, chain, checkpoints = honest()
    found = m.first_divergence(leaves[:keep], checkpoints, chain[:keep])
    assert found is not None and found.kind == "truncated" and found.exact and found.index == keep
    # Without the chain, the checkpoints bracket it: from the last one that still matches.
    bracket = m.first_divergence(leaves[:keep], checkpoints)
    assert bracket is not None and bracket.kind == "truncated"
    assert (bracket.first, bracket.last) == (keep // 10 * 10, keep)
    witness = {size: m.root(leaves[:size]) for size in range(41)}  # one per event
    exact = m.first_divergence(leaves[:keep], witness)
    assert exact is not None and exact.exact and exact.index == keep


@pytest.mark.parametrize("prefix", [0, 12, 20, 39])
def test_a_forked_history_is_found_where_it_forks(prefix: int) -> None:
    leaves, _, checkpoints = honest()
    other = leaves[:prefix] + leaves_of(40 - prefix, salt=b"other history")
    other_chain = m.chain(other)  # the fork was written honestly: its own chain is intact
    assert m.root(other) != checkpoints[40]
    found = m.first_divergence(other, checkpoints, other_chain)
    assert found is not None and found.kind == "checkpoint"
    assert found.first <= prefix <= found.last
    witness = {size: m.root(leaves[:size]) for size in range(41)}
    exact = m.first_divergence(other, witness, other_chain)
    assert exact is not None and exact.exact and exact.index == prefix


def test_an_altered_chain_value_alone_is_found() -> None:
    leaves, chain, checkpoints = honest()
    chain[7] = bytes(32)
    found = m.first_divergence(leaves, checkpoints, chain)
    assert found is not None and found.kind == "chain" and found.index == 7


# --- size -------------------------------------------------------------------------------------


def test_root_of_a_million_leaves_agrees_with_the_tree() -> None:
    # Speed is measured in bench/audit.py (verify over 1M events), not asserted here.
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1_000_000)]
    assert m.root(leaves) == m.MerkleTree(leaves).root()

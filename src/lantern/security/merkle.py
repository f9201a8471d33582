"""The Merkle tree behind the tamper-evident audit log (requirement AU-5).

Pure functions over bytes, no database. Audit events are the leaves of an RFC 6962 / RFC 9162
Merkle tree with SHA-256:

* the bytes hashed for an event are ``canonical_event(event)``: compact, key-sorted UTF-8 JSON;
* leaf hash ``H(0x00 || event bytes)``, interior node ``H(0x01 || left || right)``; the 0x00 and
  0x01 prefixes stop a leaf from being passed off as a node (second-preimage attack);
* the tree is RFC 6962's left-balanced tree: the left subtree of ``n`` leaves holds the largest
  power of two strictly below ``n``. The empty tree's hash is ``SHA-256("")``.

A signed checkpoint (see ``checkpoint.py``) pins ``(size, root)``; inclusion proofs show an event
is in a checkpointed tree and consistency proofs show a newer tree extends an older one.

The Merkle root says *that* a log changed, not *where*. ``chain_hash`` adds a running hash chain,
stored with each event, which locates the first changed, deleted or reordered event exactly, and
``first_divergence`` combines both kinds of evidence.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # MTH({}) in RFC 6962 2.1
CHAIN_GENESIS = bytes(HASH_SIZE)  # the chain value "before" event 0

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --- hashing ---------------------------------------------------------------------------------


def canonical_event(event: dict[str, Any]) -> bytes:
    """The exact bytes hashed for an audit event.

    ``json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` encoded as
    UTF-8: keys sorted, no whitespace, non-ASCII kept as UTF-8 rather than ``\\uXXXX``. Parsing
    these bytes as JSON and canonicalising again gives the same bytes, which is what lets the
    standalone verifier re-hash ``events.jsonl``. NaN and infinities are refused (``allow_nan``)
    because they are not JSON and other verifiers could not parse them.
    """
    text = json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def chain_hash(prev: bytes, leaf: bytes) -> bytes:
    """One link of the running hash chain: ``SHA-256(prev || leaf)``.

    Store ``chain_hash(previous event's chain value, this event's leaf hash)`` with every event,
    starting from ``CHAIN_GENESIS``. Changing, deleting or reordering an event breaks the chain
    at that event (unless the attacker also rewrites every later chain value, which the signed
    Merkle checkpoints still catch).
    """
    return hashlib.sha256(prev + leaf).digest()


def chain(leaf_hashes: Sequence[bytes], prev: bytes = CHAIN_GENESIS) -> list[bytes]:
    """The chain value after each leaf, starting from ``prev``."""
    values = []
    for leaf in leaf_hashes:
        prev = chain_hash(prev, leaf)
        values.append(prev)
    return values


def first_chain_break(
    leaf_hashes: Sequence[bytes], stored_chain: Sequence[bytes], prev: bytes = CHAIN_GENESIS
) -> int | None:
    """Index of the first event whose stored chain value disagrees with the leaves, or None.

    If one list is longer, the first index past the shorter one is the break.
    """
    for index, (leaf, stored) in enumerate(zip(leaf_hashes, stored_chain, strict=False)):
        prev = chain_hash(prev, leaf)
        if prev != stored:
            return index
    if len(leaf_hashes) != len(stored_chain):
        return min(len(leaf_hashes), len(stored_chain))
    return None


# --- the tree --------------------------------------------------------------------------------


def _check_hashes(hashes: Sequence[bytes], what: str) -> None:
    for index, value in enumerate(hashes):
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            raise ValueError(f"{what} {index} is not a {HASH_SIZE}-byte hash")


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2): RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _next_level(level: list[bytes]) -> list[bytes]:
    # Pair neighbours; an odd last node moves up unchanged. Levels built this way give exactly
    # RFC 6962's left-balanced tree, without its recursion.
    sha = hashlib.sha256
    upper = [
        sha(_NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
    ]
    if len(level) % 2:
        upper.append(level[-1])
    return upper


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over leaf hashes (not over raw events)."""
    _check_hashes(leaf_hashes, "leaf hash")
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


class MerkleTree:
    """All levels of the tree, kept so that many proofs cost O(log n) each after one O(n) build.

    ``levels[h][j]`` is the hash of leaves ``[j * 2**h, min((j + 1) * 2**h, size))``. Proofs
    and roots can be asked for any prefix ``tree_size <= size``, i.e. any earlier checkpoint.
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        _check_hashes(leaf_hashes, "leaf hash")
        self.size = len(leaf_hashes)
        self._levels = [list(leaf_hashes)]
        while len(self._levels[-1]) > 1:
            self._levels.append(_next_level(self._levels[-1]))

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a node of the RFC 6962 tree of some prefix of the leaves."""
        width = end - start
        height = (width - 1).bit_length()
        if width == 1 << height or end == self.size:  # a full node, or the right edge
            return self._levels[height][start >> height]
        k = 1 << (height - 1)  # the right edge of a shorter prefix: split as RFC 6962 does
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _check_size(self, tree_size: int | None) -> int:
        size = self.size if tree_size is None else tree_size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} is outside 0..{self.size}")
        return size

    def root(self, tree_size: int | None = None) -> bytes:
        """The root of the first ``tree_size`` leaves (default: all)."""
        size = self._check_size(tree_size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> list[bytes]:
        """RFC 6962 2.1.1 PATH(index, D[0:tree_size]), leaf-side sibling first."""
        size = self._check_size(tree_size)
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a tree of {size} leaves")
        proof = []
        start, end, m = 0, size, index
        while end - start > 1:  # walk down from the root; the proof lists the siblings upwards
            k = _split(end - start)
            if m < k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start, m = start + k, m - k
        return proof[::-1]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 6962 2.1.2 PROOF(old_size, D[0:new_size]); empty if old_size is 0 or new_size."""
        new = self._check_size(new_size)
        if not 0 <= old_size <= new:
            raise ValueError(f"old size {old_size} is outside 0..{new}")
        if old_size in (0, new):
            return []
        proof = []
        start, end, m, whole_old_tree = 0, new, old_size, True
        while m != end - start:  # SUBPROOF, unrolled
            k = _split(end - start)
            if m <= k:
                proof.append(self._subtree(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree(start, start + k))
                start, m, whole_old_tree = start + k, m - k, False
        if not whole_old_tree:  # the verifier already has the old root when it is this node
            proof.append(self._subtree(start, end))
        return proof[::-1]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of all ``leaf_hashes``."""
    return MerkleTree(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the tree of the first ``old_size`` leaves is a prefix of the whole tree."""
    return MerkleTree(leaf_hashes).consistency_proof(old_size)


# --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) --------------------------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if ``proof`` shows ``leaf_hash`` at ``index`` in the tree ``(tree_size, root)``."""
    if not (0 <= index < tree_size and _is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # skip levels where this node had no right sibling
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows tree ``(new_size, new_root)`` extends ``(old_size, old_root)``."""
    if not (0 <= old_size <= new_size and _is_hash(old_root) and _is_hash(new_root)):
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    if old_size == 0:  # everything extends the empty tree
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a full subtree: its root starts the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


# --- locating tampering ---------------------------------------------------------------------


@dataclass(frozen=True)
class Divergence:
    """Where the stored log first disagrees with the evidence.

    The first bad event lies in ``first..last`` (inclusive). ``exact`` (first == last) when the
    chain or adjacent checkpoints pin it down; otherwise checkpoints only bracket it. ``kind``:
    ``"chain"`` (stored chain value disagrees), ``"checkpoint"`` (a prefix root disagrees with a
    checkpoint) or ``"truncated"`` (a checkpoint covers more events than are stored).
    ``checkpoint_size`` is the failing checkpoint, if one failed.
    """

    first: int
    last: int
    kind: str
    checkpoint_size: int | None = None

    @property
    def index(self) -> int:
        return self.first

    @property
    def exact(self) -> bool:
        return self.first == self.last


def _checkpoint_divergence(
    tree: MerkleTree, expected_roots: Mapping[int, bytes]
) -> Divergence | None:
    good = 0  # the largest checkpointed prefix that matched
    for size in sorted(expected_roots):
        if size > tree.size:
            return Divergence(good, tree.size, "truncated", size)
        if tree.root(size) != expected_roots[size]:
            return Divergence(good, size - 1, "checkpoint", size)
        good = size
    return None


def first_divergence(
    leaf_hashes: Sequence[bytes],
    expected_roots: Mapping[int, bytes],
    stored_chain: Sequence[bytes] | None = None,
) -> Divergence | None:
    """Compare stored leaves with checkpoint roots (``{size: root}``) and, if given, the stored
    chain values. None when everything agrees.

    Each checkpoint root is checked against the prefix of that size (O(log n) each after one
    O(n) tree build), so the first bad event is bracketed between the last matching checkpoint
    and the first failing one. A chain break inside (or before) that bracket names the event
    exactly; one past it is ignored, since it cannot be the first bad event. An intact chain
    on a log shorter than a checkpoint names the first missing event. (The chain is unkeyed:
    it locates edits made without rewriting it; the checkpoints detect all edits.)
    """
    found = _checkpoint_divergence(MerkleTree(leaf_hashes), expected_roots)
    if stored_chain is None:
        return found
    size = found.checkpoint_size if found else None
    broken = first_chain_break(leaf_hashes, stored_chain)
    if broken is not None and (found is None or broken <= found.last):
        return Divergence(broken, broken, "chain", size)
    if broken is None and found is not None and found.kind == "truncated":
        return Divergence(found.last, found.last, "truncated", size)
    return found

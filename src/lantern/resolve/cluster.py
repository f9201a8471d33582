"""Clustering scored pairs into people, with human judgements and an over-merge guard.

Greedy, strongest evidence first: records that carry the same id in the same source system
join first, then pairs an analyst judged "same", then scored pairs above the threshold in
descending match weight. Two groups never join if an analyst judged any pair across them
"different", or if their dates of birth cannot belong to one person (a father and son at one
address, say): such joins are *held* for review instead of made silently. An over-merge in a
police system is worse than a miss.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Held:
    a: int
    b: int
    weight: float
    reason: str


@dataclass
class Clusters:
    entity_of: dict[int, str]
    held: list[Held] = field(default_factory=list)

    def members(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for record, entity in self.entity_of.items():
            out.setdefault(entity, []).append(record)
        return out


def dobs_compatible(a: str, b: str) -> bool:
    """Could two full dates of birth be one person's, allowing for common keying errors?"""
    if a == b:
        return True
    da, db = date.fromisoformat(a), date.fromisoformat(b)
    if da.year == db.year and (da.day, da.month) == (db.month, db.day):
        return True  # day and month swapped
    same = [da.year == db.year, da.month == db.month, da.day == db.day]
    if sum(same) == 2:
        return abs(da.year - db.year) <= 1 or da.year == db.year  # one part keyed wrongly
    return False


class _Groups:
    def __init__(self, ids: Iterable[int], dob_of: dict[int, str]) -> None:
        self.parent = {i: i for i in ids}
        self.dobs: dict[int, set[str]] = {i: {dob_of[i]} if i in dob_of else set() for i in self.parent}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self.dobs[ra]) < len(self.dobs[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.dobs[ra] |= self.dobs.pop(rb)

    def conflict(self, a: int, b: int) -> str | None:
        for x in self.dobs[self.find(a)]:
            for y in self.dobs[self.find(b)]:
                if not dobs_compatible(x, y):
                    return f"dates of birth {x} and {y} cannot be one person's"
        return None


def cluster(record_ids: Sequence[int], *, threshold: float, pairs: Iterable[dict[str, float]],
            same_system_id: Iterable[Sequence[int]] = (), judged_same: Iterable[tuple[int, int]] = (),
            judged_different: Iterable[tuple[int, int]] = (), dob_of: dict[int, str] | None = None
            ) -> Clusters:
    groups = _Groups(record_ids, dob_of or {})
    for members in same_system_id:
        for other in members[1:]:
            groups.union(members[0], other)
    for a, b in judged_same:
        groups.union(a, b)
    different = list(judged_different)
    held: list[Held] = []
    ranked = sorted((p for p in pairs if p["match_probability"] >= threshold),
                    key=lambda p: -p["match_weight"])
    for pair in ranked:
        a, b = int(pair["unique_id_l"]), int(pair["unique_id_r"])
        if groups.find(a) == groups.find(b):
            continue
        ra, rb = groups.find(a), groups.find(b)
        if any({groups.find(x), groups.find(y)} == {ra, rb} for x, y in different):
            held.append(Held(a, b, pair["match_weight"], "an analyst judged them different"))
            continue
        reason = groups.conflict(a, b)
        if reason:
            held.append(Held(a, b, pair["match_weight"], reason))
            continue
        groups.union(a, b)
    roots: dict[int, int] = {}
    for record in record_ids:
        root = groups.find(record)
        roots[root] = min(roots.get(root, record), record)
    entity_of = {record: f"P{roots[groups.find(record)]}" for record in record_ids}
    return Clusters(entity_of, held)

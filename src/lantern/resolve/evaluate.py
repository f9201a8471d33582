"""Accuracy of a resolution against ground truth: pairwise and B-cubed precision, recall, F1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from math import comb


@dataclass(frozen=True)
class Accuracy:
    precision: float
    recall: float
    f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    records: int
    true_people: int
    found_people: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def accuracy(found: Mapping[int, str], truth: Mapping[int, str]) -> Accuracy:
    """Compare two clusterings of the same records (only records present in both count)."""
    records = [r for r in found if r in truth]
    found_sizes = Counter(found[r] for r in records)
    true_sizes = Counter(truth[r] for r in records)
    joint = Counter((found[r], truth[r]) for r in records)
    true_positive = sum(comb(n, 2) for n in joint.values())
    found_pairs = sum(comb(n, 2) for n in found_sizes.values())
    true_pairs = sum(comb(n, 2) for n in true_sizes.values())
    precision = true_positive / found_pairs if found_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    # B-cubed: per record, the share of its cluster that truly belongs with it, and vice versa.
    b_precision = sum(n * n / found_sizes[f] for (f, _), n in joint.items()) / len(records)
    b_recall = sum(n * n / true_sizes[t] for (_, t), n in joint.items()) / len(records)
    return Accuracy(precision, recall, _f1(precision, recall), b_precision, b_recall,
                    _f1(b_precision, b_recall), len(records), len(true_sizes), len(found_sizes))

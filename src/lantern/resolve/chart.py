"""A Splink-style waterfall chart of one explanation: how each comparison moved the weight.

Drawn with matplotlib to PNG or SVG, readable without Lantern: the prior, one bar per
comparison (green towards a match, red against), and the final match weight and probability.
"""

from __future__ import annotations

from pathlib import Path

from lantern.plotting import check_path, plt, save
from lantern.resolve.explain import Explanation


def waterfall(found: Explanation, path: Path) -> Path:
    check_path(path)
    labels = ["prior"] + [f"{s.comparison}: {s.level}" for s in found.steps] + ["match weight"]
    deltas = [found.prior_weight] + [s.weight for s in found.steps]
    starts, running = [], 0.0
    for delta in deltas:
        starts.append(running if delta >= 0 else running + delta)
        running += delta
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(labels) + 1.6))
    for i, (start, delta) in enumerate(zip(starts, deltas, strict=True)):
        colour = "#2e7d32" if delta >= 0 else "#c62828"
        ax.barh(i, abs(delta), left=start, color=colour if i else "#78909c", height=0.6)
        ax.text(start + abs(delta) + 0.3, i, f"{delta:+.2f}", va="center", fontsize=9)
    ax.barh(len(deltas), abs(running), left=min(running, 0), color="#1565c0", height=0.6)
    ax.text(max(running, 0) + 0.3, len(deltas), f"{running:+.2f}", va="center", fontsize=9, weight="bold")
    ends = [start + abs(delta) for start, delta in zip(starts, deltas, strict=True)]
    ax.set_xlim(min([*starts, running, 0.0]) - 1, max([*ends, running, 0.0]) + 3)  # room for labels
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("match weight (log2 Bayes factor)")
    verdict = "held as the same person" if found.same_entity else "held as different people"
    ax.set_title(f"Records {found.a} and {found.b}: probability {found.match_probability:.3f}, {verdict}",
                 fontsize=10)
    return save(fig, path)

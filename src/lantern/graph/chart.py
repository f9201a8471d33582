"""Network charts (PNG or SVG) of a group or of one person's ego network.

Shapes by role (star: organiser, diamond: driver or vehicle link, square: broker, circle:
others), victims and children marked in red with a pseudonym unless revealed, ties drawn
thicker the stronger they are. Labels sit on a pale box so they stay readable where ties
cross them, and are pushed apart (adjustText) so they do not cover each other; on a crowded
chart only the key people are labelled.
"""

from __future__ import annotations

from pathlib import Path

import igraph
from adjustText import adjust_text
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from lantern.errors import LanternError
from lantern.graph.view import NetworkView
from lantern.plotting import check_path, plt, save

MARKERS = {"organiser": "*", "driver": "D", "broker": "s"}
MAX_LABELS = 40


def draw(view: NetworkView, keep: set[str], title: str, path: Path, seed: int = 1) -> Path:
    check_path(path)
    return save(figure(view, keep, title, seed), path)


def figure(view: NetworkView, keep: set[str], title: str, seed: int = 1) -> Figure:
    nodes = [n for n in view.nodes if n["id"] in keep]
    if not nodes:
        raise LanternError("nothing to draw: no such group or person in the network")
    index = {n["id"]: i for i, n in enumerate(nodes)}
    edges = [e for e in view.edges if e["entity_a"] in index and e["entity_b"] in index]
    graph = igraph.Graph(n=len(nodes), edges=[(index[e["entity_a"]], index[e["entity_b"]]) for e in edges])
    weights = [e["weight"] for e in edges]
    layout = graph.layout_fruchterman_reingold(weights=weights or None, niter=1000, seed=_seed(len(nodes), seed))
    xy = [tuple(point) for point in layout.coords]
    size = min(14.0, 5.0 + len(nodes) * 0.12)
    fig, ax = plt.subplots(figsize=(size, size * 0.8))
    strongest = max(weights, default=1.0)
    for edge, w in zip(edges, weights, strict=True):
        (x1, y1), (x2, y2) = xy[index[edge["entity_a"]]], xy[index[edge["entity_b"]]]
        ax.plot([x1, x2], [y1, y2], color="#90a4ae", linewidth=0.5 + 3.0 * w / strongest, zorder=1)
    labelled = {n["id"] for n in sorted(nodes, key=lambda n: (n["rank"] or 10**9))[:MAX_LABELS]}
    texts = []
    # Victims first, then by key-player rank: when labels still collide, the later one gives way.
    for node in sorted(nodes, key=lambda n: (not (n["victim"] or n["child"]), n["rank"] or 10**9, n["id"])):
        x, y = xy[index[node["id"]]]
        colour = "#c62828" if node["victim"] or node["child"] else "#1565c0"
        ax.scatter([x], [y], s=260 if node["role"] == "organiser" else 120, marker=MARKERS.get(node["role"], "o"),
                   color=colour, edgecolors="white", linewidths=1.2, zorder=3)
        if node["id"] in labelled or node["victim"] or node["child"]:
            # A pale box rather than a stroke effect: it keeps SVG text as text.
            texts.append(ax.text(x, y, f"{node['label']}\n{node['id']}", fontsize=7, zorder=4,
                                 bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}))
    if texts:
        adjust_text(texts, x=[p[0] for p in xy], y=[p[1] for p in xy], ax=ax, expand=(1.15, 1.3),
                    arrowprops={"arrowstyle": "-", "color": "#607d8b", "lw": 0.5})
        _hide_collisions(fig, texts)
    ax.set_title(title, fontsize=11)
    ax.axis("off")
    legend = [Line2D([], [], marker="*", color="#1565c0", linestyle="", markersize=12, label="organiser"),
              Line2D([], [], marker="D", color="#1565c0", linestyle="", markersize=7, label="driver / vehicle"),
              Line2D([], [], marker="s", color="#1565c0", linestyle="", markersize=8, label="broker"),
              Line2D([], [], marker="o", color="#1565c0", linestyle="", markersize=8, label="person"),
              Line2D([], [], marker="o", color="#c62828", linestyle="", markersize=8, label="victim or child")]
    ax.legend(handles=legend, loc="lower right", fontsize=8, frameon=False)
    return fig


def _hide_collisions(fig: Figure, texts: list[Text]) -> None:
    """Hide any label that still covers an earlier (more important) one after adjustText."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    shown: list[Bbox] = []
    for text in texts:
        box = text.get_window_extent(renderer)
        if any(box.overlaps(other) for other in shown):
            text.set_visible(False)
        else:
            shown.append(box)


def _seed(n: int, seed: int) -> list[tuple[float, float]]:
    """A fixed starting layout, so the same network draws the same way every time."""
    import random

    rng = random.Random(seed)
    return [(rng.random(), rng.random()) for _ in range(n)]

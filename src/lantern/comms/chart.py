"""Pictures of communications: when a number is active (weekday by hour)."""

from __future__ import annotations

from pathlib import Path

from lantern.plotting import check_path, plt, save

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def activity_chart(grid: list[list[int]], title: str, path: Path) -> Path:
    """A 7 x 24 heat map of calls and messages, with each cell's count written in it."""
    check_path(path)
    fig, ax = plt.subplots(figsize=(12, 4))
    image = ax.imshow(grid, cmap="Blues", aspect="auto")
    ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)], fontsize=8)
    ax.set_yticks(range(7), WEEKDAYS, fontsize=8)
    ax.set_xlabel("hour of day")
    peak = max((n for row in grid for n in row), default=0)
    for day, row in enumerate(grid):
        for hour, n in enumerate(row):
            if n:
                ax.text(hour, day, str(n), ha="center", va="center", fontsize=7,
                        color="white" if n > peak / 2 else "#263238")
    fig.colorbar(image, ax=ax, label="calls and messages")
    ax.set_title(title, fontsize=11)
    return save(fig, path)

"""The chronology as a picture: one row per kind of event on a time axis, missing episodes as spans.

People never appear by name: the title shows the subject through ``pseudonymise`` (as every
product shows children and recorded victims), and marks carry no names at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from matplotlib import dates as mdates

from lantern.plotting import check_path, plt, save
from lantern.timeline.model import KINDS, Timeline

COLOURS = {"crime": "#c0392b", "intelligence": "#8e44ad", "missing": "#e67e22", "custody": "#2c3e50",
           "stop": "#16a085", "sighting": "#2980b9", "anpr": "#7f8c8d", "referral": "#d35400",
           "calls": "#27ae60", "messages": "#2ecc71"}
LABELS = {"crime": "Crimes", "intelligence": "Intelligence", "missing": "Missing episodes", "custody": "Custody",
          "stop": "Stops", "sighting": "Sightings", "anpr": "ANPR reads", "referral": "Referrals",
          "calls": "Calls (per day)", "messages": "Messages (per day)"}
MIN_SPAN = timedelta(hours=12)  # an episode of a few hours is still visible on a chart of years
EPOCH = datetime(1970, 1, 1)  # matplotlib's date numbers count days from here


def _day_number(when: datetime) -> float:
    return (when.replace(tzinfo=None) - EPOCH) / timedelta(days=1)


def timeline_chart(timeline: Timeline, path: Path, pseudonymise: Callable[[str], str]) -> Path:
    """Draw the chronology to a PNG or SVG file and return the path."""
    check_path(path)
    dated = [e for e in timeline.events if e.when is not None]
    shown = [k for k in KINDS if any(e.kind == k for e in dated)] or ["crime"]
    fig, ax = plt.subplots(figsize=(12, 1.2 + 0.55 * len(shown)))
    row = {kind: len(shown) - 1 - i for i, kind in enumerate(shown)}
    for kind in shown:
        events = [e for e in dated if e.kind == kind]
        y = row[kind]
        if kind == "missing":
            for e in events:
                assert e.when is not None
                width = max((e.until or e.when) - e.when, MIN_SPAN)
                ax.broken_barh([(_day_number(e.when), width / timedelta(days=1))], (y - 0.3, 0.6),
                               facecolors=COLOURS[kind], alpha=0.8)
            continue
        # Per-day comms marks grow with the day's count, so a busy day stands out.
        sizes = [18 + 6 * min(int(e.summary.split(" ", 1)[0]), 20) if kind in ("calls", "messages") else 36
                 for e in events]
        ax.scatter([_day_number(e.when) for e in events if e.when], [y] * len(events), s=sizes, c=COLOURS.get(kind, "#333333"),
                   marker="|" if kind in ("anpr", "calls", "messages") else "o", alpha=0.85, linewidths=1.5)
    ax.set_yticks(list(row.values()), [f"{LABELS.get(k, k)} ({sum(e.kind == k for e in dated)})" for k in row])
    ax.set_ylim(-0.8, len(shown) - 0.2)
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    subject = pseudonymise(timeline.subject) if timeline.subject_kind == "person" else timeline.subject
    period = ""
    if (span := timeline.span()) is not None:
        period = f", {span[0]:%d %b %Y} to {span[1]:%d %b %Y}"
    ax.set_title(f"Chronology of {timeline.subject_kind} {subject}: {len(timeline.events)} events{period}",
                 loc="left", fontsize=11)
    return save(fig, path)

"""Chronologies: every event about a person, a group or a phone, in order, with its sources.

``build_timeline`` gathers them; ``export`` writes CSV and XLSX; ``chart.timeline_chart``
draws the picture. Products show children and recorded victims only as pseudonyms.
"""

from lantern.timeline.build import build_timeline
from lantern.timeline.model import KINDS, Involved, Source, Timeline, TimelineEvent

__all__ = ["KINDS", "Involved", "Source", "Timeline", "TimelineEvent", "build_timeline"]

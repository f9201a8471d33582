"""The briefing pack (`lantern report`): self-contained HTML and PDF for senior investigators.

``pack.collect`` gathers every section as plain data; ``render`` turns it into HTML and PDF.
See docs/report.md.
"""

from lantern.export.report.pack import SECTIONS, Meta, collect
from lantern.export.report.render import render_html, render_pdf

__all__ = ["SECTIONS", "Meta", "collect", "render_html", "render_pdf"]

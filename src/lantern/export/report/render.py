"""The pack rendered: self-contained HTML (Jinja2, autoescaped) and a PDF of the same HTML.

The HTML carries its CSS inline and its charts as base64 PNG ``data:`` URIs, so it opens
offline and can be attached to a case file as one document. The PDF is WeasyPrint's rendering
of exactly that HTML; WeasyPrint is never allowed to fetch anything but the
pack's own ``data:`` URIs, so a stray link in data can never make the renderer reach out.
"""

from __future__ import annotations

import base64
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from lantern.errors import LanternError

_env = Environment(
    loader=PackageLoader("lantern.export.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a missing field is a bug to see, not a blank in a briefing
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["png"] = lambda data: "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def render_html(pack: dict[str, Any]) -> str:
    return _env.get_template("briefing.html.j2").render(**pack)


def render_pdf(html: str) -> bytes:
    """The PDF of the pack's HTML (A4; the marking in every page's header and footer)."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango or HarfBuzz missing on this machine
        raise LanternError(f"cannot write the PDF: WeasyPrint is not usable here ({exc}); "
                           "install the Pango libraries (Debian: libpango-1.0-0 libpangoft2-1.0-0)") from None
    # Only the pack's own data: URIs (its charts) may be read; any other URL is refused.
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    assert pdf is not None
    return bytes(pdf)

#!/usr/bin/env python3
"""Draw the first pages of a briefing pack PDF side by side, as the README's picture.

Usage:  python tools/briefing_picture.py demo/briefing/briefing.pdf docs/images/briefing-pack.png [PAGES]

PAGES: page numbers from 1, comma-separated (default 1,2).

Needs PyMuPDF (``pip install pymupdf``), which Lantern itself does not: the picture is made
by hand when the pack's look changes, never at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path


def picture(pdf: Path, png: Path, pages: tuple[int, ...] = (1, 2), dpi: int = 72) -> Path:
    import pymupdf

    document = pymupdf.open(pdf)
    shots = [document[n - 1].get_pixmap(dpi=dpi) for n in pages if 1 <= n <= document.page_count]
    gap = 12
    width = sum(s.width for s in shots) + gap * (len(shots) + 1)
    height = max(s.height for s in shots) + 2 * gap
    sheet = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    sheet.clear_with(0xB0)  # a grey backdrop so the white pages stand out
    x = gap
    for shot in shots:
        shot.set_origin(x, gap)
        sheet.copy(shot, shot.irect)
        x += shot.width + gap
    png.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(png)
    return png


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    chosen = tuple(int(n) for n in sys.argv[3].split(",")) if len(sys.argv) == 4 else (1, 2)
    print(picture(Path(sys.argv[1]), Path(sys.argv[2]), chosen))

"""Charts written to files: one matplotlib set-up and one way to save, for every picture."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI
matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, selectable

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lantern.errors import LanternError  # noqa: E402

FORMATS = (".png", ".svg")


def check_path(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise LanternError(f"chart file must end in {' or '.join(FORMATS)}: {path.name}")


def save(fig: Figure, path: Path, marking: str | None = "OFFICIAL-SENSITIVE") -> Path:
    """Lay out, mark and write the figure, then free it (also when writing fails)."""
    if marking:
        fig.text(0.01, 0.01, marking, fontsize=8, color="#555555")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=150)
    except OSError as exc:
        raise LanternError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        plt.close(fig)
    return path


__all__ = ["FORMATS", "check_path", "plt", "save"]

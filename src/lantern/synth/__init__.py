"""Synthetic national scenario generator with ground truth (all data fictional).

    from lantern.synth import generate
    summary = generate(Path("scenario"), forces=3, people=5000, seed=1)

writes per-force exports in each force's own layout, national CDR/ANPR/device files, a
manifest of (file, profile) in ingest order (`profile_of` says what to load for each), and truth/ saying who every record really is.
"""

from lantern.synth.generate import ScenarioSummary, generate, manifest, profile_of
from lantern.synth.rates import NoiseRates, Shape

__all__ = ["NoiseRates", "ScenarioSummary", "Shape", "generate", "manifest", "profile_of"]

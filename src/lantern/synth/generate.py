"""`generate`: write a synthetic multi-force scenario, its manifest and its ground truth."""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lantern.synth.comms import Comms
from lantern.synth.context import Context, Progress
from lantern.synth.forces import forces as force_list
from lantern.synth.layouts import FORCE_KINDS
from lantern.synth.passes import decoy_pass, group_pass, people_pass, traffic_pass, truth_pass
from lantern.synth.population import Population
from lantern.synth.rates import NoiseRates, Shape
from lantern.synth.readme import write_readme
from lantern.synth.truth import Truth

MANIFEST = "manifest.json"
# National files load after the forces' files: cell lists before the CDRs that cite them.
_NATIONAL_ORDER = ("synth-cells-qnet", "synth-cells-vireo", "synth-cdr-qnet", "synth-cdr-vireo",
                   "synth-anpr", "synth-device-contacts", "synth-device-calls",
                   "synth-device-messages")


@dataclass
class ScenarioSummary:
    outdir: Path
    forces: int
    people: int
    seed: int
    files: list[dict[str, Any]]  # the manifest entries, in ingest order
    rows: dict[str, int]  # data rows per file (relative path)
    seconds: float
    groups: int = 0
    victims: int = 0
    decoys: int = 0
    truth_rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate(outdir: Path, *, forces: int = 3, people: int = 5000, seed: int = 1,
             progress: Progress | None = None, rates: NoiseRates | None = None,
             shape: Shape | None = None) -> ScenarioSummary:
    """Write the scenario into `outdir` (replacing an earlier scenario there)."""
    started = time.perf_counter()
    outdir = Path(outdir)
    rates = rates or NoiseRates()
    shape = shape or Shape()
    chosen = force_list(forces)
    if people < 200:
        raise ValueError("people must be at least 200 (groups need a population to hide in)")
    _clear(outdir, chosen)
    rng = random.Random(seed)
    if progress:
        progress("population", 0, people)
    pop = Population(chosen, people, rng, rates, shape)
    truth = Truth(outdir / "truth")
    ctx = Context(outdir, chosen, pop, rng, rates, seed, truth, progress)
    comms = Comms(ctx)
    try:
        comms.write_cells()
        people_pass(ctx)
        group_pass(ctx, comms)
        decoy_pass(ctx, comms)
        traffic_pass(ctx, comms)
        truth_pass(ctx)
    finally:
        ctx.close()
        truth.close()
    by_profile = {w.layout.profile: w for w in [*ctx.writers.values(), *ctx.national.values()]}
    order = [f"synth-{f.slug}-{k}" for f in chosen for k in FORCE_KINDS] + list(_NATIONAL_ORDER)
    files = [{"file": by_profile[p].layout.file, "profile": p,
              "force": by_profile[p].layout.force, "kind": by_profile[p].layout.kind,
              "rows": by_profile[p].rows} for p in order]
    (outdir / MANIFEST).write_text(json.dumps(files, indent=2) + "\n", encoding="utf-8")
    summary = ScenarioSummary(
        outdir=outdir, forces=forces, people=people, seed=seed, files=files,
        rows={by_profile[p].layout.file: by_profile[p].rows for p in order}, seconds=0.0, groups=len(pop.groups),
        victims=len(pop.victim_groups), decoys=len(pop.decoys), truth_rows=dict(truth.counts))
    write_readme(outdir / "truth" / "README.md", summary, rates, shape)
    summary.seconds = time.perf_counter() - started
    return summary


def _clear(outdir: Path, chosen: tuple[Any, ...]) -> None:
    """Remove what an earlier run wrote here (only our own folders), so files never mix."""
    outdir.mkdir(parents=True, exist_ok=True)
    for name in ["truth", "comms", "anpr", "devices", *(f"force-{c}" for c in "abcdef")]:
        if (outdir / name).is_dir():
            shutil.rmtree(outdir / name)


def manifest(outdir: Path) -> list[dict[str, Any]]:
    """The manifest entries of a generated scenario, in the order to ingest them."""
    entries: list[dict[str, Any]] = json.loads((Path(outdir) / MANIFEST).read_text("utf-8"))
    return entries

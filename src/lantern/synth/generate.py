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
from lantern.synth.forces import FORCES, SHIPPED_FORCES
from lantern.synth.forces import forces as force_list
from lantern.synth.layouts import FORCE_KINDS
from lantern.synth.passes import decoy_pass, group_pass, people_pass, traffic_pass, truth_pass
from lantern.synth.population import Population
from lantern.synth.rates import NoiseRates, Shape
from lantern.synth.readme import write_readme
from lantern.synth.truth import Truth

MANIFEST = "manifest.json"
PROFILES = "profiles"  # the mapping profiles of forces whose profiles do not ship with Lantern
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
    # A small force can have nothing of a kind to export: no file then (an empty one is refused).
    for p in [p for p in order if not by_profile[p].rows]:
        (outdir / by_profile[p].layout.file).unlink(missing_ok=True)
        order.remove(p)
    files = [{"file": by_profile[p].layout.file, "profile": p,
              "force": by_profile[p].layout.force, "kind": by_profile[p].layout.kind,
              "rows": by_profile[p].rows} for p in order]
    _write_unshipped_profiles(outdir, chosen, by_profile, files)
    (outdir / MANIFEST).write_text(json.dumps(files, indent=2) + "\n", encoding="utf-8")
    summary = ScenarioSummary(
        outdir=outdir, forces=forces, people=people, seed=seed, files=files,
        rows={by_profile[p].layout.file: by_profile[p].rows for p in order}, seconds=0.0, groups=len(pop.groups),
        victims=len(pop.victim_groups), decoys=len(pop.decoys), truth_rows=dict(truth.counts))
    write_readme(outdir / "truth" / "README.md", summary, rates, shape)
    summary.seconds = time.perf_counter() - started
    return summary


def _write_unshipped_profiles(outdir: Path, chosen: tuple[Any, ...], by_profile: dict[str, Any],
                              files: list[dict[str, Any]]) -> None:
    """Forces past the sixth have no shipped profile: theirs are written into ``profiles/`` beside
    the exports, and their manifest entries say where (``profile_path``, relative)."""
    unshipped = {f.slug for f in chosen if f.index >= SHIPPED_FORCES}
    if not unshipped:
        return
    (outdir / PROFILES).mkdir(exist_ok=True)
    for entry in files:
        if entry["file"].split("/", 1)[0] in unshipped:
            relative = f"{PROFILES}/{entry['profile']}.yaml"
            (outdir / relative).write_text(by_profile[entry["profile"]].layout.render_profile(),
                                           encoding="utf-8")
            entry["profile_path"] = relative


def _clear(outdir: Path, chosen: tuple[Any, ...]) -> None:
    """Remove what an earlier run wrote here (only our own folders), so files never mix."""
    outdir.mkdir(parents=True, exist_ok=True)
    for name in ["truth", "comms", "anpr", "devices", PROFILES, *(f.slug for f in FORCES)]:
        if (outdir / name).is_dir():
            shutil.rmtree(outdir / name)


def profile_of(outdir: Path, entry: dict[str, Any]) -> str:
    """What to give ``load_profile`` for a manifest entry: the profile written beside the scenario
    if there is one, else the name of the shipped profile."""
    return str(Path(outdir) / entry["profile_path"]) if "profile_path" in entry else str(entry["profile"])


def manifest(outdir: Path) -> list[dict[str, Any]]:
    """The manifest entries of a generated scenario, in the order to ingest them."""
    entries: list[dict[str, Any]] = json.loads((Path(outdir) / MANIFEST).read_text("utf-8"))
    return entries

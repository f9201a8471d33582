"""Entity resolution: Lantern against plain Splink on the synthetic scenario's ground truth.

Run: .venv/bin/python bench/resolve.py [--people 20000 --people 100000] [--forces 3] [--seed 1]

Quick (``make bench``, under a minute): ``--people 20000``. Full: ``--people 20000 --people 100000
--people 700000`` (the default is the first two).
The figures for the benchmark table go to bench/out/resolve.json (``table.emit``): per size, the
time and peak memory against plain Splink's, and Lantern's pairwise precision, recall and F1
with plain Splink's as the baseline.

For each size: generate the synthetic scenario (``lantern.synth.generate``), ingest every
Person-bearing export (the forces' nominal, crime, intel, missing, sighting, custody and stop
files; the national comms, ANPR and device files hold no Person records and are skipped) into
a SQLite workspace with ``ingest_file``, then resolve the same Person records twice, each run
in its own spawned process so its peak memory (ru_maxrss) is its own:

* Lantern: ``lantern.resolve.service.resolve_people`` in one write transaction, as the CLI
  does it: read records, features, the Splink model of ``lantern.resolve.model`` (police
  comparisons, five blocking rules, u by sampling, m by EM), then clustering with same-id
  must-links and the date-of-birth over-merge guard, and the run stored. Clusters are read
  back with ``service.entity_of``.
* Plain Splink: the same records read from the same workspace, with the raw-ish columns a
  Splink user would give it (first forename token and surname, lower-cased with accents
  removed; ISO date of birth; postcode; first phone), Splink 5's library comparisons with
  their defaults, three typical blocking rules, the prior from exact matches, u by random
  sampling (the same pair budget Lantern uses), m by EM, predict, and Splink's own
  connected-components clustering at 0.9 (no must-links, no guard).

Also printed: the "ids only" baseline (records joined only when they carry the same id in the
same source system) and recall lost to blocking: the share of true pairs never compared
(neither within a blocking rule nor joined by a same-id must-link; Lantern also "not stored",
judged from its stored resolution_pairs, which keep pairs scored 0.2 and above).

Accuracy counts the records that ground truth names (truth/record_to_person.csv: source is
the path relative to the scenario folder, record_id the id the export carries). The scenario
holds about 1.4 Person records per person, so ``--people 220000`` gives ~300k records and
``--people 700000`` ~1M: both are reachable, but take long (tens of minutes and more).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import resource
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

from machine import describe  # bench/machine.py (the script's folder is on sys.path)
from table import HIGHER, Figure, emit  # bench/table.py

THRESHOLD = 0.9
KEEP_PAIRS_ABOVE = 0.2  # as lantern.resolve.model.KEEP_PAIRS_ABOVE


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- setup (main process)

def build(outdir: Path, people: int, forces: int, seed: int) -> tuple[Path, Path, float, float, int]:
    """Generate the scenario and ingest its Person-bearing exports; returns paths and timings."""
    from lantern.ingest.loader import ingest_file
    from lantern.ingest.profile import load_profile
    from lantern.store import Workspace
    from lantern.synth import generate

    scenario, db = outdir / "scenario", outdir / "lantern.db"
    started = time.perf_counter()
    summary = generate(scenario, forces=forces, people=people, seed=seed)
    generated = time.perf_counter() - started
    workspace = Workspace(str(db))
    workspace.init()
    started, rows = time.perf_counter(), 0
    for entry in summary.files:
        if entry["force"] == "national":
            continue
        rows += ingest_file(workspace, scenario / entry["file"], load_profile(entry["profile"]),
                            user="bench").rows_loaded
    workspace.dispose()
    return scenario, db, generated, time.perf_counter() - started, rows


# ---------------------------------------------------------------- Lantern (spawned)

def run_lantern(db: str, queue: mp.Queue) -> None:
    from lantern.resolve import features, model, service
    from lantern.store import Workspace

    stages: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stages[name] += time.perf_counter() - started
        return wrapper

    def read(*args: Any) -> Iterable[Any]:  # person_records is a generator: time its draining
        started = time.perf_counter()
        records = list(person_records(*args))
        stages["read"] += time.perf_counter() - started
        return iter(records)

    # Timing wrappers only: resolve_people itself runs unchanged.
    person_records = service.person_records
    service.person_records = read
    features.PersonRecord.features = timed("features", features.PersonRecord.features)
    model.score = timed("score", model.score)
    service._cluster = timed("cluster", service._cluster)

    workspace = Workspace(db)
    started = time.perf_counter()
    with workspace.writer() as conn:
        summary = service.resolve_people(conn, workspace.case_id(conn), "bench", threshold=THRESHOLD)
    seconds = time.perf_counter() - started
    stages["store"] = seconds - sum(stages.values())
    queue.put((seconds, peak_mib(), summary.run_id, dict(stages), summary.pairs, summary.held))


# ---------------------------------------------------------------- plain Splink (spawned)

def plain_columns(record: Any) -> dict[str, Any]:
    """What a Splink user would feed it: raw-ish values, no canonical names, no phonetics."""
    f = record.features()
    phones = f["phones"] or []
    return {"unique_id": f["unique_id"], "forename": f["forename"], "surname": f["surname"],
            "dob": f["dob"], "dob_year": f["dob_year"], "postcode": f["postcode"],
            "phone1": phones[0] if phones else None}


def plain_blocking_rules() -> list[Any]:
    from splink import block_on

    return [block_on("surname", "dob_year"), block_on("dob"), block_on("forename", "surname")]


def run_plain(db: str, queue: mp.Queue) -> None:
    import logging

    import duckdb
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from lantern.resolve.features import person_records
    from lantern.store import Workspace

    logging.getLogger("splink").setLevel(logging.ERROR)
    stages: dict[str, float] = {}
    clock = started = time.perf_counter()
    workspace = Workspace(db)
    with workspace.reader() as conn:
        rows = [plain_columns(r) for r in person_records(conn, workspace.case_id(conn))]
    workspace.dispose()
    stages["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    con = duckdb.connect()
    people = pa.Table.from_pylist(rows, schema=pa.schema([  # noqa: F841 - DuckDB replacement scan
        ("unique_id", pa.int64()), ("forename", pa.string()), ("surname", pa.string()),
        ("dob", pa.string()), ("dob_year", pa.int32()), ("postcode", pa.string()), ("phone1", pa.string())]))
    con.execute("CREATE TABLE people AS SELECT * FROM people")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("phone1"),
        ],
        blocking_rules_to_generate_predictions=plain_blocking_rules(),
    )
    linker = Linker(DuckDBAPI(connection=con).register("people"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob")], recall=0.7)
    # The same u-sampling budget as lantern.resolve.model.score, so time compares like with like.
    linker.training.estimate_u_using_random_sampling(max_pairs=min(5e6, max(2e5, len(rows) * 200)), seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("forename", "surname"))
    stages["train"] = time.perf_counter() - clock

    clock = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=KEEP_PAIRS_ABOVE)
    pairs = predictions.as_duckdbpyrelation().shape[0]
    stages["predict"] = time.perf_counter() - clock

    clock = time.perf_counter()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD)
    found = {int(uid): f"C{cid}" for uid, cid in
             clustered.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()}
    stages["cluster"] = time.perf_counter() - clock
    seconds = time.perf_counter() - started
    con.close()
    queue.put((seconds, peak_mib(), found, stages, pairs))


def measure(target: Callable[..., None], *args: Any) -> tuple:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


# ---------------------------------------------------------------- evaluation (main process)

def rule_columns(rules: Iterable[Any]) -> list[tuple[str, ...]]:
    """The columns each block_on rule requires equal (read from the rule's own SQL)."""
    return [tuple(dict.fromkeys(re.findall(r'l\."(\w+)"', rule.get_blocking_rule("duckdb").blocking_rule_sql)))
            for rule in rules]


def blocked(a: dict[str, Any], b: dict[str, Any], rules: list[tuple[str, ...]]) -> bool:
    return any(all(a.get(c) is not None and a.get(c) == b.get(c) for c in cols) for cols in rules)


class Truth:
    """Ground truth joined to the workspace's Person records, and what each comparison needs."""

    def __init__(self, scenario: Path, db: Path) -> None:
        import csv

        from lantern.resolve.features import person_records
        from lantern.store import Workspace

        with (scenario / "truth" / "record_to_person.csv").open(encoding="utf-8") as fh:
            person_of = {(row["source"], row["record_id"]): row["person_id"] for row in csv.DictReader(fh)}
        self.workspace = Workspace(str(db))
        self.truth: dict[int, str] = {}
        self.system_id: dict[int, str] = {}
        self.features: dict[int, dict[str, Any]] = {}
        with self.workspace.reader() as conn:
            for record in person_records(conn, self.workspace.case_id(conn)):
                rid = record.record_id
                feats = record.features()
                phones = feats["phones"] or []
                feats["phone1"] = phones[0] if phones else None
                self.features[rid] = feats
                self.system_id[rid] = f"{record.namespace}|{record.source_record_id}" \
                    if record.source_record_id else f"R{rid}"
                source = Path(record.source_path).relative_to(scenario).as_posix()
                person = person_of.get((source, record.source_record_id or ""))
                if person is not None:
                    self.truth[rid] = person
        members: dict[str, list[int]] = defaultdict(list)
        for rid, person in self.truth.items():
            members[person].append(rid)
        self.true_pairs = [(a, b) if a < b else (b, a) for m in members.values() for a, b in combinations(m, 2)]

    def lost_to_blocking(self, rules: Iterable[Any]) -> float:
        """Share of true pairs that no blocking rule compares and no same-id must-link joins."""
        cols = rule_columns(rules)
        lost = sum(1 for a, b in self.true_pairs if self.system_id[a] != self.system_id[b]
                   and not blocked(self.features[a], self.features[b], cols))
        return lost / len(self.true_pairs) if self.true_pairs else 0.0

    def lantern_run(self, run_id: int) -> tuple[dict[int, str], float]:
        """Lantern's clusters, and the share of true pairs neither stored nor same-id."""
        from lantern.resolve import service

        with self.workspace.reader() as conn:
            found = service.entity_of(conn, run_id)
            stored = set(conn.exec_driver_sql(
                "SELECT record_a, record_b FROM resolution_pairs WHERE run_id = ?", (run_id,)).fetchall())
        unscored = sum(1 for a, b in self.true_pairs
                       if (a, b) not in stored and self.system_id[a] != self.system_id[b])
        return found, unscored / len(self.true_pairs) if self.true_pairs else 0.0


# ---------------------------------------------------------------- report

def machine() -> str:
    return describe("splink", "duckdb")


def main() -> None:
    from lantern.resolve.evaluate import accuracy
    from lantern.resolve.model import BLOCKING_RULES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append",
                        help="scenario people to measure (repeatable; default 20000 and 100000; "
                             "~1.4 Person records per person)")
    parser.add_argument("--forces", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = args.people or [20_000, 100_000]
    print(machine())
    header = (f"{'people':>8} {'records':>8} {'method':<13} {'seconds':>8} {'ratio':>6} {'peak MiB':>9} "
              f"{'P':>6} {'R':>6} {'F1':>6} {'B3 F1':>6} {'entities':>8} {'blk lost':>8}")
    results: list[dict[str, Any]] = []
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        for people in sizes:
            scenario, db, gen_s, ingest_s, rows = build(Path(tmp) / str(people), people, args.forces, args.seed)
            lantern_s, lantern_peak, run_id, lantern_stages, lantern_pairs, held = measure(run_lantern, str(db))
            plain_s, plain_peak, plain_found, plain_stages, plain_pairs = measure(run_plain, str(db))
            truth = Truth(scenario, db)
            lantern_found, unscored = truth.lantern_run(run_id)
            n = len(truth.features)
            rows_out = [
                ("ids only", None, None, truth.system_id, truth.lost_to_blocking([])),
                ("Lantern", lantern_s, lantern_peak, lantern_found, truth.lost_to_blocking(BLOCKING_RULES)),
                ("plain Splink", plain_s, plain_peak, {r: plain_found.get(r, f"S{r}") for r in truth.features},
                 truth.lost_to_blocking(plain_blocking_rules())),
            ]
            print(f"\n{people:,} people: generated in {gen_s:.1f}s, ingested {rows:,} rows in {ingest_s:.1f}s; "
                  f"{n:,} Person records, {len(truth.truth):,} named by ground truth "
                  f"({len(set(truth.truth.values())):,} true people, {len(truth.true_pairs):,} true pairs)")
            print(header)
            for method, seconds, peak, found, lost in rows_out:
                acc = accuracy(found, truth.truth)
                ratio = f"{lantern_s / plain_s:>6.2f}" if method == "Lantern" else f"{'':>6}"
                print(f"{people:>8,} {n:>8,} {method:<13} "
                      + (f"{seconds:>8.1f} {ratio} {peak:>9.0f} " if seconds else f"{'-':>8} {'':>6} {'-':>9} ")
                      + f"{acc.precision:>6.3f} {acc.recall:>6.3f} {acc.f1:>6.3f} {acc.bcubed_f1:>6.3f} "
                      f"{acc.found_people:>8,} {lost:>8.2%}")
                results.append({"people": people, "records": n, "method": method, "seconds": seconds,
                                "ratio": lantern_s / plain_s if method == "Lantern" else None,
                                "peak": peak, "acc": acc, "lost": lost})
            print("  where the time goes: Lantern "
                  + ", ".join(f"{k} {v:.1f}s" for k, v in lantern_stages.items())
                  + f" ({lantern_pairs:,} pairs kept >= {KEEP_PAIRS_ABOVE}, {held:,} joins held by the guard);"
                  "\n                       plain   "
                  + ", ".join(f"{k} {v:.1f}s" for k, v in plain_stages.items())
                  + f" ({plain_pairs:,} pairs kept >= {KEEP_PAIRS_ABOVE})")
            print(f"  true pairs Lantern neither stored (p >= {KEEP_PAIRS_ABOVE}) nor joined by a same-id "
                  f"must-link: {unscored:.2%}")
            truth.workspace.dispose()
            figures += table_figures(people, n, results[-3:], lantern_stages, plain_stages)

    print("\n| people | Person records | method | seconds | vs plain Splink | peak MiB | pairwise P | "
          "pairwise R | pairwise F1 | B-cubed F1 | true pairs never compared |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        acc = r["acc"]
        seconds = f"{r['seconds']:.1f}" if r["seconds"] else "-"
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] else ""
        peak = f"{r['peak']:.0f}" if r["peak"] else "-"
        print(f"| {r['people']:,} | {r['records']:,} | {r['method']} | {seconds} | {ratio} | {peak} | "
              f"{acc.precision:.3f} | {acc.recall:.3f} | {acc.f1:.3f} | {acc.bcubed_f1:.3f} | {r['lost']:.1%} |")
    print()
    emit("resolve", figures, scale={"people": sizes, "forces": args.forces, "seed": args.seed},
         libraries=("splink", "duckdb"))


def table_figures(people: int, records: int, rows: list[dict[str, Any]], lantern_stages: dict[str, float],
                  plain_stages: dict[str, float]) -> list[Figure]:
    """One size's figures for the benchmark table: Lantern beside plain Splink, same records."""
    ids, lantern, plain = rows  # "ids only", "Lantern", "plain Splink", as main() appends them
    what = f"{people:,} people ({records:,} person records)"
    baseline = "plain Splink 5 (library comparisons, 3 blocking rules, clustering at 0.9)"
    figures = [Figure(
        f"resolve {what}: read, score, cluster, store the run", round(lantern["seconds"], 3), "s", baseline,
        round(plain["seconds"], 3), peak_mib=round(lantern["peak"]), baseline_peak_mib=round(plain["peak"]),
        note="each in its own process; plain Splink stores nothing",
        extra={"lantern stages s": {k: round(v, 2) for k, v in lantern_stages.items()},
               "plain stages s": {k: round(v, 2) for k, v in plain_stages.items()}})]
    for name, unit in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
        figures.append(Figure(
            f"resolve {what}: pairwise {name if name != 'f1' else 'F1'}", round(getattr(lantern["acc"], name), 4),
            unit, baseline, round(getattr(plain["acc"], name), 4), better=HIGHER,
            note="against the scenario's ground truth" + ("; B-cubed F1 in extra" if name == "f1" else ""),
            extra={"ids only": round(getattr(ids["acc"], name), 4)} | (
                {"B-cubed F1": round(lantern["acc"].bcubed_f1, 4),
                 "plain B-cubed F1": round(plain["acc"].bcubed_f1, 4),
                 "true pairs never compared": round(lantern["lost"], 4),
                 "plain true pairs never compared": round(plain["lost"], 4)} if name == "f1" else {})))
    return figures


if __name__ == "__main__":
    main()

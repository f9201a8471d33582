"""Network analytics at scale: Lantern's to_igraph + find_groups against networkx, on planted groups.

Run: .venv/bin/python bench/network.py [--nodes 100000 --edges 1000000] [--large] [--k 100]
     [--exact-nodes 10000] [--limit 900] [--seed 1]

Quick (``make bench``, about two minutes): ``--nodes 10000 --edges 100000 --exact-nodes 2000
--k 50 --limit 120``. Full (the README's figures): the defaults (100,000 / 1,000,000, exact at
10,000, k 100), with ``--large`` for 1,000,000 / 10,000,000. The figures for the benchmark table
go to bench/out/network.json (``table.emit``): per stage, Lantern beside networkx on the same
graph where networkx finished it; each Lantern run's total and peak; ARI against networkx's.

The graph is synthetic: small planted groups (3 to 12 people; a chain through the members plus
each other pair with probability 0.8; each pair a "called" edge of 1 to 30 calls and, half the
time, a "seen-with" edge of 1 to 5 sightings) over --grouped of the people, in a sparse random
background of single calls between any two people, up to --edges person pairs in all. It is a
``lantern.graph.build.Network`` (``people`` empty, ``edges`` of ``Edge`` with counts), so the
weights are Lantern's own (``TYPE_WEIGHT`` x (1 + log2 count), summed per pair).

Each measurement runs in its own spawned process (its peak memory, ru_maxrss, is its own; it
includes the Network it is given, which the process generates itself from the seed: the
generation time is printed apart and counted in no stage):

* Lantern: ``lantern.graph.groups.find_groups`` unchanged, with timing wrappers around
  ``to_igraph`` (the build: person weights, igraph.Graph), ``community_leiden`` (CPM, Lantern's
  default), ``strength``, ``betweenness``, ``eigenvector_centrality`` (called per connected part)
  and ``constraint`` (brokerage); what is left is "roles" (percentiles, the key-player order,
  groups, organisers, drivers, brokers, the Member rows). Exact betweenness is O(nm) (Brandes, one Dijkstra per source):
  above --exact-nodes the wrapper replaces it with betweenness from --k sampled sources
  (igraph's ``sources=``), and the exact figure is extrapolated as sampled time x n / k. The
  groups, strength and eigenvector are those of the real code path; only the betweenness values
  (and so which members count as brokers) differ.
* Lantern exact: the same, unreplaced, at --exact-nodes people (edges in the same ratio), so
  the full path with exact betweenness is measured, not extrapolated.
* networkx (baseline, on the default-size graph only): nx.Graph from the same person weights,
  ``louvain_communities`` (seeded, modularity at Lantern's modularity resolution), weighted
  degree, power-iteration ``eigenvector_centrality`` (not the scipy variant), and
  ``betweenness_centrality`` with k sampled sources and 1/w lengths (exact is out of reach at
  this size: its time is extrapolated the same way).

Accuracy: the adjusted Rand index (``igraph.compare_communities``, "adjusted_rand") of the
found communities against the planted groups, over the members of planted groups only.
A measurement that runs past --limit seconds is stopped; the stages it finished are printed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue as queue_mod
import random
import resource
import time
from typing import Any

from machine import describe  # bench/machine.py (the script's folder is on sys.path)
from table import HIGHER, Figure, emit  # bench/table.py

LARGE = (1_000_000, 10_000_000)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- the synthetic graph

def make_network(nodes: int, edges: int, seed: int, grouped: float) -> tuple[Any, dict[str, int]]:
    """A Network of planted groups in a random background, and each grouped person's group."""
    from lantern.graph.build import Edge, Network

    rng = random.Random(seed)
    names = [f"P{i:08d}" for i in range(nodes)]
    order = list(range(nodes))
    rng.shuffle(order)
    net: dict[tuple[str, str, str], Edge] = {}
    truth: dict[str, int] = {}
    start, group = 0, 0
    while start < nodes * grouped:
        members = order[start:start + rng.randint(3, 12)]
        start += len(members)
        for i, a in enumerate(members):
            truth[names[a]] = group
            for j in range(i + 1, len(members)):
                if j == i + 1 or rng.random() < 0.8:
                    x, y = sorted((names[a], names[members[j]]))
                    net[(x, y, "called")] = Edge(x, y, "called", count=rng.randint(1, 30))
                    if rng.random() < 0.5:
                        net[(x, y, "seen-with")] = Edge(x, y, "seen-with", count=rng.randint(1, 5))
        group += 1
    pairs = sum(1 for key in net if key[2] == "called")
    while pairs < edges:
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a == b:
            continue
        x, y = (names[a], names[b]) if a < b else (names[b], names[a])
        if (x, y, "called") not in net:
            net[(x, y, "called")] = Edge(x, y, "called", count=1)
            pairs += 1
    return Network({}, net), truth


def ari(found: list[int], people: list[str], truth: dict[str, int]) -> float:
    import igraph

    index = [i for i, p in enumerate(people) if p in truth]
    return igraph.compare_communities([truth[people[i]] for i in index], [found[i] for i in index],
                                      method="adjusted_rand")


# ---------------------------------------------------------------- measurements (spawned)

class Clock:
    """Stage times and peak memory, each sent to the parent as soon as the stage ends."""

    def __init__(self, queue: mp.Queue) -> None:
        self.queue, self.stages = queue, {}

    def wrap(self, name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.queue.put(("start", name, peak_mib()))
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.done(name, time.perf_counter() - started)
        return wrapper

    def done(self, name: str, seconds: float) -> None:
        self.stages[name] = self.stages.get(name, 0.0) + seconds
        self.queue.put(("stage", name, seconds, peak_mib()))


def run_lantern(nodes: int, edges: int, seed: int, grouped: float, k: int | None, queue: mp.Queue) -> None:
    """find_groups unchanged but timed; betweenness from k sampled sources when k is given."""
    import igraph

    from lantern.graph import groups

    clock = Clock(queue)
    started = time.perf_counter()
    network, truth = make_network(nodes, edges, seed, grouped)
    queue.put(("generated", time.perf_counter() - started, peak_mib(), len(network.edges)))

    captured: dict[str, Any] = {}
    leiden, betweenness = igraph.Graph.community_leiden, igraph.Graph.betweenness

    def community_leiden(self: igraph.Graph, *args: Any, **kwargs: Any) -> Any:
        captured["membership"] = leiden(self, *args, **kwargs).membership
        captured["people"] = self.vs["name"]
        return igraph.VertexClustering(self, captured["membership"])

    def sampled(self: igraph.Graph, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("sources", None)  # Lantern samples its own above 20,000 people: use the bench's k
        sources = random.Random(seed).sample(range(self.vcount()), k)
        return betweenness(self, *args, sources=sources, **kwargs)

    groups.to_igraph = clock.wrap("build", groups.to_igraph)
    igraph.Graph.community_leiden = clock.wrap("leiden", community_leiden)
    igraph.Graph.strength = clock.wrap("strength", igraph.Graph.strength)
    igraph.Graph.betweenness = clock.wrap("betweenness", sampled if k else betweenness)
    igraph.Graph.eigenvector_centrality = clock.wrap("eigenvector", igraph.Graph.eigenvector_centrality)
    igraph.Graph.constraint = clock.wrap("brokerage", igraph.Graph.constraint)
    started = time.perf_counter()
    members = groups.find_groups(network)
    seconds = time.perf_counter() - started
    clock.done("roles", seconds - sum(clock.stages.values()))
    queue.put(("result", seconds, peak_mib(), clock.stages,
               ari(captured["membership"], captured["people"], truth),
               len({m.group_id for m in members}), len(captured["people"])))


def run_networkx(nodes: int, edges: int, seed: int, grouped: float, k: int, queue: mp.Queue) -> None:
    import networkx as nx

    from lantern.graph.groups import DEFAULT_RESOLUTION

    clock = Clock(queue)
    started = time.perf_counter()
    network, truth = make_network(nodes, edges, seed, grouped)
    queue.put(("generated", time.perf_counter() - started, peak_mib(), len(network.edges)))

    def build() -> nx.Graph:
        graph = nx.Graph()
        graph.add_weighted_edges_from((a, b, w) for (a, b), w in network.person_weights().items())
        for _, _, data in graph.edges(data=True):
            data["length"] = 1.0 / data["weight"]
        return graph

    def eigenvector(graph: nx.Graph) -> dict[str, float]:
        try:
            return nx.eigenvector_centrality(graph, weight="weight", max_iter=1000)
        except nx.PowerIterationFailedConvergence:
            return {}

    started = time.perf_counter()
    graph = clock.wrap("build", build)()
    found = clock.wrap("louvain", nx.community.louvain_communities)(
        graph, weight="weight", resolution=DEFAULT_RESOLUTION["modularity"], seed=seed)
    clock.wrap("strength", lambda: dict(graph.degree(weight="weight")))()
    clock.wrap("betweenness", nx.betweenness_centrality)(graph, k=k, weight="length", seed=seed)
    clock.wrap("eigenvector", eigenvector)(graph)
    seconds = time.perf_counter() - started
    people = sorted(graph.nodes)
    label = {p: c for c, community in enumerate(found) for p in community}
    queue.put(("result", seconds, peak_mib(), clock.stages,
               ari([label[p] for p in people], people, truth),
               sum(1 for c in found if len(c) >= 2), graph.number_of_nodes()))


def measure(target: Any, limit: float, *args: Any) -> dict[str, Any]:
    """Run target in a spawned process; stop it after limit seconds and keep what it reported."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out: dict[str, Any] = {"stages": {}, "peak": 0.0, "running": None, "seconds": None}
    deadline = time.monotonic() + limit
    while True:
        try:
            msg = queue.get(timeout=5)
        except queue_mod.Empty:
            alive = proc.is_alive()
            if alive and time.monotonic() < deadline:
                continue
            proc.terminate()
            proc.join()
            out["stopped"] = f"stopped after {limit:.0f}s" if alive else f"died (exit code {proc.exitcode})"
            if out["running"]:
                out["stopped"] += f" in {out['running']}"
            return out
        if msg[0] == "generated":
            out["generated"], out["peak"], out["edge_objects"] = msg[1], msg[2], msg[3]
        elif msg[0] == "start":
            out["running"], out["peak"] = msg[1], max(out["peak"], msg[2])
        elif msg[0] == "stage":
            out["stages"][msg[1]] = msg[2]
            out["peak"], out["running"] = max(out["peak"], msg[3]), None
        else:
            _, out["seconds"], out["peak"], out["stages"], out["ari"], out["groups"], out["nodes"] = msg
            proc.join()
            return out


# ---------------------------------------------------------------- report

def machine() -> str:
    return describe("igraph", "networkx")


STAGES = ("build", "leiden", "louvain", "strength", "betweenness", "eigenvector", "brokerage", "roles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000, help="person pairs (igraph edges)")
    parser.add_argument("--large", action="store_true", help=f"also Lantern at {LARGE[0]:,} / {LARGE[1]:,}")
    parser.add_argument("--k", type=int, default=100, help="sampled betweenness sources (default 100)")
    parser.add_argument("--exact-nodes", type=int, default=10_000,
                        help="largest size timed with exact betweenness (edges in the same ratio)")
    parser.add_argument("--grouped", type=float, default=0.5, help="share of people in planted groups")
    parser.add_argument("--limit", type=float, default=900, help="seconds before a measurement is stopped")
    parser.add_argument("--no-baseline", action="store_true", help="skip networkx")
    parser.add_argument("--large-only", action="store_true", help=f"only Lantern at {LARGE[0]:,} / {LARGE[1]:,}")
    parser.add_argument("--baseline-only", action="store_true",
                        help="only networkx (to run beside a Lantern-only run on another core)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    ratio = args.edges / args.nodes
    exact_n = min(args.exact_nodes, args.nodes)
    plan: list[tuple[str, int, int, Any, int | None]] = []
    if args.large_only:
        args.large, args.baseline_only, args.no_baseline = True, True, True
    if not args.baseline_only:
        plan.append(("Lantern, exact betweenness", exact_n, round(exact_n * ratio), run_lantern, None))
    if args.nodes > exact_n and not args.baseline_only:
        plan.append((f"Lantern, betweenness k={args.k}", args.nodes, args.edges, run_lantern, args.k))
    if not args.no_baseline:
        plan.append((f"networkx, betweenness k={args.k}", args.nodes, args.edges, run_networkx, args.k))
    if args.large and (not args.baseline_only or args.large_only):
        plan.append((f"Lantern, betweenness k={args.k}", *LARGE, run_lantern, args.k))
    print(f"planted groups of 3-12 over {args.grouped:.0%} of people; random background of single calls; "
          f"seed {args.seed}; each measurement stopped after {args.limit:.0f}s")

    rows: list[dict[str, Any]] = []
    for method, nodes, edges, target, k in plan:
        r = measure(target, args.limit, nodes, edges, args.seed, args.grouped, k)
        r.update(method=method, n=nodes, m=edges, k=k)
        rows.append(r)
        gen = f"generated in {r['generated']:.1f}s ({r['edge_objects']:,} Edge objects)" \
            if "generated" in r else "not generated"
        stages = ", ".join(f"{s} {r['stages'][s]:.1f}s" for s in STAGES if s in r["stages"])
        tail = (f"total {r['seconds']:.1f}s, peak {r['peak']:.0f} MiB, ARI {r['ari']:.3f}, "
                f"{r['groups']:,} groups of 2+" if r.get("seconds") is not None
                else f"{r.get('stopped', 'stopped')}; peak so far {r['peak']:.0f} MiB")
        print(f"\n{method} on {nodes:,} nodes / {edges:,} edges: {gen}\n  {stages}\n  {tail}")
        if k and "betweenness" in r["stages"]:
            r["extrapolated"] = r["stages"]["betweenness"] * nodes / k
            print(f"  exact betweenness extrapolated: {r['extrapolated']:,.0f}s "
                  f"({r['extrapolated'] / 3600:.1f} h) = sampled time x {nodes:,} / {k}")

    base = next((r for r in rows if r["method"].startswith("networkx") and r.get("seconds")), None)
    same = next((r for r in rows if base and r["method"].startswith("Lantern") and r["n"] == base["n"]
                 and r.get("seconds")), None)
    if base and same:
        print("\nLantern / networkx, same graph, same k: "
              + ", ".join(f"{a} {same['stages'][a] / base['stages'][b]:.3f}x"
                          for a, b in (("build", "build"), ("leiden", "louvain"), ("strength", "strength"),
                                       ("betweenness", "betweenness"), ("eigenvector", "eigenvector")))
              + f"; total {same['seconds'] / base['seconds']:.3f}x")

    print("\n| nodes | edges | method | build s | communities s | strength s | betweenness s | "
          "exact betweenness s (extrapolated) | eigenvector s | brokerage s | roles s | total s | vs networkx | "
          "peak MiB | ARI |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        st = r["stages"]

        def cell(name: str, st: dict[str, float] = st) -> str:
            return f"{st[name]:.1f}" if name in st else "-"

        communities = cell("leiden") if "leiden" in st else cell("louvain")
        extra = f"{r['extrapolated']:,.0f}" if "extrapolated" in r else ("measured" if r["k"] is None else "-")
        done = r.get("seconds") is not None
        total = f"{r['seconds']:.1f}" if done else r.get("stopped", "stopped")
        vs = f"{r['seconds'] / base['seconds']:.2f}x" if done and base and r is not base and r["n"] == base["n"] \
            else ""
        ari_cell = f"{r['ari']:.3f}" if done else "-"
        print(f"| {r['n']:,} | {r['m']:,} | {r['method']} | {cell('build')} | {communities} | "
              f"{cell('strength')} | {cell('betweenness')} | {extra} | {cell('eigenvector')} | "
              f"{cell('brokerage')} | {cell('roles')} | {total} | {vs} | {r['peak']:.0f} | {ari_cell} |")
    print()
    emit("network", table_figures(rows),
         scale={"nodes": args.nodes, "edges": args.edges, "exact_nodes": exact_n, "k": args.k,
                "grouped": args.grouped, "large": args.large, "limit": args.limit, "seed": args.seed},
         libraries=("igraph", "networkx"))


# Lantern's stage beside networkx's doing the same job on the same graph.
PAIRED = (("build", "build", "build the weighted graph"), ("leiden", "louvain", "find groups"),
          ("strength", "strength", "weighted degree"), ("betweenness", "betweenness", "betweenness"),
          ("eigenvector", "eigenvector", "eigenvector centrality"))


def table_figures(rows: list[dict[str, Any]]) -> list[Figure]:
    """Per stage, Lantern beside networkx on the same graph (where it finished); per Lantern run,
    its total (with peak memory) and its group accuracy (ARI)."""
    base = next((r for r in rows if r["method"].startswith("networkx")), None)
    base_name = f"networkx on the same graph ({base['method'].split(', ')[1]})" if base else ""
    why_none = ("networkx not run (--no-baseline)" if base is None
                else f"networkx {base.get('stopped', 'stopped')}" if base.get("seconds") is None else "")
    figures = []
    if base is not None and base.get("seconds") is not None and not any(
            r["method"].startswith("Lantern") for r in rows):  # --baseline-only: networkx's own figures
        scale = f"{base['n']:,} people / {base['m']:,} ties, betweenness from {base['k']} sources"
        return [Figure(f"networkx alone (--baseline-only), {scale}", round(base["seconds"], 3), "s",
                       peak_mib=round(base["peak"]), extra={"stages s": base["stages"], "ari": base["ari"]})]
    for r in rows:
        if not r["method"].startswith("Lantern"):
            continue
        sampled = f"betweenness from {r['k']} sources" if r["k"] else "exact betweenness"
        scale = f"{r['n']:,} people / {r['m']:,} ties, {sampled}"
        paired = base is not None and base["n"] == r["n"]
        if r.get("seconds") is None:
            figures.append(Figure(f"find_groups, {scale}: stopped", 0.0, "s", note=r.get("stopped", "stopped"),
                                  peak_mib=round(r["peak"]), extra={"stages s": r["stages"]}))
            continue
        if paired:
            assert base is not None
            for ours, theirs, label in PAIRED:
                if ours not in r["stages"]:
                    continue
                done = theirs in base["stages"]
                note = "" if done else (why_none or f"networkx did not reach {theirs}")
                if ours == "leiden":
                    note = "Leiden (CPM) against Louvain (modularity)" + (f"; {note}" if note else "")
                if ours == "betweenness" and not r["k"]:
                    note = f"exact against networkx's {base['k']} sampled sources" + (f"; {note}" if note else "")
                sampled_extra: dict[str, Any] = {}
                if ours == "betweenness":
                    sampled_extra = {name: round(x["extrapolated"]) for name, x in (
                        ("exact s, extrapolated", r), ("networkx exact s, extrapolated", base)) if "extrapolated" in x}
                figures.append(Figure(
                    f"{label}, {scale}", round(r["stages"][ours], 3), "s", base_name,
                    round(base["stages"][theirs], 3) if done else None, note=note, extra=sampled_extra))
        elsewhere = why_none if base is None else "networkx not run at this size"
        total_note = ("brokerage and roles have no networkx counterpart (in the baseline's total: the five stages "
                      "above)" if paired and base and base.get("seconds") is not None
                      else why_none if paired else elsewhere)
        extra: dict[str, Any] = {"stages s": {k: round(v, 3) for k, v in r["stages"].items()},
                                 "groups of 2+": r["groups"], "nodes in graph": r["nodes"]}
        if "extrapolated" in r:
            extra["exact betweenness s, extrapolated"] = round(r["extrapolated"])
        figures.append(Figure(
            f"find_groups total, {scale}", round(r["seconds"], 3), "s", base_name if paired else "",
            round(base["seconds"], 3) if paired and base and base.get("seconds") is not None else None,
            peak_mib=round(r["peak"]), baseline_peak_mib=round(base["peak"]) if paired and base else None,
            note=total_note + ("; networkx peak is the most seen before it was stopped"
                               if paired and base and base.get("seconds") is None else ""),
            extra=extra))
        base_ari = base.get("ari") if paired and base else None
        figures.append(Figure(
            f"group accuracy against planted groups, {scale}", round(r["ari"], 4), "ARI",
            base_name if paired else "", round(base_ari, 4) if base_ari is not None else None, better=HIGHER,
            note="adjusted Rand index over planted-group members"
                 + ("" if base_ari is not None else f"; {why_none if paired else elsewhere}")))
    return figures


if __name__ == "__main__":
    main()

"""Bulk CDRs: ``lantern.comms.bulk.load_cdr`` and the comms analyses on the frame it builds,
against the same work done by a dataframe library, on one synthetic provider CDR.

Run: .venv/bin/python bench/comms.py [--rows 10000000] [--numbers 200000] [--targets 300]
     [--seed 1] [--limit 600] [--max-memory 16] [--keep]
     [--no-baseline] [--memory 2GB]

Quick (``make bench``, about a minute and a half): ``--rows 1000000 --numbers 20000 --targets 100
--memory 256MB``. Full (the README's figures): the defaults, 10,000,000 rows, 200,000 numbers,
300 targets, with ``--memory 2GB``. The
figures for the benchmark table go to bench/out/comms.json (``table.emit``): per step, the
in-memory frame and the workspace, each beside the baseline's time, with peak memory; with
``--memory``, the workspace load again under that DuckDB memory limit (`lantern --memory`),
beside the load without one, and whether both kept the same calls.

Aim: every query below answers in under 2 s on a loaded frame, on 2 cores. The table says
whether each did.

The CDR (Qnet's layout, ``lantern.comms.bulk.QNET``) is written by DuckDB itself
(``COPY (SELECT ... FROM range(N)) TO 'cdr.csv'``; every value a hash of the row number and
the seed, so the file is the same each run). Its shape:

* --targets target numbers (the subscribers whose CDR it is; each row is one of theirs, in or
  out). Rows per target are skewed (target slot floor(T * u^2): the busiest has ~6% of all
  rows, the quietest a twentieth of that).
* Each target has its own circle of contacts (half to twice --numbers / --targets of them)
  rung with Zipf-like frequency (rank floor(c^u): a few numbers most of the time), so the
  file holds about --numbers distinct numbers; 2% of rows ring one of 2,000 "hub" numbers
  (taxis, takeaways) picked Zipf-like too, shared between targets.
* A target's rows carry its IMEI, IMSI and first and last cell (20 cells per area, ten
  targets per area). Planted changes, on one target slot in ten, at a date 30-70% into the
  year: a new handset (IMEI) for the same number; a new SIM and number in the same handset;
  or a new number, SIM and handset ringing the same circle (found only by contacts).
* 5% of contact numbers are written "+44 7xxx xxxxxx"; 0.05% of rows have a bad date and
  0.05% a blank B number (loaded as rejects).

Each measurement runs in its own spawned process, so its peak memory (ru_maxrss) is its own.
The load process loads the CSV (timed) and then saves the frame it built (untimed: a DuckDB
file, or Arrow IPC files); each query's process reads that frame back into memory (the time
is printed, not counted) and runs one query, so its peak includes the frame.

* Lantern: ``load_cdr`` into an in-memory DuckDB; then ``phones.top_contacts`` of the busiest
  target, ``phones.common_contacts`` of 50 targets, ``colocation.co_located`` for a typical
  target (the median slot), and ``switches.likely_switches`` over the whole frame. The load
  process also checks every observation's row number against the generator (each row's time
  is a function of its row number), i.e. that DuckDB's reading kept file order.
* Workspace: what ``lantern calls load`` does (``callstore.load_bulk``: the CDR registered as
  a source of a SQLite workspace, its calls kept in the case's DuckDB file beside it), then the
  same queries on the frame every ``lantern calls`` command reads (``load_frame(bulk=...)``:
  views over that file on disk, joined to the store's own calls; no copy into memory).
* Baseline: pandas is not installed in this environment (and nothing may be installed), so
  the baseline is the same work in pyarrow + numpy, the engine under
  ``pandas.read_csv(engine="pyarrow")``: ``pyarrow.csv.read_csv`` with every column a string,
  the same cleaning in ``pyarrow.compute`` (the same regular expressions, RE2 in both; dates
  with ``pc.strptime``), the same de-duplication (``group_by``), and the four queries in
  ``pyarrow.compute``/``numpy`` with the same rules, ordering and limits (co-location on the
  same cell only: the frame has no cell sites, so Lantern's nearby-cell rule adds nothing).
  Each query's answer is compared with Lantern's ("same" column).

A measurement that runs past --limit seconds (of its query, after the frame is read back) or
past --max-memory GiB resident is stopped (the parent polls its VmRSS/VmHWM every 0.5 s) and
reported as such, with the most memory seen before it was stopped.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue as queue_mod
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from machine import describe  # bench/machine.py (the script's folder is on sys.path)
from table import Figure, emit  # bench/table.py

AIM_SECONDS = 2.0
HUBS = 2000
YEAR = datetime(2024, 1, 1)
SAMPLE_GIVEN = 50


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- the synthetic CDR

def macros(seed: int) -> str:
    return f"""
    CREATE OR REPLACE MACRO u(i, salt) AS (hash(i, salt, {seed}) % 1000000007) / 1000000007.0;
    CREATE OR REPLACE MACRO row_at(i) AS
        TIMESTAMP '{YEAR:%Y-%m-%d}' + to_seconds(CAST(floor(u(i, 2) * 365 * 86400) AS BIGINT));
    CREATE OR REPLACE MACRO target_no(t, era) AS '079' || lpad(CAST(t * 2 + era AS VARCHAR), 8, '0');
    """


def target_number(slot: int, era: int = 0) -> str:
    """As the generator writes it (07...), in E.164."""
    return f"+4479{slot * 2 + era:08d}"


def planted(targets: int) -> dict[str, list[tuple[str, str]]]:
    """The planted changes: kind -> (old number, new number), E.164."""
    out: dict[str, list[tuple[str, str]]] = {"handset": [], "sim": [], "contacts": []}
    for t in range(5, targets, 10):
        kind = ("handset", "sim", "contacts")[(t // 10) % 3]
        out[kind].append((target_number(t), target_number(t, 0 if kind == "handset" else 1)))
    return out


def generate(path: Path, rows: int, numbers: int, targets: int, seed: int) -> None:
    import duckdb

    circle = max(numbers // targets, 10)
    db = duckdb.connect()
    db.execute(macros(seed))
    db.execute(f"""
    COPY (
      WITH r AS (SELECT i, CAST(floor({targets} * pow(u(i, 1), 2)) AS BIGINT) AS t, u(i, 2) AS day_u
                 FROM range({rows}) r(i)),
      s AS (SELECT *, t % 10 = 5 AND day_u >= 0.3 + 0.4 * u(t, 11) AS after, (t // 10) % 3 AS plant,
                   floor({circle} * (0.5 + 1.5 * pow(u(t, 21), 2))) AS circle FROM r),
      e AS (SELECT *, CAST(after AND plant IN (1, 2) AS INT) AS e_num, CAST(after AND plant IN (0, 2) AS INT) AS e_imei,
                   CASE WHEN u(i, 4) < 0.02 THEN '070' || lpad(CAST(CAST(floor(pow({HUBS}, u(i, 5))) AS BIGINT) - 1
                                                                    AS VARCHAR), 8, '0')
                        ELSE '071' || lpad(CAST(hash(t, CAST(floor(pow(circle, u(i, 3))) AS BIGINT), {seed})
                                                % 100000000 AS VARCHAR), 8, '0') END AS other_no
            FROM s),
      f AS (SELECT *, target_no(t, e_num) AS target,
                   CASE WHEN u(i, 14) < 0.05 THEN '+44 ' || substr(other_no, 2, 4) || ' ' || substr(other_no, 6)
                        ELSE other_no END AS other,
                   u(i, 7) < 0.3 AS sms, 'C' || CAST((t // 10) * 20 + floor(u(i, 9) * 20) AS BIGINT) AS cell
            FROM e)
      SELECT 'QN' || lpad(CAST(i + 1 AS VARCHAR), 10, '0') AS RECORD_ID, target AS TARGET,
             CASE WHEN u(i, 6) < 0.5 THEN target ELSE other END AS A_NUMBER,
             CASE WHEN u(i, 13) < 0.0005 THEN '' WHEN u(i, 6) < 0.5 THEN other ELSE target END AS B_NUMBER,
             CASE WHEN sms THEN 'SMS' ELSE 'VOICE' END AS CALL_TYPE,
             CASE WHEN u(i, 12) < 0.0005 THEN '00/00/0000 00:00:00' ELSE strftime(row_at(i), '%d/%m/%Y %H:%M:%S')
                  END AS START,
             CASE WHEN sms THEN 0 ELSE CAST(floor(5 + 900 * pow(u(i, 8), 2)) AS BIGINT) END AS DURATION,
             '3591' || lpad(CAST(t * 2 + e_imei AS VARCHAR), 11, '0') AS IMEI,
             '23415' || lpad(CAST(t * 2 + e_num AS VARCHAR), 10, '0') AS IMSI,
             cell AS FIRST_CELL,
             CASE WHEN u(i, 10) < 0.7 THEN cell
                  ELSE 'C' || CAST((t // 10) * 20 + floor(u(i, 15) * 20) AS BIGINT) END AS LAST_CELL
      FROM f
    ) TO '{path}' (HEADER, DELIMITER ',')""")  # noqa: S608 - integers and a temp path
    db.close()


# ---------------------------------------------------------------- Lantern (DuckDB)

def lantern_load(path: Path, seed: int, check: bool) -> tuple[Any, dict[str, Any]]:
    import duckdb

    from lantern.comms.bulk import QNET, ROW_STRIDE, load_cdr
    from lantern.comms.frame import CommsFrame

    db = duckdb.connect()
    db.execute(f"SET temp_directory = '{path.parent / 'spill'}'")  # if DuckDB spills, into the bench's folder
    result = load_cdr(db, path, QNET)
    info = {"rows": result.rows, "calls": db.execute("SELECT count(*) FROM calls").fetchone()[0],
            "observations": result.observations, "rejected": result.rejected,
            "numbers": db.execute("SELECT count(DISTINCT n) FROM (SELECT a AS n FROM calls UNION ALL "
                                  "SELECT b FROM calls)").fetchone()[0]}
    if check:  # untimed: each row's time is row_at(row - 2)
        db.execute(macros(seed))
        info["misplaced"] = db.execute(
            f'SELECT count(*) FROM observations WHERE "at" <> row_at(record_id % {ROW_STRIDE} - 2)'  # noqa: S608
        ).fetchone()[0]
    return CommsFrame(db, 1), info


def workspace_load(path: Path, folder: Path) -> dict[str, Any]:
    """``lantern calls load``'s path: the CDR registered as a source of a SQLite workspace and
    kept in the case's DuckDB file beside it."""
    from lantern.comms.bulk import QNET
    from lantern.comms.callstore import CallStore, load_bulk
    from lantern.store import Workspace

    folder.mkdir(exist_ok=True)
    ws = Workspace(f"sqlite:///{folder / 'lantern.db'}")
    ws.init()
    with ws.writer() as conn:
        done = load_bulk(conn, CallStore(folder / "data"), 1, path, QNET, "bench")
    assert done.result is not None
    return {"rows": done.result.rows, "calls": done.result.calls_added, "rejected": done.result.rejected,
            "file MiB": round(CallStore(folder / "data").path(1).stat().st_size / 2**20)}


def workspace_frame(folder: Path) -> Any:
    """The frame every `lantern calls` command reads: the store's calls joined to the bulk
    file, read from disk where it lies (views, not a copy)."""
    from lantern.comms.callstore import CallStore
    from lantern.comms.frame import load_frame
    from lantern.store import Workspace

    with Workspace(f"sqlite:///{folder / 'lantern.db'}").reader() as conn:
        return load_frame(conn, 1, bulk=CallStore(folder / "data"))


def lantern_query(frame: Any, query: str, subject: Any) -> Any:
    from lantern.comms import colocation, phones, switches

    if query == "top contacts":
        return [(c.number, c.calls, c.messages, c.seconds) for c in phones.top_contacts(frame, subject)]
    if query == "common contacts":
        return [(c.number, len(c.shared_by), c.contacts) for c in phones.common_contacts(frame, subject)]
    if query == "co-location":
        return [(c.number, c.occasions, c.on_calls) for c in colocation.co_located(frame, subject)]
    return sorted((s.kind, s.old_number, s.new_number) for s in switches.likely_switches(frame))


# ---------------------------------------------------------------- baseline (pyarrow + numpy)

UK_FORMS = (  # as lantern.comms.bulk._e164, in the same order
    (r"^0[1-9]\d{8,9}$", r"^0", "+44"),
    (r"^44[1-9]\d{8,9}$", r"^", "+"),
    (r"^(?:\+|00)440?[1-9]\d{8,9}$", r"^(?:\+|00)440?", "+44"),
    (r"^[1-9]\d{9}$", r"^", "+44"),
    (r"^(?:\+|00)[1-9]\d{6,14}$", r"^(?:\+|00)", "+"),
)


@dataclass
class ArrowFrame:
    calls: Any  # pa.Table: a, b, kind, at, duration, records
    obs: Any  # pa.Table: record_id, target, other, at, imei, imsi, cell_start, cell_end


def _stripped(col: Any, chars: str) -> Any:
    import pyarrow.compute as pc

    out = pc.if_else(pc.match_substring_regex(col, r"^\+?\d+$"), col,
                     pc.replace_substring_regex(col, f"[{chars}]", ""))
    return pc.if_else(pc.equal(out, ""), None, out)


def _e164(col: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    out = pa.nulls(len(col), pa.string())
    for form, prefix, replace in reversed(UK_FORMS):  # the first form that matches wins
        out = pc.if_else(pc.match_substring_regex(col, form), pc.replace_substring_regex(col, prefix, replace, max_replacements=1), out)
    return out


def arrow_load(path: Path) -> tuple[ArrowFrame, dict[str, Any]]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pv

    from lantern.comms.bulk import DEFAULT_KINDS, DEVICE_JUNK, PHONE_JUNK, ROW_STRIDE

    header = path.open().readline().strip().split(",")
    skipped = []
    table = pv.read_csv(path, parse_options=pv.ParseOptions(invalid_row_handler=lambda row: skipped.append(row) or "skip"),
                        convert_options=pv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                          strings_can_be_null=False))
    n = table.num_rows
    record_id = pa.array(ROW_STRIDE + np.arange(2, n + 2, dtype=np.int64))  # file 1; no skipped rows in ours
    a_raw, b_raw, t_raw = (_stripped(table[c], PHONE_JUNK) for c in ("A_NUMBER", "B_NUMBER", "TARGET"))
    a, b, target = _e164(a_raw), _e164(b_raw), _e164(t_raw)
    at = pc.strptime(pc.utf8_trim_whitespace(table["START"]), format="%d/%m/%Y %H:%M:%S", unit="s", error_is_null=True)
    codes = pa.array([c for c, _ in DEFAULT_KINDS])
    kind = pc.take(pa.array([k for _, k in DEFAULT_KINDS]),
                   pc.index_in(pc.utf8_upper(pc.utf8_trim_whitespace(table["CALL_TYPE"])), value_set=codes))
    d = pc.utf8_trim_whitespace(table["DURATION"])
    d_ok = pc.match_substring_regex(d, r"^\d+(\.\d+)?$")
    duration = pc.cast(pc.if_else(d_ok, d, None), pa.float64())
    ok = pc.and_(pc.and_(pc.not_equal(pc.utf8_trim_whitespace(table["RECORD_ID"]), ""), pc.is_valid(at)),
                 pc.and_(pc.is_valid(kind), pc.is_valid(a)))
    ok = pc.and_(ok, pc.or_(pc.is_valid(b), pc.and_(pc.is_null(b_raw), pc.equal(kind, "data"))))
    ok = pc.and_(ok, pc.and_(pc.or_(pc.is_null(t_raw), pc.is_valid(target)), pc.or_(pc.equal(d, ""), d_ok)))
    ok = pc.fill_null(ok, False)

    def device(name: str) -> Any:
        return _stripped(table[name], DEVICE_JUNK)

    def cell(name: str) -> Any:
        v = pc.utf8_trim_whitespace(table[name])
        return pc.if_else(pc.equal(v, ""), None, v)

    rows = pa.table({"record_id": record_id, "a": a, "b": b, "target": target, "kind": kind, "at": at,
                     "duration": duration, "imei": device("IMEI"), "imsi": device("IMSI"),
                     "cell_start": cell("FIRST_CELL"), "cell_end": cell("LAST_CELL")}).filter(ok)
    with_target = rows.filter(pc.is_valid(rows["target"]))
    obs = pa.table({"record_id": with_target["record_id"], "target": with_target["target"],
                    "other": pc.if_else(pc.equal(with_target["a"], with_target["target"]), with_target["b"],
                                        with_target["a"]),
                    **{c: with_target[c] for c in ("at", "imei", "imsi", "cell_start", "cell_end")}})
    calls = (rows.filter(pc.is_valid(rows["b"])).group_by(["a", "b", "at", "duration"])
             .aggregate([("kind", "min"), ("record_id", "list")])
             .rename_columns(["a", "b", "at", "duration", "kind", "records"]))
    info = {"rows": n + len(skipped), "calls": calls.num_rows, "observations": obs.num_rows,
            "rejected": n - rows.num_rows + len(skipped)}
    return ArrowFrame(calls, obs), info


def _codes(*columns: Any) -> tuple[list[Any], Any]:
    """Integer codes of string columns, one dictionary for all (null: -1)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    joined = pa.chunked_array([c for col in columns for c in (col.chunks if hasattr(col, "chunks") else [col])],
                              pa.string())
    encoded = pc.dictionary_encode(joined).combine_chunks()
    idx = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
    out, start = [], 0
    for col in columns:
        out.append(idx[start:start + len(col)])
        start += len(col)
    return out, encoded.dictionary


def _seconds(col: Any) -> Any:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pc.cast(col, pa.timestamp("s")), pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)


def arrow_top_contacts(f: ArrowFrame, number: str, limit: int = 20) -> list[tuple[Any, ...]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    c = f.calls
    sub = c.filter(pc.or_(pc.equal(c["a"], number), pc.equal(c["b"], number)))
    message = pc.or_(pc.equal(sub["kind"], "message"), pc.equal(sub["kind"], "sms"))
    t = pa.table({"other": pc.if_else(pc.equal(sub["a"], number), sub["b"], sub["a"]),
                  "voice": pc.cast(pc.invert(message), pa.int64()), "msg": pc.cast(message, pa.int64()),
                  "duration": sub["duration"]})
    g = t.group_by("other").aggregate([("other", "count"), ("voice", "sum"), ("msg", "sum"), ("duration", "sum")])
    g = g.sort_by([("other_count", "descending"), ("duration_sum", "descending"), ("other", "ascending")])
    return [(r["other"], r["voice_sum"], r["msg_sum"], float(r["duration_sum"] or 0))
            for r in g.slice(0, limit).to_pylist()]


def arrow_common_contacts(f: ArrowFrame, numbers: list[str], minimum: int = 2,
                          limit: int = 50) -> list[tuple[Any, ...]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    given = pa.array(sorted(set(numbers)))
    c = f.calls
    left, right = c.filter(pc.is_in(c["a"], value_set=given)), c.filter(pc.is_in(c["b"], value_set=given))
    pairs = pa.table({"mine": pa.chunked_array(left["a"].chunks + right["b"].chunks),
                      "other": pa.chunked_array(left["b"].chunks + right["a"].chunks)})
    pairs = pairs.filter(pc.invert(pc.is_in(pairs["other"], value_set=given)))
    g = pairs.group_by("other").aggregate([("mine", "count_distinct"), ("mine", "count")])
    g = g.filter(pc.greater_equal(g["mine_count_distinct"], minimum))
    g = g.sort_by([("mine_count_distinct", "descending"), ("mine_count", "descending"), ("other", "ascending")])
    return [(r["other"], r["mine_count_distinct"], r["mine_count"]) for r in g.slice(0, limit).to_pylist()]


def arrow_co_located(f: ArrowFrame, number: str, minutes: float = 30) -> list[tuple[Any, ...]]:
    import numpy as np
    import pyarrow.compute as pc

    o = f.obs
    seconds = round(minutes * 60)
    (target, other), phones = _codes(o["target"], o["other"])
    (start, end), _ = _codes(o["cell_start"], o["cell_end"])
    at = _seconds(o["at"])
    # seen: each row on its first cell, and on its last if that differs (UNION drops the twin)
    second = (end >= 0) & (end != start)
    keep = start >= 0
    cell = np.concatenate([start[keep], end[second]])
    s_at = np.concatenate([at[keep], at[second]])
    s_target = np.concatenate([target[keep], target[second]])
    s_other = np.concatenate([other[keep], other[second]])
    me = pc.index(phones, number).as_py()
    if me < 0:
        return []
    base = int(s_at.min()) - seconds - 1
    key = cell * (1 << 36) + (s_at - base)
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    mine = np.flatnonzero(s_target == me)
    lo = np.searchsorted(key_sorted, key[mine] - seconds, "left")
    hi = np.searchsorted(key_sorted, key[mine] + seconds, "right")
    sizes = hi - lo
    own = np.repeat(mine, sizes)
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    theirs = order[np.repeat(lo, sizes) + offsets]
    hit = s_target[theirs] != me
    theirs, own = theirs[hit], own[hit]
    phone, when, on_call = s_target[theirs], s_at[theirs], s_other[theirs] == me
    occasions = np.unique(phone * (1 << 36) + (when - base))
    calls = np.unique(phone[on_call] * (1 << 36) + (when[on_call] - base))
    found = np.bincount(occasions >> 36, minlength=len(phones))
    on = np.bincount(calls >> 36, minlength=len(phones))
    people = np.flatnonzero(found)
    names = phones.take(people).to_pylist()
    return sorted(((names[i], int(found[p]), int(on[p])) for i, p in enumerate(people)),
                  key=lambda r: (-r[1], r[2], r[0]))


def arrow_switches(f: ArrowFrame) -> list[tuple[str, str, str]]:
    """switches.likely_switches, in pyarrow + numpy: the same three signs and thresholds."""
    import numpy as np

    from lantern.comms.switches import MAX_CONTACT_REACH, MIN_CONTACTS, MIN_OVERLAP, QUIET_DAYS

    c, o = f.calls, f.obs
    (a, b, t_obs, other_obs), numbers = _codes(c["a"], c["b"], o["target"], o["other"])
    at = _seconds(c["at"])
    o_at = _seconds(o["at"])
    (imei, imsi), _ = _codes(o["imei"], o["imsi"])

    def contacts(n: int, before: int | None = None, after: int | None = None) -> set[int]:
        m = (a == n) | (b == n)
        if before is not None:
            m &= at < before
        if after is not None:
            m &= at >= after
        return set(np.where(a[m] == n, b[m], a[m]).tolist())

    def overlap(old: set[int], new: set[int]) -> tuple[float, int]:
        shared = len(old & new)
        return (shared / len(old | new) if old | new else 0.0), shared

    found: list[tuple[str, int, int]] = []
    for kind, group, device in (("handset", t_obs, imei), ("sim", imei, imsi)):
        ok = (group >= 0) & (device >= 0)
        g, d, t, when = group[ok], device[ok], t_obs[ok], o_at[ok]
        key = (g * (d.max() + 1) + d) * (t.max() + 1) + t
        order = np.lexsort((when, key))
        first = order[np.r_[True, key[order][1:] != key[order][:-1]]]
        firsts = sorted(zip(g[first].tolist(), when[first].tolist(), d[first].tolist(), t[first].tolist(),
                            strict=True))
        for prev, cur in zip(firsts, firsts[1:], strict=False):
            if prev[0] != cur[0] or prev[2] == cur[2] or (kind == "sim" and prev[3] == cur[3]):
                continue
            overlap(contacts(prev[3], before=cur[1]), contacts(cur[3], after=cur[1]))
            found.append((kind, prev[3], cur[3]))
    known = {(old, new) for _, old, new in found}

    # contact successions: every pair of numbers with MIN_CONTACTS others in common
    n = np.concatenate([a, b])
    other = np.concatenate([b, a])
    when = np.concatenate([at, at])
    size = len(numbers)
    first_at = np.full(size, np.iinfo(np.int64).max)
    last_at = np.full(size, np.iinfo(np.int64).min)
    np.minimum.at(first_at, n, when)
    np.maximum.at(last_at, n, when)
    pairs = np.unique(n * size + other)
    pn, po = pairs // size, pairs % size
    reach = np.bincount(po, minlength=size)  # a contact rung by many says nothing (MAX_CONTACT_REACH)
    narrow = reach[po] <= MAX_CONTACT_REACH
    pn, po = pn[narrow], po[narrow]
    order = np.argsort(po, kind="stable")
    pn, po = pn[order], po[order]
    starts = np.flatnonzero(np.r_[True, po[1:] != po[:-1]])
    group_size = np.diff(np.r_[starts, len(po)])
    shared_keys, shared_counts = [], []
    step = 20_000_000  # pairs per chunk, to bound memory
    g0 = 0
    while g0 < len(starts):
        total, g1 = 0, g0
        while g1 < len(starts) and (total == 0 or total + group_size[g1] ** 2 <= step):
            total += int(group_size[g1]) ** 2
            g1 += 1
        lo, hi = starts[g0], (starts[g1] if g1 < len(starts) else len(po))
        sizes = np.repeat(group_size[g0:g1], group_size[g0:g1])
        left = np.repeat(np.arange(lo, hi), sizes)
        block_start = np.repeat(np.repeat(starts[g0:g1], group_size[g0:g1]), sizes)
        right = block_start + (np.arange(len(left)) - np.repeat(np.cumsum(sizes) - sizes, sizes))
        keep = left != right
        k, cnt = np.unique(pn[left[keep]] * size + pn[right[keep]], return_counts=True)
        shared_keys.append(k)
        shared_counts.append(cnt)
        g0 = g1
    keys = np.concatenate(shared_keys)
    counts = np.concatenate(shared_counts)
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    bounds = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    keys, counts = keys[bounds], np.add.reduceat(counts, bounds)
    keys = keys[counts >= MIN_CONTACTS]
    old, new = keys // size, keys % size
    quiet = QUIET_DAYS * 86400
    end = int(at.max())
    ok = ((last_at[old] < end - quiet) & (first_at[new] > last_at[old] - quiet)
          & (first_at[new] <= last_at[old] + quiet) & (first_at[new] > first_at[old]))
    for x, y in zip(old[ok].tolist(), new[ok].tolist(), strict=True):
        if (x, y) in known or x == y:
            continue
        since = int(first_at[y])
        share, shared = overlap(contacts(x, before=since), contacts(y, after=since))
        if share >= MIN_OVERLAP and shared >= MIN_CONTACTS:
            found.append(("contacts", x, y))
    names = numbers.to_pylist()
    return sorted((kind, names[x], names[y]) for kind, x, y in found)


def arrow_query(frame: ArrowFrame, query: str, subject: Any) -> Any:
    if query == "top contacts":
        return arrow_top_contacts(frame, subject)
    if query == "common contacts":
        return arrow_common_contacts(frame, subject)
    if query == "co-location":
        return arrow_co_located(frame, subject)
    return arrow_switches(frame)


# ---------------------------------------------------------------- measurements (spawned)

def save(engine: str, frame: Any, folder: Path) -> None:
    """The loaded frame, for the query processes to read back (untimed)."""
    if engine == "lantern":
        frame.db.execute(f"ATTACH '{folder / 'frame.duckdb'}' AS saved")
        frame.db.execute("COPY FROM DATABASE memory TO saved")
        frame.db.execute("DETACH saved")
    else:
        import pyarrow as pa

        for name in ("calls", "obs"):
            table = getattr(frame, name)
            with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink, \
                    pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)


def restore(engine: str, folder: Path) -> Any:
    """The saved frame, read back into memory (not memory-mapped)."""
    if engine == "lantern":
        import duckdb

        from lantern.comms.frame import CommsFrame

        db = duckdb.connect()
        db.execute(f"SET temp_directory = '{folder.parent / 'spill'}'")
        db.execute(f"ATTACH '{folder / 'frame.duckdb'}' AS saved (READ_ONLY)")
        db.execute("COPY FROM DATABASE saved TO memory")
        db.execute("DETACH saved")
        return CommsFrame(db, 1)
    import pyarrow as pa

    return ArrowFrame(*(pa.ipc.open_file(pa.OSFile(str(folder / f"{name}.arrow"))).read_all()
                        for name in ("calls", "obs")))


def warm_up(engine: str, frame: Any) -> None:
    """One trivial query first, so neither engine's first-call set-up is timed."""
    if engine == "lantern":
        frame.rows("SELECT count(*) FROM calls WHERE a = 'x'")
    else:
        import pyarrow.compute as pc

        frame.calls.slice(0, 10).group_by("a").aggregate([("a", "count")])
        pc.sum(pc.equal(frame.calls["a"], "x"))


def job(engine: str, query: str, path: str, subject: Any, seed: int, queue: mp.Queue) -> None:
    folder = Path(path).parent / engine
    started = time.perf_counter()
    if query == "load" and engine.startswith("workspace"):
        if engine != "workspace":  # workspace@4GB: `lantern --memory 4GB calls load`
            from lantern import analytics

            analytics.set_memory_limit(engine.split("@", 1)[1])
        info = workspace_load(Path(path), folder)
        queue.put(("loaded", time.perf_counter() - started, peak_mib(), info))
        queue.put(("saved",))
        return
    if query == "load":
        frame, info = lantern_load(Path(path), seed, check=True) if engine == "lantern" else arrow_load(Path(path))
        queue.put(("loaded", time.perf_counter() - started, peak_mib(), info))
        folder.mkdir(exist_ok=True)
        save(engine, frame, folder)
        queue.put(("saved",))
        return
    frame = workspace_frame(folder) if engine == "workspace" else restore(engine, folder)
    warm_up("lantern" if engine == "workspace" else engine, frame)
    queue.put(("loaded", time.perf_counter() - started, peak_mib(), None))
    started = time.perf_counter()
    answer = (arrow_query if engine == "arrow" else lantern_query)(frame, query, subject)
    queue.put(("result", time.perf_counter() - started, peak_mib(), answer))


def memory_mib(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak (VmRSS, VmHWM), in MiB (Linux)."""
    try:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return 0.0, 0.0


def measure(engine: str, query: str, path: Path, subject: Any, seed: int, limit: float,
            cap_mib: float) -> dict[str, Any]:
    """Run one measurement in a spawned process; stop it past ``limit`` seconds or ``cap_mib``
    resident memory (so that it, not some other process on the machine, is what gives way)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=job, args=(engine, query, str(path), subject, seed, queue))
    proc.start()
    out: dict[str, Any] = {"peak": 0.0}
    begun = time.monotonic()
    while True:
        try:
            msg = queue.get(timeout=0.5)
        except queue_mod.Empty:
            now, high = memory_mib(proc.pid)
            out["peak"] = max(out["peak"], high)
            running = time.monotonic() - out.get("since", begun)
            if proc.is_alive() and running < limit and now < cap_mib:
                continue
            alive = proc.is_alive()
            proc.kill()
            proc.join()
            out["stopped"] = (f"died (exit code {proc.exitcode})" if not alive
                              else f"stopped at {cap_mib / 1024:.0f} GiB after {running:.0f}s" if now >= cap_mib
                              else f"stopped after {limit:.0f}s")
            return out
        if msg[0] == "saved":
            proc.join()
            return out
        out["peak"] = max(out["peak"], msg[2])
        if msg[0] == "loaded":
            out["load"], out["info"], out["since"] = msg[1], msg[3], time.monotonic()
            if query == "load":
                out["seconds"] = msg[1]
        else:
            out["seconds"], out["answer"] = msg[1], msg[3]
            proc.join()
            return out


# ---------------------------------------------------------------- report

def machine() -> str:
    return describe("duckdb", "pyarrow", "numpy", "pandas")


def peak(r: dict[str, Any]) -> str:
    """Peak MiB; for a process stopped or killed, the most seen before it went (at least that)."""
    if not r:
        return "-"
    return f"{'>= ' if 'stopped' in r else ''}{r['peak']:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--numbers", type=int, default=200_000, help="distinct contact numbers, about")
    parser.add_argument("--targets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=600, help="seconds before a measurement is stopped")
    parser.add_argument("--max-memory", type=float, default=16,
                        help="GiB of resident memory at which a measurement is stopped")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV and saved frames")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--memory", help="also load the workspace under this DuckDB memory limit "
                                         "(`lantern --memory`), against the load without one")
    args = parser.parse_args()
    print(machine())
    folder = Path(tempfile.mkdtemp(prefix="lantern-bench-comms-"))
    path = folder / "cdr_qnet.csv"
    started = time.perf_counter()
    generate(path, args.rows, args.numbers, args.targets, args.seed)
    print(f"generated {args.rows:,} CDR rows ({path.stat().st_size / 2**20:,.0f} MiB) in "
          f"{time.perf_counter() - started:.1f}s: {path}; {args.targets} targets, ~{args.numbers:,} numbers, "
          f"seed {args.seed}; each measurement stopped after {args.limit:.0f}s or at {args.max_memory:g} GiB")

    subjects: dict[str, Any] = {
        "load": None,
        "top contacts": target_number(0),
        "common contacts": [target_number(t) for t in range(SAMPLE_GIVEN)],
        "co-location": target_number(args.targets // 2),
        "switches": None,
    }
    engines = ["lantern", "workspace"] + ([] if args.no_baseline else ["arrow"])
    results: dict[tuple[str, str], dict[str, Any]] = {}
    for query, subject in subjects.items():
        for engine in engines:
            r = results[(engine, query)] = measure(engine, query, path, subject, args.seed, args.limit,
                                                   args.max_memory * 1024)
            what = f"{r['seconds']:.2f}s" if "seconds" in r else r.get("stopped", "stopped")
            load = f"; frame read back in {r['load']:.1f}s" if "load" in r and query != "load" else ""
            print(f"  {engine:9} {query:16} {what}{load}; peak {peak(r)} MiB", flush=True)
            if query == "load" and "info" in r:
                print(f"           {r['info']}")
    capped = capped_load(path, folder, args) if args.memory else None
    if not args.keep:
        shutil.rmtree(folder)

    want = planted(args.targets)
    got = results[("lantern", "switches")].get("answer")
    if got is not None:
        found = {(k, old, new) for k, old, new in got}
        print("planted changes found by likely_switches: " + ", ".join(
            f"{kind} {sum((kind, o, n) in found for o, n in pairs)}/{len(pairs)}" for kind, pairs in want.items())
            + f"; {len(found - {(k, o, n) for k, ps in want.items() for o, n in ps})} other findings")

    print(f"\n{args.rows:,} rows; aim: each query under {AIM_SECONDS:g} s on the loaded frame\n")
    print("| step | Lantern (in-memory frame) s | `calls load` workspace s | baseline (pyarrow + numpy) s | "
          "Lantern / baseline | Lantern peak MiB | workspace peak MiB | baseline peak MiB | same answer | under 2 s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | :---: |")
    met = True
    for query in subjects:
        lan, base = results[("lantern", query)], results.get(("arrow", query), {})
        disk = results[("workspace", query)]

        def cell(r: dict[str, Any]) -> str:
            return f"{r['seconds']:.2f}" if "seconds" in r else r.get("stopped", "-")

        ratio = f"{lan['seconds'] / base['seconds']:.2f}x" if "seconds" in lan and "seconds" in base else "-"
        answers = [r["answer"] for r in (lan, disk, base) if "answer" in r]
        same = ("-" if query == "load" or len(answers) < 2
                else "yes" if all(a == answers[0] for a in answers) else "no")
        aim = ("-" if query == "load" else
               "yes" if max(lan.get("seconds", 1e9), disk.get("seconds", 1e9)) < AIM_SECONDS else "no")
        met &= aim in ("-", "yes")
        print(f"| {query} | {cell(lan)} | {cell(disk)} | {cell(base)} | {ratio} | {peak(lan)} | {peak(disk)} | "
              f"{peak(base)} | {same} | {aim} |")
    print(f"\naim {'met' if met else 'not met'}: "
          + ("every query under 2 s" if met else "see the under 2 s column"))
    print()
    figures = table_figures(args.rows, subjects, results, args.limit, want)
    if capped is not None:
        figures.append(capped_figure(args.rows, args.memory, capped, results[("workspace", "load")], args.limit))
    emit("comms", figures,
         scale={"rows": args.rows, "numbers": args.numbers, "targets": args.targets, "seed": args.seed,
                "limit": args.limit, "max_memory_gib": args.max_memory, "memory": args.memory},
         libraries=("duckdb", "pyarrow", "numpy"))


def capped_load(path: Path, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """`calls load` again under ``--memory``; whether it kept the same calls as without a limit."""
    import duckdb

    from lantern.comms.callstore import CallStore

    engine = f"workspace@{args.memory}"
    r = measure(engine, "load", path, None, args.seed, args.limit, args.max_memory * 1024)
    what = f"{r['seconds']:.2f}s" if "seconds" in r else r.get("stopped", "stopped")
    files = [CallStore(folder / name / "data").path(1) for name in ("workspace", engine)]
    if "seconds" in r and all(f.is_file() for f in files):
        with duckdb.connect() as db:
            db.execute(f"ATTACH '{files[0]}' AS free (READ_ONLY)")
            db.execute(f"ATTACH '{files[1]}' AS capped (READ_ONLY)")
            r["same calls"] = all(db.execute(
                f"SELECT count(*) FROM (SELECT * FROM {a}.calls EXCEPT ALL SELECT * FROM {b}.calls)"  # noqa: S608
            ).fetchone()[0] == 0 for a, b in (("free", "capped"), ("capped", "free")))
    print(f"  workspace under --memory {args.memory}: {what}; peak {peak(r)} MiB; "
          f"same calls as without a limit: {r.get('same calls', '-')}", flush=True)
    return r


def capped_figure(rows: int, memory: str, r: dict[str, Any], free: dict[str, Any], limit: float) -> Figure:
    """The load under a memory limit beside the same load without one."""
    same = r.get("same calls")
    note = (f"{r.get('stopped', 'stopped')}: the value is the limit, a lower bound" if "seconds" not in r
            else "the same calls as without a limit" if same else "calls differ from the load without a limit")
    return Figure(
        f"{STEPS['load'].format(rows=f'{rows:,}')}: workspace under --memory {memory}",
        round(r.get("seconds", limit), 3), "s", "the same load without a limit",
        round(free["seconds"], 3) if "seconds" in free else None,
        peak_mib=round(r["peak"]), baseline_peak_mib=round(free["peak"]) if free else None,
        note=note, extra={"same calls as without a limit": same})


STEPS = {
    "load": "load {rows} CDR rows (clean, reject, merge calls)",
    "top contacts": "top contacts of the busiest target, {rows} CDR rows",
    "common contacts": f"common contacts of {SAMPLE_GIVEN} targets, {{rows}} CDR rows",
    "co-location": "co-location of one number, {rows} CDR rows",
    "switches": "handset, SIM and number changes, {rows} CDR rows",
}
WAYS = {"lantern": "in-memory frame", "workspace": "workspace (`calls load`)"}


def table_figures(rows: int, subjects: dict[str, Any], results: dict[tuple[str, str], dict[str, Any]],
                  limit: float, want: dict[str, list[tuple[str, str]]]) -> list[Figure]:
    """Two figures per step (the in-memory frame and the workspace), sharing the baseline's."""
    figures = []
    for query in subjects:
        base = results.get(("arrow", query))
        answers = {engine: r["answer"] for (engine, q), r in results.items() if q == query and "answer" in r}
        for engine, way in WAYS.items():
            r = results[(engine, query)]
            notes = []
            if "seconds" in r:
                value = r["seconds"]
            else:  # stopped: the limit, a lower bound, so the row still shows
                value = limit
                notes.append(f"{r.get('stopped', 'stopped')}: the value is the limit and the peak the most "
                             "seen before, both lower bounds")
            if base is None:
                notes.append("baseline not run (--no-baseline)")
            elif "seconds" not in base:
                notes.append(f"baseline {base.get('stopped', 'stopped')}")
            if query != "load" and engine in answers and "arrow" in answers:
                notes.append("same answer as the baseline" if answers[engine] == answers["arrow"]
                             else "answer differs from the baseline")
            extra: dict[str, Any] = {}
            if query != "load" and "load" in r:
                extra["frame read back s"] = round(r["load"], 2)
            if query == "load" and r.get("info"):
                extra["loaded"] = r["info"]
                if "seconds" in r:
                    extra["rows/s"] = round(rows / r["seconds"])
            if query != "load":
                extra["under 2 s"] = "seconds" in r and r["seconds"] < AIM_SECONDS
            if query == "switches" and "answer" in r:
                found = {tuple(x) for x in r["answer"]}
                extra["planted found"] = {kind: f"{sum((kind, o, n) in found for o, n in pairs)}/{len(pairs)}"
                                          for kind, pairs in want.items()}
            figures.append(Figure(
                f"{STEPS[query].format(rows=f'{rows:,}')}: {way}", round(value, 3), "s",
                "pyarrow + numpy, the same work" if base is not None else "",
                round(base["seconds"], 3) if base and "seconds" in base else None,
                peak_mib=round(r["peak"]), baseline_peak_mib=round(base["peak"]) if base else None,
                note="; ".join(notes), extra=extra))
    return figures


if __name__ == "__main__":
    main()

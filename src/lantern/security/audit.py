"""The audit log: every collection, alteration, consultation, disclosure, combination and
erasure, written in the same transaction as what it records (DPA 2018 s.62).

Each event is canonical JSON; its RFC 6962 leaf hash and a running hash chain are stored
beside it, and signed Merkle checkpoints (size, root, time) are written both to the database
and to a witness file outside it. :func:`verify` finds any changed, deleted, reordered or
truncated event, and any history that forks from a checkpoint kept outside.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from lantern import __version__
from lantern.errors import LanternError
from lantern.security import checkpoint as cp
from lantern.security import merkle
from lantern.store import tables

a = tables.audit_events

ACTIONS = (
    "COLLECT",
    "ALTER",
    "CONSULT",
    "DISCLOSE",
    "COMBINE",
    "ERASE",
    "ACCESS",
    "ADMIN",
    "AUDIT_READ",
    "REFUSED",
)
LOG_ID = "lantern-audit"
GENESIS = b"\x00" * 32
REQUIRED = ("seq", "at", "user", "action", "operation", "purpose", "version", "host")


class AuditError(LanternError):
    """An event could not be written: the action it records fails with it."""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _validate(event: dict[str, Any]) -> None:
    missing = [k for k in REQUIRED if event.get(k) in (None, "")]
    if missing:
        raise AuditError(f"audit event lacks {', '.join(missing)}: the action is refused")
    if event["action"] not in ACTIONS:
        raise AuditError(f"unknown audit action {event['action']!r}")
    if event["action"] == "DISCLOSE" and not event.get("recipient"):
        raise AuditError("a disclosure must name its recipient")


def record(
    conn: Connection,
    user: str,
    action: str,
    operation: str,
    *,
    purpose: str,
    case_id: int | None = None,
    objects: Iterable[str | int] = (),
    recipient: str | None = None,
    auth: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one event inside the caller's write transaction; returns its sequence number."""
    last = conn.execute(select(a.c.seq, a.c.chain_hash).order_by(a.c.seq.desc()).limit(1)).first()
    seq = int(last.seq) + 1 if last else 1
    previous = bytes.fromhex(last.chain_hash) if last else GENESIS
    event = {
        "seq": seq,
        "at": _now_iso(),
        "user": user,
        "auth": auth,
        "case_id": case_id,
        "action": action,
        "operation": operation,
        "purpose": purpose,
        "recipient": recipient,
        "objects": [str(o) for o in objects],
        "detail": detail or {},
        "version": __version__,
        "host": socket.gethostname(),
    }
    _validate(event)
    data = merkle.canonical_event(event)
    leaf = merkle.leaf_hash(data)
    conn.execute(
        insert(a).values(
            seq=seq,
            at=event["at"],
            username=user,
            case_id=case_id,
            action=action,
            operation=operation,
            event_json=data.decode("utf-8"),
            leaf_hash=leaf.hex(),
            chain_hash=merkle.chain_hash(previous, leaf).hex(),
        )
    )
    return seq


# ---- checkpoints ----------------------------------------------------------------------------


def _leaves(conn: Connection) -> list[bytes]:
    rows = conn.execute(select(a.c.event_json).order_by(a.c.seq))
    return [merkle.leaf_hash(row.event_json.encode("utf-8")) for row in rows]


def make_checkpoint(conn: Connection, signing_key: bytes, witness: Path | None) -> cp.Checkpoint:
    """Sign the log's current size and root; keep it in the database and the witness file.

    ``witness=None`` leaves the witness file to :func:`append_witness` after the commit: a
    checkpoint that covers an event of this same transaction must not reach the file before
    the event is committed, or a crash in between leaves a witness that the log can never
    satisfy (``audit verify`` would report a truncated log)."""
    leaves = _leaves(conn)
    checkpoint = cp.sign_checkpoint(LOG_ID, len(leaves), merkle.root(leaves), signing_key)
    conn.execute(
        insert(tables.audit_checkpoints).values(
            size=checkpoint.size,
            root=checkpoint.root,
            text=cp.checkpoint_to_text(checkpoint),
            created_at=checkpoint.time,
        )
    )
    if witness is not None:
        append_witness(witness, checkpoint)
    return checkpoint


def append_witness(witness: Path, checkpoint: cp.Checkpoint) -> None:
    witness.parent.mkdir(parents=True, exist_ok=True)
    with witness.open("a", encoding="utf-8") as fh:
        fh.write(cp.checkpoint_to_text(checkpoint).rstrip("\n") + f"\n{WITNESS_SEPARATOR}\n")


WITNESS_SEPARATOR = "%%"


def read_witness(path: Path) -> list[cp.Checkpoint]:
    """The checkpoints in a witness file: signed checkpoint texts separated by '%%' lines."""
    if not path.exists():
        return []
    chunks = path.read_text(encoding="utf-8").split(f"\n{WITNESS_SEPARATOR}\n")
    return [cp.checkpoint_from_text(chunk.strip("\n") + "\n") for chunk in chunks if chunk.strip()]


# ---- verification ---------------------------------------------------------------------------


@dataclass
class Verification:
    events: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad: int | None = None  # the first bad event's sequence number

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, seq: int | None = None) -> None:
        self.problems.append(message)
        if seq is not None and (self.first_bad is None or seq < self.first_bad):
            self.first_bad = seq


def verify(conn: Connection, public_key: bytes, witness: Path | None = None) -> Verification:
    report = Verification()
    leaves: list[bytes] = []
    previous = GENESIS
    rows = conn.execute(select(a).order_by(a.c.seq))
    for index, row in enumerate(rows, start=1):
        data = row.event_json.encode("utf-8")
        leaf = merkle.leaf_hash(data)
        leaves.append(leaf)
        if report.first_bad is not None:
            continue
        try:
            event = json.loads(data)
        except json.JSONDecodeError:
            report.fail(f"event {index}: not valid JSON", index)
            continue
        if row.seq != index or event.get("seq") != index:
            report.fail(
                f"event {index}: sequence broken (stored {row.seq}, event says "
                f"{event.get('seq')}): an event was deleted or reordered",
                index,
            )
        elif merkle.canonical_event(event) != data or leaf.hex() != row.leaf_hash:
            report.fail(f"event {index}: content does not match its hash (altered)", index)
        elif (row.username, row.action, row.operation, row.case_id) != (
            event.get("user"),
            event.get("action"),
            event.get("operation"),
            event.get("case_id"),
        ):
            report.fail(f"event {index}: columns differ from the hashed event (altered)", index)
        else:
            chained = merkle.chain_hash(previous, leaf)
            if chained.hex() != row.chain_hash:
                report.fail(
                    f"event {index}: hash chain broken (an earlier event was altered or removed)",
                    index,
                )
            previous = chained
    report.events = len(leaves)
    stored = [
        cp.checkpoint_from_text(r.text)
        for r in conn.execute(
            select(tables.audit_checkpoints.c.text).order_by(tables.audit_checkpoints.c.id)
        )
    ]
    outside = read_witness(witness) if witness else []
    tree = merkle.MerkleTree(leaves)  # built once: each checkpoint's root is then O(log n)
    for source, checkpoints in (("database", stored), ("witness file", outside)):
        for checkpoint in checkpoints:
            report.checkpoints += 1
            _check_against(report, checkpoint, tree, len(leaves), public_key, source)
    return report


def _check_against(
    report: Verification,
    checkpoint: cp.Checkpoint,
    tree: merkle.MerkleTree,
    size: int,
    public_key: bytes,
    source: str,
) -> None:
    label = f"checkpoint of size {checkpoint.size} ({source}, {checkpoint.time})"
    if not cp.verify_checkpoint(checkpoint, public_key):
        report.fail(f"{label}: signature invalid")
        return
    if checkpoint.size > size:
        report.fail(
            f"{label}: the log holds only {size} events: truncated, or an older "
            "backup restored over a newer log",
            size + 1,
        )
        return
    if tree.root(checkpoint.size).hex() != checkpoint.root:
        report.fail(
            f"{label}: the first {checkpoint.size} events do not match it "
            "(altered, deleted, reordered or a forked history)"
        )


# ---- queries --------------------------------------------------------------------------------


def events(
    conn: Connection,
    *,
    user: str | None = None,
    case_id: int | None = None,
    object_id: str | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Events, newest first, filtered; ``object_id`` answers "who looked at this"."""
    query = select(a.c.event_json).order_by(a.c.seq.desc())
    if user:
        query = query.where(a.c.username == user)
    if case_id is not None:
        query = query.where(a.c.case_id == case_id)
    if action:
        query = query.where(a.c.action == action)
    if object_id:
        needle = json.dumps(str(object_id))
        query = query.where(or_(a.c.event_json.contains(needle)))
    out = []
    for row in conn.execute(query):
        event = json.loads(row.event_json)
        if object_id and str(object_id) not in event.get("objects", []):
            continue
        out.append(event)
        if len(out) >= limit:
            break
    return out


def count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(a)) or 0)

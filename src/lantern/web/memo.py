"""Whole-case results the workbench derives again and again (the network view, the network in
igraph, the children's risk assessment), kept per version of the case.

A server answers many requests between two runs of `lantern network`; deriving these afresh for
each (seconds on a large case) would make every profile or expansion wait. Only a checked,
audited action asks for them (inside ``Session.case_action``), so the memo never widens who sees
what; a new network, resolution, extraction or source is a new version, never a stale answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Connection

from lantern.store.queries import case_version

T = TypeVar("T")
KEPT = 8  # a few results each for the cases people are working on now


class CaseMemo:
    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._found: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, kind: str, workspace: str, conn: Connection, case_id: int,
            make: Callable[[], T]) -> T:
        key = (kind, workspace, case_id, *case_version(conn, case_id))
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
                return self._found[key]  # type: ignore[no-any-return]
        made = make()  # outside the lock: two first requests may both derive it, then agree
        with self._lock:
            self._found[key] = made
            while len(self._found) > self._kept:
                self._found.popitem(last=False)
        return made


MEMO = CaseMemo()

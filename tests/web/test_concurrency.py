"""Many users at once against a real server: every request answered, and exactly one audit
event for each, in a chain that verifies (issue 11's load, as behaviour; its speed is measured
in bench/web.py)."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, select

from lantern.store import tables
from lantern.web.app import create_app

from ..live_server import serving

USERS, EACH = 50, 4
PATHS = ["/api/cases", "/api/cases/default/status", "/api/cases/default/network/overview",
         "/api/cases/default/search?q=smith", "/api/cases/default/children-at-risk"]


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(create_app(site.settings)) as url:
        yield url


def audit_events(db: str) -> list[tuple[str, str]]:
    engine = create_engine(db)
    e = tables.audit_events
    with engine.connect() as conn:
        rows = [(r.username, r.operation) for r in conn.execute(select(e.c.username, e.c.operation)
                                                                 .order_by(e.c.seq))]
    engine.dispose()
    return rows


def test_fifty_users_at_once_are_all_answered_and_each_request_is_audited_once(site, server):
    before = len(audit_events(site.db))
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(USERS)

    def user(n: int) -> None:
        mine = []
        with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {site.tokens['ana']}"},
                          timeout=120) as client:
            start.wait()  # all fifty begin together
            for i in range(EACH):
                path = PATHS[(n + i) % len(PATHS)]
                mine.append((path, client.get(path).status_code))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(answers) == USERS * EACH
    assert Counter(status for _, status in answers) == {200: USERS * EACH}
    written = audit_events(site.db)[before:]
    assert len(written) == USERS * EACH  # none lost, none doubled
    assert {user for user, _ in written} == {"ana"}
    # Each endpoint's requests appear under its operation as often as they were made.
    asked = Counter(path for path, _ in answers)
    by_operation = Counter(operation for _, operation in written)
    assert sorted(by_operation.values()) == sorted(asked.values())

    site.run("user", "add", "auditor-c", "--roles", "auditor")
    token = site.run("user", "token", "auditor-c").strip().splitlines()[-1]
    verified = site.run("--user", "auditor-c", "audit", "verify", env={"LANTERN_TOKEN": token})
    assert "OK" in verified


def test_the_connection_pool_is_not_starved_by_slow_clients(site, server):
    """Clients that open connections and say nothing must not stop others being answered."""
    idle = [socket.create_connection(("127.0.0.1", int(server.rsplit(":", 1)[1]))) for _ in range(60)]
    try:
        answer = httpx.get(f"{server}/api/cases", headers={"Authorization": f"Bearer {site.tokens['ana']}"},
                           timeout=30)
        assert answer.status_code == 200
    finally:
        for s in idle:
            s.close()

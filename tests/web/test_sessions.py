"""Session management and the last-resort protections of the workbench (WS-1 to WS-5)."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from lantern.security.keys import Keys
from lantern.store import Workspace, tables
from lantern.web.app import WebConfig, create_app
from lantern.web.auth import SECURE_SESSION_COOKIE
from tests.web.conftest import PASSWORD, Site
from tests.web.test_app import Clock, audit_events, csrf_of, default_counts, login, routes


@pytest.fixture(scope="module")
def admin(site: Site) -> str:
    site.run("user", "add", "keeper", "--roles", "administrator", "--password-env", "WEB_PW",
             env={"WEB_PW": PASSWORD})
    return "keeper"


def client_for(site: Site, clock: Clock, **config: object) -> TestClient:
    app = create_app(site.settings, WebConfig(clock=clock, **config))  # type: ignore[arg-type]
    return TestClient(app, base_url="https://testserver", follow_redirects=False,
                      raise_server_exceptions=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_clients(site: Site, clock: Clock) -> Iterator[tuple[TestClient, TestClient]]:
    """Two browsers on one server: an analyst's and an administrator's."""
    app = create_app(site.settings, WebConfig(clock=clock))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as a, \
            TestClient(app, base_url="https://testserver", follow_redirects=False) as b:
        yield a, b


def test_a_busy_session_still_ends_at_the_absolute_timeout(site, clock):
    with client_for(site, clock, idle_minutes=30, session_hours=2) as client:
        login(client)
        for _ in range(5):  # active every 20 minutes: never idle too long
            clock.now += 20 * 60
            assert client.get("/cases").status_code == 200
        clock.now += 25 * 60  # 2 h 05 after login, 25 minutes idle
        response = client.get("/cases")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_administrator_ends_another_users_sessions(site, admin, app_clients):
    analyst, keeper = app_clients
    login(analyst)
    assert analyst.get("/cases").status_code == 200
    login(keeper, admin)
    page = keeper.get("/admin/sessions")
    assert page.status_code == 200 and ">ana<" in page.text
    ended = keeper.post("/admin/sessions/end", data={"username": "ana",
                                                     "csrf_token": csrf_of(page.text)})
    assert ended.status_code == 303 and ended.headers["location"].endswith("ended=1")
    assert analyst.get("/cases").status_code == 303  # out at once
    assert analyst.get("/api/cases").status_code == 401
    event = [e for e in audit_events(site) if e["operation"] == "web session end"][-1]
    assert event["user"] == admin and event["detail"]["ended"] == 1


def test_only_administrators_see_or_end_sessions(site, app_clients):
    analyst, _ = app_clients
    login(analyst)
    assert analyst.get("/admin/sessions").status_code == 404
    assert analyst.get("/api/admin/sessions").status_code == 404
    token = csrf_of(analyst.get("/cases").text)
    refused = analyst.post("/admin/sessions/end", data={"username": "lead", "csrf_token": token})
    assert refused.status_code == 404
    assert any(e["action"] == "REFUSED" and e["operation"] == "web session end"
               and e["user"] == "ana" for e in audit_events(site))


def test_under_tls_the_cookie_is_host_prefixed_and_hsts_is_sent(site, clock):
    with client_for(site, clock, secure_cookies=True) as client:
        response = login(client)
        cookie = next(h for h in response.headers.get_list("set-cookie")
                      if h.startswith(SECURE_SESSION_COOKIE))
        assert all(part in cookie.lower() for part in ("secure", "httponly", "samesite=strict",
                                                       "path=/"))
        assert "domain=" not in cookie.lower()
        assert client.get("/cases").headers["strict-transport-security"].startswith(
            "max-age=31536000")


def test_logout_clears_the_site_data(site, clock):
    with client_for(site, clock) as client:
        login(client)
        token = csrf_of(client.get("/cases").text)
        response = client.post("/logout", data={"csrf_token": token})
        assert '"cookies"' in response.headers["clear-site-data"]


def test_an_unexpected_error_is_generic_with_an_incident_id(site, clock, caplog):
    app = create_app(site.settings, WebConfig(clock=clock))
    boom = APIRouter()

    @boom.get("/api/boom")
    def _boom() -> None:
        raise RuntimeError("SELECT secret FROM /var/lib/lantern")

    app.include_router(boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
    assert response.status_code == 500
    body = response.json()
    assert "incident" in body and "SELECT" not in response.text and "Traceback" not in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "object-src 'none'" in response.headers["content-security-policy"]
    assert body["incident"] in caplog.text and "RuntimeError" in caplog.text


def test_storage_that_refuses_a_write_is_a_503_naming_no_path(site, clock, caplog):
    """A full disk under a request (the kernel's own ENOSPC, from /dev/full): the user is told
    to try later and tell the administrator; the log has what failed."""
    app = create_app(site.settings, WebConfig(clock=clock))
    full = APIRouter()

    @full.get("/api/full")
    def _full() -> None:
        with open("/dev/full", "wb", buffering=0) as device:
            device.write(b"x")

    app.include_router(full)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/full")
    assert response.status_code == 503
    body = response.json()
    assert "storage refused a write" in body["detail"] and "administrator" in body["detail"]
    assert "/dev/full" not in response.text and "Traceback" not in response.text
    assert f"storage failure {body['incident']}" in caplog.text
    assert "no space left on the device" in caplog.text


def test_no_route_changes_state_over_get(site, clock):
    """Every GET route, called by a logged-in analyst, only reads: the audit log gains nothing
    but reads (CONSULT, ACCESS) or refusals, and the records do not change."""
    gets = [r.path for r in routes() if "GET" in r.methods]
    assert len(gets) > 10
    before_events = len(audit_events(site))
    before = default_counts(site)
    with client_for(site, clock) as client:
        login(client)
        for path in gets:
            url = re.sub(r"\{case\}", "default", path)
            url = re.sub(r"\{[^}]+\}", "x", url)  # other parameters: a value that finds nothing
            assert client.get(url, params={"q": "smith"}).status_code < 500, url
    actions = {e["action"] for e in audit_events(site)[before_events:]}
    assert actions <= {"CONSULT", "ACCESS", "REFUSED"}, actions
    assert default_counts(site) == before


def test_a_foreign_preflight_is_not_allowed(site, clock):
    with client_for(site, clock) as client:
        response = client.options("/api/cases", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert response.status_code >= 400
        assert "access-control-allow-origin" not in response.headers


def test_a_planted_session_id_is_not_the_one_used_after_login(site, app_clients):
    """Session fixation: an attacker logs in, plants their cookie in the victim's browser; the
    victim's login issues a fresh id, and the planted one never acts as the victim."""
    attacker, victim = app_clients
    login(attacker, "outsider")
    planted = attacker.cookies.get("lantern_session")
    victim.cookies.set("lantern_session", planted)
    response = login(victim, "ana")
    fresh = response.cookies.get("lantern_session")
    assert fresh and fresh != planted
    assert "/cases/default" not in attacker.get("/cases").text  # the planted id: still the outsider
    victim.cookies.clear()
    victim.cookies.set("lantern_session", fresh)
    assert "/cases/default" in victim.get("/cases").text


def _url(path: str, case: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path.replace("{case}", case))


def test_every_route_refuses_strangers_and_reveals_nothing(site, clock):
    """The sweep over every route of every area, present and future: without a login, nothing
    but a redirect or a 401; for a user without a grant (a bearer token, so no CSRF stands in
    the way), exactly the answer a case that does not exist gets."""
    found = [r for r in routes() if r.path not in ("/login",)]
    assert len(found) > 20
    with client_for(site, clock) as client:
        for route in found:
            for method in sorted(route.methods - {"HEAD"}):
                anonymous = client.request(method, _url(route.path, "default"))
                if route.path.startswith("/api/"):
                    assert anonymous.status_code == 401, (method, route.path)
                else:
                    assert anonymous.status_code == 303, (method, route.path)
                    assert anonymous.headers["location"].startswith("/login"), route.path
                if "{case}" not in route.path:
                    continue
                token = {"Authorization": f"Bearer {site.tokens['outsider']}"}
                hidden = client.request(method, _url(route.path, "default"), headers=token)
                ghost = client.request(method, _url(route.path, "no-such-case"), headers=token)
                assert hidden.status_code == ghost.status_code and hidden.status_code >= 400, \
                    (method, route.path, hidden.status_code)
                assert hidden.text.replace("default", "X") == ghost.text.replace("no-such-case", "X"), \
                    (method, route.path)


def test_sessions_are_shared_by_every_server_process_and_outlive_a_restart(site, clock):
    """`lantern serve --workers 2` runs two apps on one workspace; a restart makes a new one."""
    with client_for(site, clock) as first, client_for(site, clock) as second:
        login(first)
        second.cookies = first.cookies  # the browser's next request lands on the other process
        page = second.get("/cases")
        assert page.status_code == 200 and ">ana<" in page.text
        second.post("/logout", data={"csrf_token": csrf_of(page.text)})
        assert first.cookies.get("lantern_session")  # the first process's browser still holds it
        assert first.get("/api/cases").status_code == 401  # replayed after logout elsewhere


def test_the_store_keeps_a_digest_of_each_session_never_its_id(site, clock):
    with client_for(site, clock) as client:
        login(client)
        cookie = client.cookies.get("lantern_session")
    sid = str(URLSafeSerializer(Keys.for_workspace(Workspace(site.db), str(site.key_dir)).web_cookie_key,
                                salt="lantern-web-session").loads(cookie))
    ws = Workspace(site.db)
    with ws.reader() as conn:
        stored = [tuple(row) for row in conn.execute(select(tables.web_sessions))]
    ws.dispose()
    assert hashlib.sha256(sid.encode()).hexdigest() in {row[0] for row in stored}
    assert not any(sid in str(value) for row in stored for value in row)


def test_disabling_a_user_removes_their_sessions_from_the_store(site, clock):
    site.run("user", "add", "leaver", "--roles", "analyst", "--password-env", "WEB_PW",
             env={"WEB_PW": PASSWORD})
    with client_for(site, clock) as client:
        login(client, "leaver")
        assert client.get("/cases").status_code == 200
        site.run("user", "disable", "leaver")
        ws = Workspace(site.db)
        with ws.reader() as conn:
            left = conn.scalar(select(func.count()).select_from(tables.web_sessions)
                               .where(tables.web_sessions.c.username == "leaver"))
        ws.dispose()
        assert left == 0
        assert client.get("/api/cases").status_code == 401


def test_two_processes_making_the_cookie_key_at_once_agree_on_one(tmp_path):
    keys = Keys(tmp_path / "keys")
    keys.folder.mkdir()
    found: list[bytes] = []
    threads = [threading.Thread(target=lambda: found.append(keys.web_cookie_key)) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 16 and len(set(found)) == 1 and len(found[0]) == 32
    assert [p.name for p in keys.folder.iterdir()] == ["web-cookie.key"]  # no draft left behind

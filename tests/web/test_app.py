"""The web workbench's secure core, against a real SQLite workspace (no mocks of the store)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from lantern.store import Workspace, queries, tables
from lantern.web.app import ROUTERS, WebConfig, create_app
from tests.web.conftest import PASSWORD, Site

SECRET_CANARIES = ("WINTERBOURNE", "QUILLFEATHER", "secret.csv")


class Clock:
    """A clock the test moves by hand: session expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(site: Site, clock: Clock) -> Iterator[TestClient]:
    app = create_app(site.settings, WebConfig(idle_minutes=30, clock=clock))
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def login(client: TestClient, username: str = "ana", password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/cases"})


def audit_events(site: Site) -> list[dict]:
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            a = tables.audit_events
            return [json.loads(row.event_json) | {"case_id": row.case_id}
                    for row in conn.execute(select(a).order_by(a.c.seq))]
    finally:
        ws.dispose()


def routes() -> list[APIRoute]:
    """Every route of every area's router (FastAPI nests included routers, so ask them)."""
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def default_counts(site: Site) -> queries.CaseSummary:
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            return queries.case_summary(conn, ws.case_id(conn, "default"))
    finally:
        ws.dispose()


PAGES = ["/", "/cases", "/cases/default", "/cases/default/risk", "/cases/secret",
         "/cases/secret/risk"]
API = ["/api/cases", "/api/cases/default/status", "/api/cases/default/children-at-risk",
       "/api/cases/secret/status", "/api/cases/secret/children-at-risk", "/openapi.json"]


def test_login_success_sets_a_safe_cookie_and_is_audited(client, site):
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/cases"
    cookie = response.headers["set-cookie"]
    assert "lantern_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    page = client.get("/cases")
    assert page.status_code == 200 and "default" in page.text and "secret" not in page.text
    assert audit_events(site)[-2]["operation"] == "web login"


def test_failed_login_says_little_and_is_audited(client, site):
    for username, password in (("ana", "not the password"), ("nobody", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 401
        assert "wrong username or password" in response.text
        assert "lantern_session" not in response.headers.get("set-cookie", "")
        last = audit_events(site)[-1]
        assert (last["action"], last["operation"], last["user"]) == ("REFUSED", "web login", username)
    assert client.get("/cases").status_code == 303


def test_logout_ends_the_session_on_the_server(client):
    login(client)
    stolen = client.cookies.get("lantern_session")
    page = client.get("/cases")
    response = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    client.cookies.set("lantern_session", stolen)  # a copy of the cookie is worth nothing now
    assert client.get("/cases").status_code == 303


def test_an_idle_session_expires(client, clock):
    login(client)
    clock.now += 29 * 60
    assert client.get("/cases").status_code == 200  # still in use: the idle time restarts
    clock.now += 29 * 60
    assert client.get("/cases").status_code == 200
    clock.now += 31 * 60
    response = client.get("/cases")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_post_without_the_csrf_token_is_refused(client):
    assert client.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 403
    login(client)
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/cases").status_code == 200  # still logged in


def test_a_forged_session_cookie_is_ignored(client):
    client.cookies.set("lantern_session", "forged.value")
    assert client.get("/cases").status_code == 303


def test_security_headers_on_every_response(client):
    login(client)
    for path in ["/login", "/cases", "/cases/default", "/cases/secret", "/api/cases",
                 "/static/lantern.css"]:
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'"), path
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        if not path.startswith("/static/"):
            assert headers["cache-control"] == "no-store", path
    html = client.get("/cases/default").text
    assert "http://" not in html and "https://" not in html  # no CDN, nothing external


def test_unauthenticated_every_route_reveals_nothing(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    for path in API:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json() == {"detail": "authentication required"}
    assert client.get("/api/cases", headers={"Authorization": "Bearer lt_wrong"}).status_code == 401


def test_another_case_is_refused_like_a_missing_one(client, site):
    login(client, "outsider")
    assert "default" not in client.get("/cases").text.split("<main id=\"main\">")[1]
    for path in PAGES[2:] + API[1:5]:
        denied = client.get(path)
        ghost = client.get(path.replace("secret", "no-such-case").replace("default", "no-such-case"))
        assert denied.status_code == ghost.status_code == 404, path
        name = "secret" if "secret" in path else "default"
        assert denied.text == ghost.text.replace("no-such-case", name), path
        assert not any(c.lower() in denied.text.lower() for c in SECRET_CANARIES)
    refused = [e for e in audit_events(site) if e["action"] == "REFUSED" and e["user"] == "outsider"]
    assert {e["operation"] for e in refused} == {"status", "risk"}


def test_dashboard_and_api_show_the_granted_case(client, site):
    expected = default_counts(site)
    login(client)
    html = client.get("/cases/default").text
    for source in expected.sources:
        assert source.file_name in html
    rows = expected.quarantine.get("row rejected", 0)
    values = expected.quarantine.get("value rejected", 0)
    assert f"{rows} rows rejected, {values} values rejected" in html
    status = client.get("/api/cases/default/status").json()
    assert status["records_by_type"] == expected.records_by_schema
    assert status["quarantine"] == expected.quarantine
    assert [s["records"] for s in status["sources"]] == [
        expected.records_by_source.get(s.id, 0) for s in expected.sources]
    assert client.get("/api/cases").json() == [{"name": "default", "status": "open", "legal_hold": None}]


def test_children_at_risk_are_pseudonymised_with_each_reason(client):
    login(client)
    found = client.get("/api/cases/default/children-at-risk").json()
    assert found["children"], found
    for child in found["children"]:
        assert child["reasons"] and all(r["kind"] and r["text"] for r in child["reasons"])
        assert not child["child"].startswith("P")  # a keyed pseudonym, not an entity id
    html = client.get("/cases/default/risk").text
    first = found["children"][0]
    assert first["child"] in html and first["reasons"][0]["kind"] in html


def test_api_with_a_bearer_token(site, client):
    headers = {"Authorization": f"Bearer {site.tokens['ana']}"}
    assert client.get("/api/cases", headers=headers).json()[0]["name"] == "default"
    assert client.get("/api/cases/default/status", headers=headers).status_code == 200
    assert client.get("/api/cases/secret/status", headers=headers).status_code == 404
    last = audit_events(site)[-1]
    assert (last["user"], last["action"], last["operation"]) == ("ana", "REFUSED", "status")


def test_openapi_lists_the_api(client, site):
    """Every API route is documented; no page, login form or static file is."""
    spec = client.get("/openapi.json", headers={"Authorization": f"Bearer {site.tokens['ana']}"})
    api_routes = {r.path for r in routes() if r.path.startswith("/api/")}
    assert {"/api/cases", "/api/cases/{case}/status", "/api/cases/{case}/children-at-risk"} \
        <= api_routes
    assert set(spec.json()["paths"]) == api_routes


def test_each_view_of_a_case_is_audited(client, site):
    login(client)
    for path, operation in (("/cases/default", "status"), ("/cases/default/risk", "risk"),
                            ("/api/cases/default/status", "status")):
        before = len(audit_events(site))
        assert client.get(path).status_code == 200
        events = audit_events(site)
        assert len(events) == before + 1, path
        assert (events[-1]["user"], events[-1]["action"], events[-1]["operation"]) == (
            "ana", "CONSULT", operation)
        assert events[-1]["case_id"] is not None

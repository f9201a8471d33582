"""Search and the person profile in the workbench: pages, API, access and audit (real stores)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lantern.web.app import WebConfig, create_app
from tests.web.conftest import Site
from tests.web.test_app import SECRET_CANARIES, audit_events, csrf_of, login


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.settings, WebConfig()), base_url="https://testserver",
                    follow_redirects=False) as c:
        yield c

PAGES = ["/cases/{case}/search", "/cases/{case}/people/P1"]
API = ["/api/cases/{case}/search?q=Khan", "/api/cases/{case}/people/P1"]


def test_search_page_groups_hits_and_links_profiles(client, site):
    login(client)
    page = client.get("/cases/default/search")
    assert page.status_code == 200 and '<label for="q"' in page.text and "<h1>" in page.text
    api = client.get("/api/cases/default/search", params={"q": "Khan", "kind": "person"}).json()
    assert api["kinds"] == ["person"] and api["hits"], api
    entity = api["hits"][0]["id"]
    form = client.get("/cases/default/search").text
    page = client.post("/cases/default/search", data={"q": "Khan", "csrf_token": csrf_of(form)})
    assert page.status_code == 200 and f"/cases/default/people/{entity}" in page.text
    assert client.post("/cases/default/search", data={"q": "Khan"}).status_code == 403  # CSRF
    last = audit_events(site)[-1]
    assert (last["operation"], last["action"]) == ("search", "CONSULT") and last["detail"]["channel"] == "web"


def test_profile_page_and_api_show_sources(client, site):
    login(client)
    entity = client.get("/api/cases/default/search?q=Khan&kind=person").json()["hits"][0]["id"]
    data = client.get(f"/api/cases/default/people/{entity}").json()
    assert data["entity"] == entity and data["names"] and all(f["sources"] for f in data["names"])
    assert audit_events(site)[-1]["operation"] == "profile"
    page = client.get(f"/cases/default/people/{entity}")
    assert page.status_code == 200 and "Show in network" in page.text and f"focus={entity}" in page.text
    last = audit_events(site)[-1]
    assert last["operation"] == "profile" and last["detail"]["channel"] == "web"


def test_bad_input_is_a_clear_4xx(client):
    login(client)
    assert client.get("/api/cases/default/search?q=").status_code == 400
    assert "too long" in client.get("/api/cases/default/search", params={"q": "x" * 201}).json()["detail"]
    assert client.get("/api/cases/default/search?q=Khan&kind=religion").status_code == 400
    missing = client.get("/api/cases/default/people/P999999")
    assert missing.status_code == 404 and "no person P999999" in missing.json()["detail"]
    assert client.get("/cases/default/people/nonsense").status_code == 404


def test_unauthenticated_gets_nothing(client):
    for path in PAGES:
        response = client.get(path.format(case="default"))
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for path in API:
        response = client.get(path.format(case="default"))
        assert response.status_code == 401 and "Khan" not in response.text


def test_outsider_and_hidden_cases_read_like_missing_ones(client, site):
    login(client, "outsider")
    for path in API + PAGES:
        denied = client.get(path.format(case="default"))
        ghost = client.get(path.format(case="no-such-case"))
        assert denied.status_code == ghost.status_code == 404
        assert denied.text.replace("default", "X") == ghost.text.replace("no-such-case", "X")
    login(client, "ana")
    for path in API:
        secret = client.get(path.format(case="secret").replace("Khan", "Quillfeather"))
        assert secret.status_code == 404
        assert not any(c in secret.text for c in SECRET_CANARIES)
    assert audit_events(site)[-1]["action"] == "REFUSED"


def test_children_and_victims_are_pseudonymised(client):
    login(client)
    response = client.get("/api/cases/default/search?q=Grace Adeyemi")  # a victim in the sample crimes
    hits = [h for h in response.json()["hits"] if h["kind"] == "person"]
    assert hits and hits[0]["label"].startswith("[victim ")
    assert "ADEYEMI" not in str(response.json()["hits"]).upper()  # only the query echoes what was typed
    profile = client.get(f"/api/cases/default/people/{hits[0]['id']}")
    assert profile.json()["pseudonymised"] and all(f["value"].startswith("[") for f in profile.json()["names"])
    assert "ADEYEMI" not in profile.text.upper()
    form = client.get("/cases/default/search").text
    page = client.post("/cases/default/search",
                       data={"q": "Grace Adeyemi", "csrf_token": csrf_of(form)})
    assert "[victim " in page.text and "ADEYEMI" not in page.text.upper().replace("GRACE ADEYEMI", "")

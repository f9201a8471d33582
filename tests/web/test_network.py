"""The network view and the chronology (pages and API) against real SQLite and PostgreSQL
workspaces: data as the store has it, victims pseudonymised, filters, exports, access, audit."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator

import pytest
from defusedxml import ElementTree
from fastapi.testclient import TestClient

from lantern.demo import sample_path
from lantern.graph import query
from lantern.graph.view import NetworkView, network_view
from lantern.store import Workspace
from lantern.timeline import build_timeline
from lantern.web.app import WebConfig, create_app
from tests.web.conftest import PASSWORD, Site
from tests.web.test_app import SECRET_CANARIES, audit_events, login

API = "/api/cases/default"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.settings, WebConfig()), base_url="https://testserver",
                    follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def store(site: Site) -> Iterator[Workspace]:
    ws = Workspace(site.db)
    yield ws
    ws.dispose()


@pytest.fixture(scope="module")
def raw(store: Workspace) -> NetworkView:
    """The network as the store has it, names unmasked: the oracle (and the canaries)."""
    with store.reader() as conn:
        return network_view(conn, store.case_id(conn, "default"), None)


@pytest.fixture(scope="module")
def victim_names(raw: NetworkView) -> set[str]:
    with open(sample_path("crimes.csv"), encoding="utf-8") as f:
        named = {row["VICTIM_NAME"] for row in csv.DictReader(f, delimiter=";") if row["VICTIM_NAME"]}
    shown = {n["label"] for n in raw.nodes if n["victim"] or n["child"]}
    names = {part for name in named | shown for part in name.split() if len(part) > 3}
    assert names
    return {n.casefold() for n in names}


def no_victim_name(text: str, names: set[str]) -> bool:
    lowered = text.casefold()
    return not any(name in lowered for name in names)


def neighbours(raw: NetworkView, entity: str) -> set[str]:
    return ({e["entity_b"] for e in raw.edges if e["entity_a"] == entity}
            | {e["entity_a"] for e in raw.edges if e["entity_b"] == entity})


def suspect_and_victim(raw: NetworkView) -> tuple[str, str]:
    tie = next(e for e in raw.edges if e["type"] == "victim-suspect")
    victims = {n["id"] for n in raw.nodes if n["victim"]}
    a, b = tie["entity_a"], tie["entity_b"]
    return (b, a) if a in victims else (a, b)


def browser(client: TestClient, username: str = "ana") -> str:
    """Log in and return the CSRF token the network page carries for its JSON POSTs."""
    login(client, username)
    found = re.search(r'data-csrf="([^"]+)"', client.get("/cases/default/network").text)
    assert found
    return found.group(1)


# ---- the data is the store's ----------------------------------------------------------------


def test_overview_gives_the_legend_and_a_small_start(client, raw):
    login(client)
    found = client.get(f"{API}/network/overview").json()
    assert found["tie_types"] == sorted({e["type"] for e in raw.edges})
    dated = sorted(d[:10] for e in raw.edges for d in (e["first_seen"], e["last_seen"]) if d)
    assert (found["first"], found["last"]) == (dated[0], dated[-1])
    start = {n["id"] for n in found["start"]["nodes"]}
    assert start and start <= {n["id"] for n in raw.nodes}
    assert len(start) <= 75  # key players or the best connected: never the whole network
    for edge in found["start"]["edges"]:
        assert {edge["source"], edge["target"]} <= start


def test_ego_is_the_person_and_their_neighbours(client, raw):
    login(client)
    suspect, victim = suspect_and_victim(raw)
    found = client.get(f"{API}/network/ego/{suspect}").json()
    assert {n["id"] for n in found["nodes"]} == {suspect} | neighbours(raw, suspect)
    assert not found["capped"] and found["matched"] == len(found["nodes"])
    shown = {n["id"]: n for n in found["nodes"]}
    assert shown[victim]["victim"] is True
    tie = next(e for e in found["edges"] if {e["source"], e["target"]} == {suspect, victim})
    stored = next(e for e in raw.edges if {e["entity_a"], e["entity_b"]} == {suspect, victim})
    assert (tie["type"], tie["count"], tie["first"], tie["last"], tie["evidence"]) == (
        stored["type"], stored["count"], stored["first_seen"], stored["last_seen"], stored["evidence"])
    two = client.get(f"{API}/network/ego/{suspect}?depth=2").json()
    assert {n["id"] for n in two["nodes"]} >= {n["id"] for n in found["nodes"]}


def test_filters_keep_ties_by_type_and_period(client, raw):
    login(client)
    suspect, _ = suspect_and_victim(raw)
    only = client.get(f"{API}/network/ego/{suspect}?types=victim-suspect").json()
    assert only["edges"] and {e["type"] for e in only["edges"]} == {"victim-suspect"}
    tie = next(e for e in raw.edges if e["type"] == "victim-suspect" and suspect in (e["entity_a"], e["entity_b"]))
    day = tie["first_seen"][:10]
    inside = client.get(f"{API}/network/ego/{suspect}?from={day}&to={day}").json()
    assert inside["edges"] and all(e["first"] and e["first"][:10] <= day <= (e["last"] or e["first"])[:10]
                                   for e in inside["edges"])
    before = client.get(f"{API}/network/ego/{suspect}?to=1990-01-01").json()
    assert [n["id"] for n in before["nodes"]] == [suspect] and before["edges"] == []
    bad = client.get(f"{API}/network/ego/{suspect}?from=31/12/2024")
    assert bad.status_code == 422 and "Traceback" not in bad.text  # not a date: validation
    backwards = client.get(f"{API}/network/ego/{suspect}?from=2025-01-01&to=2024-01-01")
    assert backwards.status_code == 400 and "after it ends" in backwards.json()["detail"]


def test_path_follows_the_stored_network(client, raw, store):
    login(client)
    suspect, victim = suspect_and_victim(raw)
    far = next((n for n in neighbours(raw, suspect) if n != victim), None)
    target = far or victim
    found = client.get(f"{API}/network/path", params={"source": victim, "target": target}).json()
    with store.reader() as conn:
        expected = query.paths(query.load(conn, store.case_id(conn, "default")), victim, target)
    assert found["paths"] == expected and expected
    on_path = {p for route in expected for p in route}
    assert {n["id"] for n in found["graph"]["nodes"]} == on_path
    assert all({e["source"], e["target"]} <= on_path for e in found["graph"]["edges"])


def test_unknown_people_and_subjects_are_clear_4xx(client):
    login(client)
    for url in (f"{API}/network/ego/P999999", f"{API}/network/path?source=P999999&target=P1"):
        response = client.get(url)
        assert response.status_code == 404 and "not a person in this case's network" in response.json()["detail"]
    for subject in ("P999999", "not a subject"):
        response = client.get(f"{API}/timeline", params={"subject": subject})
        assert 400 <= response.status_code < 500 and "Traceback" not in response.text
    page = client.get("/cases/default/chronology", params={"subject": "P999999"})
    assert page.status_code == 422 and "P999999" in page.text and "<h1>" in page.text
    assert client.get("/cases/default/chronology", params={"subject": "P1", "from": "x"}).status_code == 422


def test_timeline_is_the_clis_chronology_with_sources(client, raw, store):
    login(client)
    suspect, _ = suspect_and_victim(raw)
    found = client.get(f"{API}/timeline", params={"subject": suspect}).json()
    with store.reader() as conn:
        expected = build_timeline(conn, store.case_id(conn, "default"), suspect)
    assert len(found["events"]) == len(expected.events) > 0
    assert [e["kind"] for e in found["events"]] == [e.kind for e in expected.events]
    assert all(e["source"] and e["records"] for e in found["events"])
    page = client.get("/cases/default/chronology", params={"subject": suspect}).text
    assert '<th scope="col">Source</th>' in page and 'data-events="' in page
    assert found["events"][0]["source"].split(" row ")[0] in page
    first = found["events"][0]["when"][:10]
    narrowed = client.get(f"{API}/timeline", params={"subject": suspect, "from": first, "to": first}).json()
    assert narrowed["events"] and all(e["when"][:10] <= first for e in narrowed["events"])


def test_victims_are_pseudonymised_everywhere(client, raw, victim_names):
    login(client)
    suspect, victim = suspect_and_victim(raw)
    texts = [client.get(f"{API}/network/overview").text, client.get("/cases/default/network").text,
             client.get(f"/cases/default/network?focus={victim}").text,
             client.get(f"{API}/network/path", params={"source": victim, "target": suspect}).text]
    for node in raw.nodes:
        texts.append(client.get(f"{API}/network/ego/{node['id']}?depth=2").text)
        texts.append(client.get(f"{API}/timeline", params={"subject": node["id"]}).text)
        texts.append(client.get("/cases/default/chronology", params={"subject": node["id"]}).text)
    assert all(no_victim_name(t, victim_names) for t in texts)
    shown = client.get(f"{API}/network/ego/{victim}").json()
    label = next(n["label"] for n in shown["nodes"] if n["id"] == victim)
    assert label.startswith("[victim ")


# ---- access and audit ---------------------------------------------------------------------

READS = [(f"{API}/network/overview", "players"), (f"{API}/network/ego/P1", "ego"),
         (f"{API}/network/path?source=P1&target=P2", "path"), (f"{API}/timeline?subject=P1", "timeline")]
PAGES = ["/cases/default/network", "/cases/default/chronology", "/cases/default/chronology?subject=P1"]


def test_unauthenticated_gets_nothing(client):
    for url, _ in READS:
        response = client.get(url)
        assert response.status_code == 401 and response.json() == {"detail": "authentication required"}
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    export = client.post(f"{API}/network/export", json={"format": "anx", "nodes": ["P1"], "recipient": "x"})
    assert export.status_code == 401


def test_another_case_is_refused_like_a_missing_one(client, site):
    login(client, "outsider")
    for url in [u for u, _ in READS] + PAGES + [u.replace("default", "secret") for u, _ in READS]:
        denied = client.get(url)
        name = "secret" if "/secret" in url else "default"
        ghost = client.get(url.replace(f"/{name}", "/no-such-case"))
        assert denied.status_code == ghost.status_code == 404, url
        assert denied.text == ghost.text.replace("no-such-case", name), url
        assert not any(c.lower() in denied.text.lower() for c in SECRET_CANARIES)
    refused = [e for e in audit_events(site) if e["action"] == "REFUSED" and e["user"] == "outsider"]
    assert {"players", "ego", "path", "timeline"} <= {e["operation"] for e in refused}


def test_each_read_is_audited_under_the_clis_operation(client, site, raw):
    login(client)
    suspect, victim = suspect_and_victim(raw)
    for url, operation in ((f"{API}/network/overview", "players"), (f"{API}/network/ego/{suspect}", "ego"),
                           (f"{API}/network/path?source={suspect}&target={victim}", "path"),
                           (f"{API}/timeline?subject={suspect}", "timeline"),
                           (f"/cases/default/chronology?subject={suspect}", "timeline"),
                           ("/cases/default/network", "players")):
        before = len(audit_events(site))
        assert client.get(url).status_code == 200, url
        events = audit_events(site)
        assert len(events) == before + 1, url
        last = events[-1]
        assert (last["user"], last["action"], last["operation"]) == ("ana", "CONSULT", operation), url
        assert last["case_id"] is not None and last["objects"]
        assert last["detail"]["channel"] == ("api" if url.startswith("/api/") else "web")


# ---- exports: a disclosure, re-authenticated, audited, pseudonymised --------------------------


def disclosures(site: Site) -> list[dict]:
    return [e for e in audit_events(site) if e["action"] == "DISCLOSE"]


def test_export_needs_the_password_and_is_audited(client, site, raw, victim_names):
    csrf = browser(client)
    suspect, victim = suspect_and_victim(raw)
    nodes = sorted({suspect} | neighbours(raw, suspect))
    body = {"format": "anx", "nodes": nodes, "recipient": "SIO Operation Lantern", "csrf_token": csrf}
    before = len(disclosures(site))
    wrong = client.post(f"{API}/network/export", json=body | {"password": "not it"})
    assert wrong.status_code == 403 and "nothing was exported" in wrong.json()["detail"]
    assert len(disclosures(site)) == before
    assert audit_events(site)[-1]["action"] == "REFUSED"
    no_csrf = client.post(f"{API}/network/export", json=body | {"password": PASSWORD, "csrf_token": ""})
    assert no_csrf.status_code == 403 and len(disclosures(site)) == before

    done = client.post(f"{API}/network/export", json=body | {"password": PASSWORD})
    assert done.status_code == 200 and "attachment" in done.headers["content-disposition"]
    chart = ElementTree.fromstring(done.content)
    ids = {e.get("EntityId") for e in chart.iter("Entity")}
    assert ids == set(nodes)
    assert no_victim_name(done.text, victim_names)
    event = disclosures(site)[-1]
    assert (event["user"], event["operation"], event["recipient"]) == ("ana", "export", "SIO Operation Lantern")
    assert event["detail"]["format"] == "anx" and event["detail"]["channel"] == "web"
    assert event["detail"]["sha256"] == hashlib.sha256(done.content).hexdigest()
    assert set(nodes) <= set(event["objects"])

    png = client.post(f"{API}/network/export", json=body | {"format": "png", "password": PASSWORD})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert disclosures(site)[-1]["operation"] == "chart"


def test_export_filters_and_limits(client, site, raw):
    csrf = browser(client)
    suspect, _ = suspect_and_victim(raw)
    nodes = sorted({suspect} | neighbours(raw, suspect))
    body = {"format": "anx", "nodes": nodes, "recipient": "r", "csrf_token": csrf, "password": PASSWORD}
    only = client.post(f"{API}/network/export", json=body | {"types": ["victim-suspect"]})
    links = {e.get("Type") for e in ElementTree.fromstring(only.content).iter("LinkStyle")}
    assert links == {"victim-suspect"}
    before = len(disclosures(site))
    for wrong in ({"nodes": []}, {"nodes": ["P999999"]}, {"format": "pdf"}, {"recipient": ""},
                  {"format": "png", "nodes": [f"P{i}" for i in range(401)]}):
        response = client.post(f"{API}/network/export", json=body | wrong)
        assert response.status_code in (400, 422), wrong  # a bad value, or a malformed body
    assert len(disclosures(site)) == before


def test_export_with_a_token_and_without_access(client, site, raw):
    suspect, _ = suspect_and_victim(raw)
    body = {"format": "anx", "nodes": [suspect], "recipient": "force system"}
    bearer = {"Authorization": f"Bearer {site.tokens['ana']}"}
    done = client.post(f"{API}/network/export", json=body, headers=bearer)
    assert done.status_code == 200 and disclosures(site)[-1]["detail"]["channel"] == "api"
    before = len(disclosures(site))
    outsider = {"Authorization": f"Bearer {site.tokens['outsider']}"}
    denied = client.post(f"{API}/network/export", json=body, headers=outsider)
    ghost = client.post("/api/cases/no-such-case/network/export", json=body, headers=outsider)
    assert denied.status_code == ghost.status_code == 404
    assert len(disclosures(site)) == before
    refused = audit_events(site)[-1]
    assert (refused["user"], refused["action"]) == ("outsider", "REFUSED")


def test_openapi_documents_the_network_api(client, site):
    spec = client.get("/openapi.json", headers={"Authorization": f"Bearer {site.tokens['ana']}"}).json()
    for path in ("/api/cases/{case}/network/overview", "/api/cases/{case}/network/ego/{entity}",
                 "/api/cases/{case}/network/path", "/api/cases/{case}/timeline",
                 "/api/cases/{case}/network/export"):
        assert path in spec["paths"], path
        operation = next(iter(spec["paths"][path].values()))
        assert "404" in operation["responses"]

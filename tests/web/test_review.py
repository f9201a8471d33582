"""The case review in the web: the same findings as `lantern review`, checked and audited as it
is, over a real workspace (SQLite and PostgreSQL)."""

from __future__ import annotations

from lantern.review import cases_to_reopen, force_rates, review_cases
from lantern.store import Workspace
from tests.web import test_app
from tests.web.conftest import Site
from tests.web.test_app import audit_events, login

# The secure core's fixtures: an app over the `site` workspace and a hand-moved clock.
client, clock = test_app.client, test_app.clock
PAGE = "/cases/default/review"
API = "/api/cases/default/review"
CHART = "/cases/default/review/consistency.png"


def in_default(site: Site, read):
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            return read(conn, ws.case_id(conn, "default"))
    finally:
        ws.dispose()


def bearer(site: Site, user: str = "ana") -> dict[str, str]:
    return {"Authorization": f"Bearer {site.tokens[user]}"}


def test_unauthenticated_reveals_nothing(client):
    for path in (PAGE, CHART, "/cases/secret/review"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for path in (API, "/api/cases/secret/review"):
        response = client.get(path)
        assert response.status_code == 401 and "CR/" not in response.text


def test_another_case_is_refused_like_a_missing_one(client, site):
    hidden = client.get("/api/cases/secret/review", headers=bearer(site, "outsider"))
    missing = client.get("/api/cases/nope/review", headers=bearer(site, "outsider"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("secret", "X") == missing.json()["detail"].replace("nope", "X")
    login(client, "outsider")
    for path in (PAGE, CHART):
        response = client.get(path)
        assert response.status_code == 404 and "CR/24" not in response.text
    refused = [e for e in audit_events(site) if e["action"] == "REFUSED" and e["user"] == "outsider"]
    assert "review" in {e["operation"] for e in refused}


def test_the_api_lists_the_clis_findings_leads_and_rates(client, site):
    found = in_default(site, review_cases)
    leads = in_default(site, cases_to_reopen)
    rates = in_default(site, force_rates)
    body = client.get(API, headers=bearer(site)).json()
    assert found, "the sample data should give findings"
    assert [(f["rule"], f["crime"], f["force"], f["records"]) for f in body["findings"]] == [
        (f.rule, f.crime, f.force, list(f.records)) for f in found]
    assert [(lead["crime"], lead["score"]) for lead in body["leads"]] == [(x.crime, x.score) for x in leads]
    assert [(f["force"], f["crimes"]) for f in body["forces"]] == [(f.force, f.crimes) for f in rates]
    charged = {r["metric"]: r for r in body["forces"][0]["rates"]}["charged"]
    assert charged["value"] == rates[0].rates["charged"] and charged["shown"].endswith("%")
    assert {r["id"] for r in body["rules"]} >= {f.rule for f in found}
    last = audit_events(site)[-1]
    assert (last["user"], last["action"], last["operation"]) == ("ana", "CONSULT", "review")
    assert last["detail"]["channel"] == "api" and last["detail"]["findings"] == len(found)


def test_the_page_shows_the_same_findings_as_the_cli(client, site):
    cli = site.run("review")
    login(client)
    page = client.get(PAGE)
    assert page.status_code == 200 and "<h1>Case review: case default</h1>" in page.text
    for f in in_default(site, review_cases):
        assert f.crime in page.text and f.crime in cli
        assert f.title in page.text
    assert "Closed cases worth reopening" in page.text and "Consistency across forces" in page.text
    assert '<th scope="row">Force A</th>' in page.text
    assert f'src="{CHART}"' in page.text
    assert "(showing 1 of 3)" in client.get(f"{PAGE}?limit=1").text  # like `lantern review --limit`
    last = audit_events(site)[-1]
    assert (last["operation"], last["detail"]["channel"]) == ("review", "web")


def test_the_consistency_chart_is_a_png(client, site):
    login(client)
    chart = client.get(CHART)
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    assert chart.headers["cache-control"] == "no-store"
    last = audit_events(site)[-1]
    assert (last["operation"], last["detail"]["chart"]) == ("review", "consistency.png")

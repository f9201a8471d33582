"""The resolution review queue in the web: the CLI's queue, explanations and judgements, over a
real workspace (SQLite and PostgreSQL).

The `site` workspace is shared by the module and judgements change it: the tests that judge
come last, and each judges a pair no earlier test relies on.
"""

from __future__ import annotations

from sqlalchemy import func, select

from lantern.resolve import explain as explaining
from lantern.security.pseudonymise import victim_record_ids
from lantern.store import Workspace, tables
from tests.web import test_app
from tests.web.conftest import PASSWORD, Site
from tests.web.test_app import audit_events, csrf_of, login

# The secure core's fixtures: an app over the `site` workspace and a hand-moved clock.
client, clock = test_app.client, test_app.clock
QUEUE = "/cases/default/resolution"
API = "/api/cases/default/resolution"
VICTIM_NAMES = ("Chloe Holt", "Grace Adeyemi", "Holt", "Adeyemi")


def in_default(site: Site, read):
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            return read(conn, ws.case_id(conn, "default"))
    finally:
        ws.dispose()


def cli_queue(site: Site, limit: int = 20) -> list[explaining.QueueItem]:
    return in_default(site, lambda conn, case: explaining.review_queue(conn, case, limit))


def judgements(site: Site) -> list[tuple]:
    j = tables.judgements
    return in_default(site, lambda conn, case: [tuple(r) for r in conn.execute(
        select(j.c.record_a, j.c.record_b, j.c.decision, j.c.reason, j.c.username)
        .where(j.c.case_id == case).order_by(j.c.id))])


def bearer(site: Site, user: str = "ana") -> dict[str, str]:
    return {"Authorization": f"Bearer {site.tokens[user]}"}


def victim_pair(site: Site) -> tuple[int, int]:
    victims = in_default(site, victim_record_ids)
    return next((i.a, i.b) for i in cli_queue(site) if {i.a, i.b} & victims)


def test_unauthenticated_reveals_nothing(client, site):
    for path in (QUEUE, "/cases/secret/resolution"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    for path in (f"{API}/queue", f"{API}/pairs/1/2", "/api/cases/secret/resolution/queue"):
        response = client.get(path)
        assert response.status_code == 401 and "Khan" not in response.text
    before = judgements(site)
    response = client.post(f"{API}/judgements", json={"a": 1, "b": 2, "decision": "same",
                                                      "reason": "r"})
    assert response.status_code == 401
    assert client.post(f"{QUEUE}/judgements", data={"a": 1, "b": 2, "decision": "same",
                                                    "reason": "r"}).status_code == 303
    assert judgements(site) == before


def test_the_queue_is_the_clis_review_queue(client, site):
    expected = cli_queue(site)
    assert expected, "the sample data should leave pairs to review"
    api = client.get(f"{API}/queue", headers=bearer(site)).json()
    assert [(i["a"], i["b"], i["why"]) for i in api["items"]] == [(i.a, i.b, i.why) for i in expected]
    assert len(client.get(f"{API}/queue?limit=2", headers=bearer(site)).json()["items"]) == 2
    login(client)
    page = client.get(QUEUE)
    assert page.status_code == 200 and "<h1>Resolution review: case default</h1>" in page.text
    shown = [f"Records {i.a} and {i.b}:" for i in expected[:10]]
    assert all(s in page.text for s in shown)
    assert page.text.index(shown[0]) < page.text.index(shown[1])  # the CLI's order
    assert 'name="reason"' in page.text and "required" in page.text
    last = audit_events(site)[-1]
    assert (last["user"], last["action"], last["operation"]) == ("ana", "CONSULT", "review-queue")
    assert last["detail"]["channel"] == "web" and last["detail"]["revealed"] is False


def test_a_pair_side_by_side_with_the_weights_lantern_explain_prints(client, site):
    item = next(i for i in cli_queue(site) if not {i.a, i.b} & in_default(site, victim_record_ids))
    found = in_default(site, lambda conn, case: explaining.explain(conn, case, item.a, item.b))
    pair = client.get(f"{API}/pairs/{item.a}/{item.b}", headers=bearer(site)).json()
    assert [(s["comparison"], s["level"], s["weight"], s["a"], s["b"]) for s in pair["steps"]] == [
        (s.comparison, s.level, s.weight, s.left, s.right) for s in found.steps]
    assert pair["match_probability"] == found.match_probability
    assert pair["a"]["source"] == found.sources[item.a] and pair["a"]["source_record_id"]
    fields = {f["prop"]: f for f in pair["fields"]}
    assert fields["name"]["a"] and fields["name"]["agreement"] in ("same", "differs")
    assert "ethnicity" not in fields and "ethnicity" in pair["hidden"]  # never fed to a match
    last = audit_events(site)[-1]
    assert (last["operation"], last["detail"]["channel"]) == ("explain", "api")
    assert set(last["objects"]) == {f"record:{item.a}", f"record:{item.b}"}


def test_wrong_records_are_a_clear_404(client, site):
    response = client.get(f"{API}/pairs/1/999999", headers=bearer(site))
    assert response.status_code == 404 and "no Person record 999999" in response.json()["detail"]
    assert client.get(f"{API}/pairs/1/x", headers=bearer(site)).status_code == 422


def test_victims_are_pseudonymised_unless_revealed_with_the_permission(client, site):
    a, b = victim_pair(site)
    pair = client.get(f"{API}/pairs/{a}/{b}", headers=bearer(site))
    assert pair.status_code == 200 and pair.json()["pseudonymised"] is True
    assert not any(name in pair.text for name in VICTIM_NAMES)
    name = next(f for f in pair.json()["fields"] if f["prop"] == "name")
    assert name["a"][0].startswith("[name ") and name["agreement"] == "same"  # still comparable
    login(client)
    page = client.get(QUEUE)
    assert not any(name in page.text for name in VICTIM_NAMES)
    # ana (an analyst) lacks victim.identity: refused, and the refusal is audited
    refused = client.get(f"{API}/pairs/{a}/{b}?reveal_reason=checking", headers=bearer(site))
    assert refused.status_code == 404 and "victim.identity" in refused.json()["detail"]
    last = audit_events(site)[-1]
    assert (last["user"], last["action"], last["operation"]) == ("ana", "REFUSED", "explain")


def test_a_supervisor_reveals_victims_with_an_audited_reason(client, site):
    site.run("user", "add", "sue", "--roles", "supervisor", "--password-env", "WEB_PW",
             env={"WEB_PW": PASSWORD})
    site.run("case", "grant", "default", "sue")
    a, b = victim_pair(site)
    login(client, "sue")
    assert not any(name in client.get(QUEUE).text for name in VICTIM_NAMES)  # not by default
    page = client.get(f"{QUEUE}?reveal_reason=checking+a+possible+duplicate")
    assert page.status_code == 200 and any(name in page.text for name in VICTIM_NAMES)
    last = audit_events(site)[-1]
    assert (last["user"], last["operation"], last["detail"]["revealed"]) == ("sue", "review-queue", True)
    assert last["detail"]["reason"] == "checking a possible duplicate"
    pair = client.get(f"{API}/pairs/{a}/{b}?reveal_reason=checking").json()
    assert pair["pseudonymised"] is False


def test_another_case_is_refused_like_a_missing_one(client, site):
    before = judgements(site)
    for user in ("outsider",):
        hidden = client.get(f"{API.replace('default', 'secret')}/queue", headers=bearer(site, user))
        missing = client.get("/api/cases/nope/resolution/queue", headers=bearer(site, user))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["detail"].replace("secret", "X") == missing.json()["detail"].replace("nope", "X")
        denied = client.get(f"{API}/queue", headers=bearer(site, user))
        assert denied.status_code == 404 and "Khan" not in denied.text
        judged = client.post(f"{API}/judgements", headers=bearer(site, user),
                             json={"a": 1, "b": 2, "decision": "same", "reason": "sneaky"})
        assert judged.status_code == 404
    login(client, "outsider")
    page = client.get(QUEUE)
    assert page.status_code == 404 and "Khan" not in page.text
    token = csrf_of(client.get("/cases").text)
    form = client.post(f"{QUEUE}/judgements", data={"a": 1, "b": 2, "decision": "same", "reason": "x",
                                                    "csrf_token": token})
    assert form.status_code == 404
    assert judgements(site) == before
    refused = [e for e in audit_events(site) if e["action"] == "REFUSED" and e["user"] == "outsider"]
    assert {"review-queue", "judge"} <= {e["operation"] for e in refused}


def test_a_form_without_csrf_or_reason_stores_nothing(client, site):
    before = judgements(site)
    item = cli_queue(site)[0]
    login(client)
    token = csrf_of(client.get(QUEUE).text)
    no_csrf = client.post(f"{QUEUE}/judgements", data={"a": item.a, "b": item.b,
                                                       "decision": "same", "reason": "looks same"})
    assert no_csrf.status_code == 403
    for reason in ("", "   "):
        response = client.post(f"{QUEUE}/judgements", data={"a": item.a, "b": item.b, "decision": "same",
                                                            "reason": reason, "csrf_token": token})
        assert response.status_code == 400 and "needs a reason" in response.text
    bad = client.post(f"{QUEUE}/judgements", data={"a": item.a, "b": item.b, "decision": "maybe",
                                                   "reason": "r", "csrf_token": token})
    assert bad.status_code == 400 and "decision must be one of" in bad.text
    cookie_api = client.post(f"{API}/judgements", json={"a": item.a, "b": item.b, "decision": "same",
                                                        "reason": "r"})
    assert cookie_api.status_code == 403  # a browser session must send its CSRF token
    empty = client.post(f"{API}/judgements", headers=bearer(site),
                        json={"a": item.a, "b": item.b, "decision": "same", "reason": ""})
    assert empty.status_code == 422
    assert judgements(site) == before


def test_an_investigator_without_write_cannot_judge(client, site):
    site.run("user", "add", "ivy", "--roles", "investigator", "--password-env", "WEB_PW",
             env={"WEB_PW": PASSWORD})
    site.run("case", "grant", "default", "ivy")
    before = judgements(site)
    item = cli_queue(site)[0]
    login(client, "ivy")
    page = client.get(QUEUE)
    assert page.status_code == 200  # may read the queue
    refused = client.post(f"{QUEUE}/judgements", data={"a": item.a, "b": item.b, "decision": "same",
                                                       "reason": "r", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 404 and "lacks the permission case.write" in refused.text
    assert judgements(site) == before
    last = audit_events(site)[-1]
    assert (last["user"], last["action"], last["operation"]) == ("ivy", "REFUSED", "judge")


# ---- these judge: they change the shared workspace ------------------------------------------


def test_a_web_judgement_is_stored_applied_and_audited_like_the_clis(client, site):
    item = cli_queue(site)[0]
    login(client)
    token = csrf_of(client.get(QUEUE).text)
    response = client.post(f"{QUEUE}/judgements", data={
        "a": item.a, "b": item.b, "decision": "different", "reason": "different dates of birth",
        "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == f"{QUEUE}?judged=different&a={item.a}&b={item.b}"
    page = client.get(response.headers["location"])
    assert f"records {item.a} and {item.b} are different" in page.text
    assert f"Records {item.a} and {item.b}:" not in page.text  # gone from the queue
    assert (item.a, item.b) not in [(i.a, i.b) for i in cli_queue(site)]
    # stored exactly as `lantern judge` stores one, and `lantern explain` reports it
    assert judgements(site)[-1] == (item.a, item.b, "different", "different dates of birth", "ana")
    assert "An analyst judged them: different" in site.run("explain", str(item.a), str(item.b))
    event = next(e for e in reversed(audit_events(site)) if e["operation"] == "judge")
    assert (event["user"], event["action"]) == ("ana", "ALTER")
    assert event["detail"] == {"decision": "different", "reason": "different dates of birth",
                               "channel": "web"}
    assert {f"record:{item.a}", f"record:{item.b}"} <= set(event["objects"])
    # the CLI's judgement of the next pair is the same kind of row and event
    other = cli_queue(site)[0]
    site.run("judge", str(other.a), str(other.b), "unsure", "--reason", "cannot tell")
    assert judgements(site)[-1] == (other.a, other.b, "unsure", "cannot tell", "lead")
    cli_event = audit_events(site)[-1]
    assert (cli_event["action"], cli_event["operation"]) == ("ALTER", "judge")
    assert set(cli_event["detail"]) == set(event["detail"]) - {"channel"}


def test_the_api_judges_with_a_bearer_token(client, site):
    item = cli_queue(site)[0]
    runs = in_default(site, lambda conn, case: conn.scalar(
        select(func.count()).select_from(tables.resolution_runs)
        .where(tables.resolution_runs.c.case_id == case)))
    response = client.post(f"{API}/judgements", headers=bearer(site),
                           json={"a": item.a, "b": item.b, "decision": "same", "reason": "same person"})
    assert response.status_code == 200
    body = response.json()
    assert (body["a"], body["b"], body["decision"]) == (item.a, item.b, "same") and body["people"] > 0
    assert judgements(site)[-1] == (item.a, item.b, "same", "same person", "ana")
    assert in_default(site, lambda conn, case: conn.scalar(
        select(func.count()).select_from(tables.resolution_runs)
        .where(tables.resolution_runs.c.case_id == case))) > runs  # re-clustered at once
    assert audit_events(site)[-1]["detail"]["channel"] == "api"

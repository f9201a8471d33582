"""Exports and the briefing pack from the workbench: each format downloads, parses, names no
victim, and is released with a DISCLOSE event carrying the recipient and the hash of the bytes."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re

import pytest
from defusedxml import ElementTree

from lantern.web.routes.exports import FORMATS
from tests.web import test_app
from tests.web.conftest import PASSWORD, Site
from tests.web.test_app import audit_events, csrf_of, login

# The secure core's fixtures: an app over the `site` workspace and a hand-moved clock.
client, clock = test_app.client, test_app.clock

# Victims in the sample data (nominals.csv / crimes.csv): their names must never leave.
VICTIM_NAMES = ("ADEYEMI", "Adeyemi", "Grace", "HOLT", "Chloe")
XML_FORMATS = {"anx", "graphml", "gexf"}


@pytest.fixture(scope="module")
def site_with_investigator(site: Site) -> Site:
    site.run("user", "add", "ivy", "--roles", "investigator", "--password-env", "WEB_PW",
             env={"WEB_PW": PASSWORD})
    site.tokens["ivy"] = site.run("user", "token", "ivy").strip().splitlines()[-1]
    site.run("case", "grant", "default", "ivy")
    return site


def export_form(client, fmt: str, recipient: str = "CPS North", password: str = PASSWORD,
                csrf: str | None = None):
    login(client)
    token = csrf if csrf is not None else csrf_of(client.get("/cases/default/exports").text)
    return client.post("/cases/default/exports", data={
        "format": fmt, "recipient": recipient, "password": password, "csrf_token": token})


def disclosures(site: Site) -> list[dict]:
    return [e for e in audit_events(site) if e["action"] == "DISCLOSE"]


def parses(fmt: str, body: bytes) -> int:
    """How many items the file holds, read the way its consumer would read it."""
    text = body.decode("utf-8")
    if fmt in XML_FORMATS:
        return len(list(ElementTree.fromstring(body).iter()))
    if fmt.endswith("csv"):
        return len(list(csv.reader(io.StringIO(text))))
    if fmt == "cytoscape":
        return len(json.loads(text)["elements"]["nodes"])
    return len([json.loads(line) for line in text.splitlines() if line])


def test_the_page_has_labelled_forms(client, site):
    login(client)
    page = client.get("/cases/default/exports")
    assert page.status_code == 200
    for control in ("export-format", "export-recipient", "export-password",
                    "briefing-recipient", "briefing-password"):
        assert f'<label for="{control}">' in page.text
    assert all(f'<option value="{f}"' in page.text for f in FORMATS)
    assert "15 seconds" in page.text and "<h1>" in page.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_downloads_pseudonymised_and_is_disclosed(client, site, fmt):
    before = len(disclosures(site))
    answer = export_form(client, fmt)
    assert answer.status_code == 200, answer.text[:500]
    disposition = answer.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="lantern-default-{fmt}-\d{{8}}T\d{{6}}Z\.[a-z.]+"',
                        disposition), disposition
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"  # WS-5
    assert parses(fmt, answer.content) > (0 if fmt == "groups-csv" else 1)  # the sample has no groups
    for name in VICTIM_NAMES:
        assert name not in answer.text, f"{name} in the {fmt} export"
    [event] = disclosures(site)[before:]
    assert (event["operation"], event["recipient"], event["user"]) == ("export", "CPS North", "ana")
    assert event["detail"]["sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert event["detail"] | {"items": 0} == {"format": fmt, "items": 0, "revealed": False,
                                              "reason": None, "channel": "web",
                                              "sha256": event["detail"]["sha256"]}


def test_a_wrong_password_exports_nothing_and_is_audited(client, site):
    before = len(disclosures(site))
    answer = export_form(client, "graphml", password="not my password")
    assert answer.status_code == 403 and "nothing was exported" in answer.text
    assert len(disclosures(site)) == before
    refusal = audit_events(site)[-1]
    assert (refusal["action"], refusal["operation"], refusal["user"]) == (
        "REFUSED", "export", "ana")


@pytest.mark.parametrize("fmt, recipient, words", [
    ("graphml", "   ", "name the recipient"),
    ("xlsx", "CPS North", "unknown export format 'xlsx'"),
])
def test_bad_input_is_a_clear_422_and_exports_nothing(client, site, fmt, recipient, words):
    before = len(disclosures(site))
    answer = export_form(client, fmt, recipient=recipient)
    assert answer.status_code == 422 and words in html.unescape(answer.text)
    assert len(disclosures(site)) == before


def test_without_csrf_nothing_is_exported(client, site):
    before = len(disclosures(site))
    assert export_form(client, "graphml", csrf="forged").status_code == 403
    assert len(disclosures(site)) == before


def test_the_api_exports_for_an_investigator_with_a_token(client, site_with_investigator):
    site = site_with_investigator
    answer = client.post("/api/cases/default/exports",
                         json={"format": "graphml", "recipient": "Force B hub"},
                         headers={"Authorization": f"Bearer {site.tokens['ivy']}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    event = disclosures(site)[-1]
    assert (event["user"], event["recipient"]) == ("ivy", "Force B hub")
    assert event["detail"]["sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert event["detail"]["channel"] == "api"


def test_the_api_with_a_browser_session_needs_the_password(client, site):
    login(client)
    csrf = csrf_of(client.get("/cases/default/exports").text)
    body = {"format": "jsonl", "recipient": "CPS North", "csrf_token": csrf}
    assert client.post("/api/cases/default/exports", json=body).status_code == 403
    ok = client.post("/api/cases/default/exports", json=body | {"password": PASSWORD})
    assert ok.status_code == 200 and ok.headers["content-disposition"].startswith("attachment")


def test_outsiders_and_strangers_learn_nothing(client, site):
    body = {"format": "graphml", "recipient": "x"}
    outsider = {"Authorization": f"Bearer {site.tokens['outsider']}"}
    hidden = client.post("/api/cases/default/exports", json=body, headers=outsider)
    missing = client.post("/api/cases/nosuch/exports", json=body, headers=outsider)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == "no case named 'default' that you can access"
    assert client.post("/api/cases/default/exports", json=body).status_code == 401
    assert client.get("/cases/default/exports").status_code == 303
    assert client.post("/cases/default/exports", data=body).status_code == 303
    login(client, "outsider")
    assert client.get("/cases/default/exports").status_code == 404
    assert client.get("/cases/secret/exports").status_code == 404


@pytest.mark.slow
def test_the_briefing_pack_downloads_as_a_pdf_and_is_disclosed(client, site):
    login(client)
    csrf = csrf_of(client.get("/cases/default/exports").text)
    before = len(disclosures(site))
    answer = client.post("/cases/default/briefing", data={
        "recipient": "SIO Op Lantern", "password": PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 200, answer.text[:500]
    assert answer.content.startswith(b"%PDF")
    assert answer.headers["content-type"] == "application/pdf"
    assert re.fullmatch(r'attachment; filename="lantern-default-briefing-\d{8}T\d{6}Z\.pdf"',
                        answer.headers["content-disposition"])
    [event] = disclosures(site)[before:]
    assert (event["operation"], event["recipient"]) == ("report", "SIO Op Lantern")
    assert event["detail"]["files"]["briefing.pdf"] == hashlib.sha256(answer.content).hexdigest()
    assert not event["detail"]["revealed"]


def test_a_web_export_is_fixed_in_a_signed_checkpoint(client, site):
    """As after `lantern export`: the log's size and root are signed right after the DISCLOSE,
    so the disclosure cannot later be rewritten out of the log unnoticed."""
    from sqlalchemy import func, select

    from lantern.store import Workspace, tables

    def checkpoints() -> tuple[int, int]:
        ws = Workspace(site.db)
        try:
            with ws.reader() as conn:
                c, a = tables.audit_checkpoints, tables.audit_events
                return (int(conn.scalar(select(func.count()).select_from(c)) or 0),
                        int(conn.scalar(select(func.max(a.c.seq))) or 0))
        finally:
            ws.dispose()

    before, _ = checkpoints()
    assert export_form(client, "graphml").status_code == 200
    after, last_seq = checkpoints()
    assert after == before + 1
    assert disclosures(site)[-1]["seq"] == last_seq  # nothing logged after it, before signing

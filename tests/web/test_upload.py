"""Uploads through the workbench: the CLI's ingest behind a browser form and the API, with hostile
files, the size cap, hostile names, access and audit, on real SQLite and PostgreSQL workspaces."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from lantern.cli import app as cli
from lantern.demo import sample_path
from lantern.store import Workspace, queries, tables
from lantern.web.app import WebConfig, create_app
from lantern.web.jobs import Job, JobRegistry, new_job_id
from lantern.web.routes import upload as upload_routes
from tests.web import test_app
from tests.web.conftest import PASSWORD, Site
from tests.web.test_app import audit_events, csrf_of, login

# The secure core's fixtures: an app over the `site` workspace and a hand-moved clock.
client, clock = test_app.client, test_app.clock

NOMINALS_HEADER = "NOMINAL_REF,NAME,DOB,SEX,ETHNICITY,MOBILE,ADDRESS,POSTCODE\n"


@pytest.fixture(scope="module")
def cases(site: Site) -> Site:
    """Two empty cases to compare the web with the CLI, and two more users on 'default'."""
    for name in ("webup", "cliup"):
        site.run("case", "create", name)
    site.run("case", "grant", "webup", "ana")
    for username, roles in (("bea", "analyst"), ("ivy", "investigator")):
        site.run("user", "add", username, "--roles", roles, "--password-env", "WEB_PW",
                 env={"WEB_PW": PASSWORD})
        site.tokens[username] = site.run("user", "token", username).strip().splitlines()[-1]
        site.run("case", "grant", "default", username)
    return site


def page_csrf(client: TestClient, case: str = "default") -> str:
    return csrf_of(client.get(f"/cases/{case}/upload").text)


def send(client: TestClient, name: str, data: bytes, profile: str, case: str = "default",
         csrf: str | None = None, token: str | None = None):
    """POST the file as the page's script does (JSON answer), or to the API with a token."""
    fields = {"profile": profile} | ({"csrf_token": csrf} if csrf else {})
    if token:
        return client.post(f"/api/cases/{case}/uploads", files={"file": (name, data)},
                           data=fields, headers={"Authorization": f"Bearer {token}"})
    return client.post(f"/cases/{case}/upload", files={"file": (name, data)}, data=fields,
                       headers={"Accept": "application/json"})


def finished(client: TestClient, answer, case: str = "default") -> dict:
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    client.app.state.upload_jobs.wait(job_id)
    polled = client.get(f"/api/cases/{case}/jobs/{job_id}")
    assert polled.status_code == 200, polled.text
    return polled.json()


def upload_as_ana(client: TestClient, name: str, data: bytes, profile: str,
                  case: str = "default") -> dict:
    login(client)
    return finished(client, send(client, name, data, profile, case, csrf=page_csrf(client, case)),
                    case)


def cli_ingest(site: Site, folder: Path, name: str, data: bytes, profile: str,
               monkeypatch: pytest.MonkeyPatch) -> str:
    """`lantern ingest` of the same bytes under the same name into case 'cliup': its output."""
    (folder / name).write_bytes(data)
    monkeypatch.chdir(folder)  # the CLI names the file as it was given: a bare name
    result = CliRunner().invoke(cli, ["--db", site.db, "--user", "lead", "--key-dir",
                                      str(site.key_dir), "--case", "cliup", "ingest", name,
                                      "-p", profile])
    return result.output


def summary(site: Site, case: str) -> queries.CaseSummary:
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            return queries.case_summary(conn, ws.case_id(conn, case))
    finally:
        ws.dispose()


def quarantined(site: Site, case: str, source_id: int) -> list[dict]:
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            return list(queries.quarantine_rows(conn, ws.case_id(conn, case), source_id, None))
    finally:
        ws.dispose()


def comparable(s: queries.CaseSummary) -> tuple:
    return ([(x.file_name, x.profile_name, x.rows_read, x.rows_loaded, x.rows_quarantined,
              x.sha256) for x in s.sources], s.records_by_schema, s.links_by_type, s.quarantine)


def file_path_of(site: Site, source_id: int) -> str:
    ws = Workspace(site.db)
    try:
        with ws.reader() as conn:
            return str(conn.scalar(select(tables.sources.c.file_path)
                                   .where(tables.sources.c.id == source_id)))
    finally:
        ws.dispose()


def nominals(*rows: str) -> bytes:
    return (NOMINALS_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


# ---- the page and the profiles -------------------------------------------------------------


def test_the_page_has_a_labelled_file_input_and_the_profiles(client, cases):
    login(client)
    page = client.get("/cases/default/upload")
    assert page.status_code == 200
    html = page.text
    assert '<label for="upload-file">' in html and 'id="upload-file" name="file"' in html
    assert '<label for="upload-profile">' in html
    assert '<option value="sample-nominals">' in html and "synth-anpr" in html
    assert "<h1>" in html and '<script src="/static/upload.js">' in html
    assert audit_events(cases)[-1]["operation"] == "status"
    assert audit_events(cases)[-1]["detail"]["channel"] == "web"
    listed = client.get("/api/profiles").json()
    assert {"sample-nominals", "sample-crimes", "sample-intelligence"} <= {p["name"] for p in listed}


# ---- the same ingest as the CLI ------------------------------------------------------------


def test_an_upload_loads_what_the_cli_loads_and_audits_it(client, cases, tmp_path, monkeypatch):
    data = sample_path("nominals.csv").read_bytes()
    job = upload_as_ana(client, "nominals.csv", data, "sample-nominals", case="webup")
    output = cli_ingest(cases, tmp_path, "nominals.csv", data, "sample-nominals", monkeypatch)

    assert job["state"] == "done" and job["error"] is None and not job["duplicate"]
    web, cli_side = summary(cases, "webup"), summary(cases, "cliup")
    assert comparable(web) == comparable(cli_side)
    assert web.sources[0].loaded_by == "ana" and job["source_id"] == web.sources[0].id
    assert file_path_of(cases, job["source_id"]) == "nominals.csv"  # no server folder kept
    assert job["rows_loaded"] == web.sources[0].rows_loaded > 0
    assert job["message"] in output.replace("\n", " ").replace("  ", " ")  # the CLI's own line
    assert job["dashboard"] == "/cases/webup"

    event = next(e for e in reversed(audit_events(cases))
                 if e["operation"] == "ingest" and e["user"] == "ana")
    assert event["action"] == "COLLECT" and event["detail"]["channel"] == "web"
    assert event["detail"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert event["detail"]["file"] == "nominals.csv" and event["objects"] == [
        f"source:{job['source_id']}"]

    again = upload_as_ana(client, "copy.csv", data, "sample-nominals", case="webup")
    assert again["state"] == "done" and again["duplicate"]
    assert again["message"] == f"copy.csv: already loaded as source #{job['source_id']}; nothing to do"
    assert len(summary(cases, "webup").sources) == 1


def test_the_api_takes_a_bearer_token_without_csrf(client, cases):
    data = nominals('NA-7001,"PARK, Lee",03/04/1990,M,,,,')
    answer = send(client, "api.csv", data, "sample-nominals", token=cases.tokens["ana"])
    job = client.app.state.upload_jobs.wait(answer.json()["id"])
    assert job.state == "done" and job.result["rows_loaded"] == 1
    polled = client.get(f"/api/cases/default/jobs/{job.id}",
                        headers={"Authorization": f"Bearer {cases.tokens['ana']}"})
    assert polled.json()["source_id"] == job.source_id
    event = next(e for e in reversed(audit_events(cases)) if e["operation"] == "ingest")
    assert event["detail"]["channel"] == "api"


def test_without_script_the_form_redirects_to_the_jobs_page(client, cases):
    login(client)
    data = nominals('NA-7101,"WEST, Kim",03/04/1991,F,,,,')
    answer = client.post("/cases/default/upload", files={"file": ("plain.csv", data)},
                         data={"profile": "sample-nominals", "csrf_token": page_csrf(client)})
    assert answer.status_code == 303
    job_id = answer.headers["location"].split("job=")[1]
    client.app.state.upload_jobs.wait(job_id)
    page = client.get(answer.headers["location"]).text
    assert "plain.csv: 1 rows loaded" in page and "Open the case dashboard" in page


# ---- hostile files: the CLI's words, nothing else lost, no 500 ------------------------------


def _xlsx_with_entity() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   "&e;</Types>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return buf.getvalue()


XXE = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<x>&e;</x>\n'
HOSTILE = {
    "xml-entity-as-csv": ("entity.csv", XXE, "sample-nominals", "lacks columns"),
    "xml-entity-in-xlsx": ("entity.xlsx", _xlsx_with_entity(), "sample-nominals",
                           "cannot open the workbook"),
    "zip-bomb-xlsx": ("bomb.xlsx", _zip_bomb(), "sample-nominals", "(a zip bomb?)"),
    "archive-as-csv": ("bomb.csv", _zip_bomb(), "sample-nominals", "not a text file"),
    "wrong-profile": ("crimes.csv", sample_path("crimes.csv").read_bytes() + b"\n", "sample-nominals",
                      "lacks columns"),
    "empty": ("empty.csv", b"", "sample-nominals", "the file is empty"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_is_refused_with_the_clis_message(client, cases, kind, tmp_path,
                                                         monkeypatch):
    name, data, profile, words = HOSTILE[kind]
    before = comparable(summary(cases, "default"))
    job = upload_as_ana(client, name, data, profile)
    assert job["state"] == "failed" and job["source_id"] is None
    assert job["error"].startswith(f"{name}: ") and words in job["error"]
    assert "lantern-upload-" not in job["error"]  # no server path in the message
    assert job["message"] == f"{job['error']} (nothing loaded from this file)"
    output = cli_ingest(cases, tmp_path, name, data, profile, monkeypatch)
    assert " ".join(f"error: {job['message']}".split()) == " ".join(output.split())  # its line
    assert comparable(summary(cases, "default")) == before  # nothing else lost or added


def test_a_badly_encoded_row_is_quarantined_and_the_good_rows_load(client, cases):
    data = (NOMINALS_HEADER + 'NA-9201,"ZOË, Amy",03/04/1988,F,,,,\n').encode() + \
        b'NA-9202,"BR\xffKEN, Bo",03/04/1988,M,,,,\n' + 'NA-9203,"ÉLAN, Cy",03/04/1988,M,,,,\n'.encode()
    job = upload_as_ana(client, "enc.csv", data, "sample-nominals")
    assert job["state"] == "done"
    assert (job["rows_loaded"], job["rows_quarantined"]) == (2, 1)
    assert "1 rows quarantined" in job["message"]
    [entry] = quarantined(cases, "default", job["source_id"])
    assert (entry["file_name"], entry["row_number"], entry["field"]) == ("enc.csv", 3, "NAME")
    assert "do not decode as utf-8" in entry["reason"]


HOSTILE_NAMES = {"../../etc/passwd": "passwd", "..\\..\\windows\\win.ini": "win.ini",
                 "..": "upload", "/x/.hid": "hid"}


@pytest.mark.parametrize("sent", list(HOSTILE_NAMES))
def test_a_hostile_name_is_kept_as_its_last_part_only(client, cases, sent):
    number = 6000 + list(HOSTILE_NAMES).index(sent)
    data = nominals(f'NA-{number},"ROSE, Tam",03/04/1992,F,,,,')
    job = upload_as_ana(client, sent, data, "sample-nominals")
    expected = HOSTILE_NAMES[sent]
    assert job["state"] == "done" and job["file_name"] == expected
    source = next(s for s in summary(cases, "default").sources if s.id == job["source_id"])
    assert source.file_name == file_path_of(cases, source.id) == expected


def test_the_size_cap_refuses_and_keeps_nothing(client, cases, tmp_path, monkeypatch):
    monkeypatch.setattr(upload_routes, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    login(client)
    csrf = page_csrf(client)
    before = comparable(summary(cases, "default"))
    for size in (5_000, 200_000):  # through the parser; refused by Content-Length before it
        data = nominals(*[f'NA-{i},"BIG, Al",03/04/1988,M,,,,' for i in range(size // 30)])
        answer = send(client, "big.csv", data, "sample-nominals", csrf=csrf)
        assert answer.status_code == 413, answer.text
        assert "over the 1,000 bytes limit for one input file" in answer.json()["detail"]
    assert list(tmp_path.iterdir()) == []  # the partial file is gone
    assert comparable(summary(cases, "default")) == before
    refusal = audit_events(cases)[-1]
    assert (refusal["action"], refusal["operation"]) == ("REFUSED", "ingest")
    page = client.post("/cases/default/upload", files={"file": ("big.csv", b"x" * 5000)},
                       data={"profile": "sample-nominals", "csrf_token": csrf})
    assert page.status_code == 413 and "over the 1,000 bytes limit" in page.text


@pytest.mark.parametrize("fields, status, words", [
    ({"profile": "no-such-profile"}, 400, "no mapping profile named 'no-such-profile'"),
    ({"profile": "/etc/passwd"}, 400, "no mapping profile named '/etc/passwd'"),
])
def test_only_a_listed_profile_is_accepted(client, cases, fields, status, words):
    login(client)
    answer = send(client, "x.csv", nominals('NA-1,"A, B",,,,,,'), fields["profile"],
                  csrf=page_csrf(client))
    assert answer.status_code == status and words in answer.json()["detail"]


def test_a_request_without_a_file_or_not_multipart_is_a_clear_4xx(client, cases):
    token = {"Authorization": f"Bearer {cases.tokens['ana']}"}
    none = client.post("/api/cases/default/uploads", data={"profile": "sample-nominals"},
                       headers=token)
    assert none.status_code in (400, 415) and "detail" in none.json()
    missing = client.post("/api/cases/default/uploads", files={"other": ("a.csv", b"a")},
                          data={"profile": "sample-nominals"}, headers=token)
    assert missing.status_code == 400 and "choose a file" in missing.json()["detail"]
    raw = client.post("/api/cases/default/uploads", content=b"garbage", headers={
        **token, "Content-Type": "multipart/form-data; boundary=zzz"})
    assert raw.status_code == 400 and "malformed upload" in raw.json()["detail"]


# ---- who may upload, who may see a job -------------------------------------------------------


def test_unauthenticated_uploads_are_refused_and_reveal_nothing(client, cases):
    data = nominals('NA-8001,"NONE, Al",03/04/1988,M,,,,')
    api = client.post("/api/cases/default/uploads", files={"file": ("a.csv", data)},
                      data={"profile": "sample-nominals"})
    assert api.status_code == 401 and api.json() == {"detail": "authentication required"}
    page = client.post("/cases/default/upload", files={"file": ("a.csv", data)},
                       data={"profile": "sample-nominals"})
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get("/cases/default/upload").status_code == 303
    assert client.get("/api/cases/default/jobs/x").status_code == 401


def test_an_outsider_is_told_the_case_does_not_exist(client, cases):
    data = nominals('NA-8002,"OUT, Al",03/04/1988,M,,,,')
    token = cases.tokens["outsider"]
    hidden = send(client, "a.csv", data, "sample-nominals", token=token)
    missing = send(client, "a.csv", data, "sample-nominals", case="nosuch", token=token)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == "no case named 'default' that you can access"
    assert missing.json()["detail"] == "no case named 'nosuch' that you can access"
    refusal = audit_events(cases)[-1]
    assert (refusal["user"], refusal["action"], refusal["operation"]) == (
        "outsider", "REFUSED", "ingest")
    login(client, "outsider")
    assert client.get("/cases/default/upload").status_code == 404


def test_a_post_without_csrf_is_refused(client, cases):
    login(client)
    before = comparable(summary(cases, "default"))
    answer = send(client, "a.csv", nominals('NA-8003,"CSRF, Al",03/04/1988,M,,,,'),
                  "sample-nominals")
    assert answer.status_code == 403
    wrong = client.post("/cases/default/upload", files={"file": ("a.csv", b"x")},
                        data={"profile": "sample-nominals"},
                        headers={"X-CSRF-Token": "forged", "Accept": "application/json"})
    assert wrong.status_code == 403
    assert comparable(summary(cases, "default")) == before


def test_an_investigator_cannot_upload(client, cases):
    answer = send(client, "a.csv", nominals('NA-8004,"INV, Al",03/04/1988,M,,,,'),
                  "sample-nominals", token=cases.tokens["ivy"])
    assert answer.status_code == 404
    assert "lacks the permission case.write" in answer.json()["detail"]
    login(client, "ivy")
    assert "Your role cannot load files" in client.get("/cases/default/upload").text


def test_a_job_is_visible_only_to_who_started_it(client, cases):
    data = nominals('NA-8005,"MINE, Al",03/04/1988,M,,,,')
    answer = send(client, "mine.csv", data, "sample-nominals", token=cases.tokens["ana"])
    job_id = answer.json()["id"]
    client.app.state.upload_jobs.wait(job_id)
    url = f"/api/cases/default/jobs/{job_id}"
    other = client.get(url, headers={"Authorization": f"Bearer {cases.tokens['bea']}"})
    assert other.status_code == 404 and other.json() == {"detail": "no such job"}
    outsider = client.get(url, headers={"Authorization": f"Bearer {cases.tokens['outsider']}"})
    assert outsider.status_code == 404
    assert outsider.json()["detail"] == "no case named 'default' that you can access"
    wrong_case = client.get(f"/api/cases/webup/jobs/{job_id}",
                            headers={"Authorization": f"Bearer {cases.tokens['ana']}"})
    assert wrong_case.status_code == 404
    mine = client.get(url, headers={"Authorization": f"Bearer {cases.tokens['ana']}"})
    assert mine.status_code == 200 and mine.json()["file_name"] == "mine.csv"


# ---- several server processes (`lantern serve --workers`) ------------------------------------


def test_a_job_started_by_one_server_process_is_polled_through_another(cases, tmp_path):
    settings = replace(cases.settings, data_dir=str(tmp_path / "data"))
    apps = [create_app(settings, WebConfig()) for _ in range(2)]
    with TestClient(apps[0], base_url="https://testserver", follow_redirects=False) as first, \
            TestClient(apps[1], base_url="https://testserver", follow_redirects=False) as second:
        login(first)
        second.cookies = first.cookies  # one browser; its requests land on either process
        answer = send(first, "shared.csv", nominals('NA-7201,"HOLT, Ray",03/04/1992,M,,,,'),
                      "sample-nominals", csrf=page_csrf(first))
        job_id = answer.json()["id"]
        first.app.state.upload_jobs.wait(job_id)
        polled = second.get(f"/api/cases/default/jobs/{job_id}")
        assert polled.status_code == 200, polled.text
        assert polled.json()["state"] == "done" and polled.json()["rows_loaded"] == 1
        assert "shared.csv: 1 rows loaded" in second.get(f"/cases/default/upload?job={job_id}").text
        other = second.get(f"/api/cases/default/jobs/{job_id}",
                           headers={"Authorization": f"Bearer {cases.tokens['bea']}"})
        assert other.status_code == 404  # another user's job reads like none, on any process


def test_a_job_whose_server_process_died_reads_as_failed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job = Job(new_job_id(), "ana", "default", "big.csv", "sample-nominals", state="running",
              rows_done=5000, pid=dead.pid)
    (tmp_path / f"{job.id}.json").write_text(job.as_json())
    found = JobRegistry(tmp_path).find(job.id, "ana", "default")
    assert found is not None and found.state == "failed" and "stopped before it finished" in found.error
    assert JobRegistry(tmp_path).find("../" + job.id, "ana", "default") is None  # ids only, no paths

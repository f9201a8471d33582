"""`lantern report` and the demo's briefing pack: complete, marked, offline, pseudonymised, audited."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import shutil
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from lantern.cli import app
from lantern.demo import run_demo
from lantern.export.report import SECTIONS
from lantern.export.report.content import MARKING
from lantern.settings import Settings
from lantern.store import Workspace

runner = CliRunner()


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """The demo workspace (run once); it writes the briefing pack to demo/briefing/."""
    out = tmp_path_factory.mktemp("report-demo")
    run_demo(out, Settings(user="lead"))
    return out


@pytest.fixture
def copy_of_demo(demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo workspace (with its keys, and SQLite's -wal/-shm) a test may change."""
    for name in ("lantern.db", "lantern.db-wal", "lantern.db-shm", "lantern.db.keys"):
        if (demo / name).exists():
            (shutil.copytree if (demo / name).is_dir() else shutil.copy2)(demo / name, tmp_path / name)
    return tmp_path


class _Page(HTMLParser):
    """What a test needs of the HTML: headings, asset URLs, visible text; fails on bad nesting."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.text: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._in = "h2"
            self.h2.append("")
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, name, value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in == "h2":
            self.h2[-1] += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _flat(text: str) -> str:
    return " ".join(text.casefold().split())


def _pdf_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def _lantern(ws: Path, *args: str):
    return runner.invoke(app, ["--db", str(ws / "lantern.db"), "--user", "lead", *args])


def test_the_demo_writes_a_complete_self_contained_pack(demo: Path):
    html = (demo / "briefing" / "briefing.html").read_text(encoding="utf-8")
    page = _parse(html)
    headings = [h.strip() for h in page.h2]
    for _, heading in SECTIONS:
        assert heading in headings, f"no section {heading!r} in {headings}"
    # Marked at the top and the bottom of the document, and in every printed page's margins.
    assert html.count(MARKING) >= 3
    assert f'@top-center {{ content: "{MARKING}"' in html and f'@bottom-center {{ content: "{MARKING}"' in html
    # Offline: no asset or link reaches out; every image is embedded PNG data.
    images = [value for tag, _, value in page.urls if tag == "img"]
    assert images
    for tag, attribute, value in page.urls:
        assert not re.match(r"\s*(https?:)?//", value, re.IGNORECASE), (tag, attribute, value)
        assert not value.strip().lower().startswith("file:"), value
    for value in images:
        assert value.startswith("data:image/png;base64,")
        assert base64.b64decode(value.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html, re.IGNORECASE)
    assert "[victim " in html  # victims are there, as pseudonyms


def test_every_pdf_page_is_marked_in_its_header_and_footer(demo: Path):
    pages = _pdf_text(demo / "briefing" / "briefing.pdf")
    assert len(pages) > 1
    for n, text in enumerate(pages, start=1):
        assert text.count(MARKING) >= 2, f"page {n} is not marked top and bottom"
    whole = _flat(" ".join(pages))
    for _, heading in SECTIONS:
        assert _flat(heading) in whole


def _truth(demo: Path, name: str) -> list[dict[str, str]]:
    with (demo / "scenario" / "truth" / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_no_victim_or_child_is_named_in_the_html_or_the_pdf(demo: Path):
    people = {row["person_id"]: row for row in _truth(demo, "people")}
    victims = {row["person_id"] for row in _truth(demo, "victims")}
    children = {p for p, row in people.items() if row["is_child"] == "1"}

    def names(person: str) -> set[str]:
        row = people[person]
        first, last = row["forename"].strip(), row["surname"].strip()
        return {_flat(f"{first} {last}"), _flat(f"{last}, {first}"), _flat(f"{last} {first}")}

    # A child's name that a (non-victim) adult also bears may rightly appear as the adult's.
    adults = set().union(*(names(p) for p in people if p not in children and p not in victims))
    protected = set().union(*(names(p) for p in victims & set(people)))
    protected |= set().union(*(names(p) for p in children & set(people))) - adults
    assert protected
    html = (demo / "briefing" / "briefing.html").read_text(encoding="utf-8")
    texts = {"html": _flat(unescape(" ".join(_parse(html).text))),
             "pdf": _flat(" ".join(_pdf_text(demo / "briefing" / "briefing.pdf")))}
    for where, text in texts.items():
        leaked = sorted(n for n in protected if n in text)
        assert not leaked, f"{where} names {leaked[:5]}"


def test_report_is_audited_as_a_disclosure_to_its_recipient(copy_of_demo: Path):
    out = copy_of_demo / "pack"
    result = _lantern(copy_of_demo, "report", "-o", str(out), "--recipient", "SIO Operation Lamp")
    assert result.exit_code == 0, result.output
    html, pdf = out / "briefing.html", out / "briefing.pdf"
    assert str(html) in result.output and str(pdf) in result.output
    ws = Workspace(str(copy_of_demo / "lantern.db"))
    with ws.reader() as conn:
        seq, event = conn.exec_driver_sql(
            "SELECT seq, event_json FROM audit_events ORDER BY seq DESC LIMIT 1").one()
    ws.dispose()
    event = json.loads(event)
    assert (event["action"], event["operation"], event["recipient"]) == ("DISCLOSE", "report", "SIO Operation Lamp")
    assert event["detail"]["revealed"] is False
    assert event["detail"]["files"] == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (html, pdf)}
    # The pack names the event that released it.
    assert f"audit event #{seq}" in html.read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(".lantern-report-")]


def test_reveal_without_a_reason_is_refused(copy_of_demo: Path):
    out = copy_of_demo / "pack"
    result = _lantern(copy_of_demo, "report", "-o", str(out), "--recipient", "r", "--reveal")
    assert result.exit_code == 1
    assert "--reveal needs --reason" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_file_in_the_way_is_a_clear_error(copy_of_demo: Path):
    target = copy_of_demo / "pack"
    target.write_text("not a folder", encoding="utf-8")
    result = _lantern(copy_of_demo, "report", "-o", str(target), "--recipient", "r")
    assert result.exit_code == 1
    assert "not a folder" in result.output and "Traceback" not in result.output

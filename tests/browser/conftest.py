"""The workbench in a real browser: Debian's Chromium driven by Playwright, against a real
uvicorn server on loopback serving the demo workspace (SQLite, built by `lantern demo`'s code).

Screenshots of each main page are kept as test artefacts in ``artifacts/screenshots/`` (or
``$LANTERN_ARTIFACTS/screenshots``). Chromium comes from Debian (`.ci/run` installs it):
Playwright cannot download its own browser here, so it is launched by path.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lantern.cli import app as cli
from lantern.demo import run_demo
from lantern.settings import Settings

from ..live_server import serving

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("LANTERN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery"
ARTIFACTS = Path(os.environ.get("LANTERN_ARTIFACTS", Path(__file__).parents[2] / "artifacts"))


@dataclass
class Workbench:
    """A running workbench on the demo data, and how to reach it."""

    url: str
    db: str
    key_dir: Path
    demo: Path

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(cli, ["--db", self.db, "--user", "lead", *args])
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.output


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    from lantern.web.app import create_app

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
    out = tmp_path_factory.mktemp("browser") / "demo"
    run_demo(out, Settings(user="lead"), briefing=False)
    db = f"sqlite:///{out / 'lantern.db'}"
    bench = Workbench("", db, out / "lantern.db.keys", out)
    runner = CliRunner()
    for username, roles in (("ana", "analyst"), ("sam", "supervisor")):
        result = runner.invoke(cli, ["--db", db, "--user", "lead", "user", "add", username,
                                     "--roles", roles, "--password-env", "WEB_PW"],
                               env={"WEB_PW": PASSWORD})
        assert result.exit_code == 0, result.output
        bench.cli("case", "grant", "default", username)
    with serving(create_app(Settings(db=db, user="lead"))) as url:
        bench.url = url
        yield bench


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, workbench: Workbench):  # type: ignore[no-untyped-def]
    """A fresh browser context logged in as ana (an analyst on case 'default')."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("console", lambda msg: errors.append(f"{msg.text} ({msg.location.get('url')})")
         if msg.type == "error" else None)
    log_in(p, workbench.url, "ana")
    yield p
    context.close()
    assert not errors, f"the page raised JavaScript errors: {errors}"


def log_in(p, url: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    p.goto(f"{url}/login")
    p.get_by_label("User name").fill(username)
    p.get_by_label("Password").fill(password)
    p.get_by_role("button", name="Log in").click()
    p.wait_for_url(f"{url}/cases")


def screenshot(p, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Keep a full-page picture of what the user sees, as a test artefact."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    p.screenshot(path=str(path), full_page=True, timeout=60_000)  # long pages on a busy machine
    return path

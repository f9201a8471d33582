"""Accessibility basics of every main page, in the real browser: axe-core's rules (labels,
names, contrast, landmarks, ARIA...) with no serious or critical violation, and the login form
usable from the keyboard alone with a focus outline that can be seen.

Each page is checked as ana (an analyst on case 'default') after its scripts have drawn it;
the administrator's page as an administrator. The person shown on the profile and chronology
pages is a key player of the demo's network, asked of the API.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from typer.testing import CliRunner

from lantern.cli import app as cli
from tests.browser.conftest import PASSWORD, Workbench, log_in

CASE = "/cases/default"
# The workbench's pages as an analyst sees them; {person} and {surname} come from the data.
PAGES = {
    "cases": "/cases",
    "dashboard": CASE,
    "risk": f"{CASE}/risk",
    "search": f"{CASE}/search",
    "search-results": f"{CASE}/search?q={{surname}}",
    "profile": f"{CASE}/people/{{person}}",
    "network": f"{CASE}/network",
    "chronology": f"{CASE}/chronology?subject={{person}}",
    "resolution": f"{CASE}/resolution",
    "review": f"{CASE}/review",
    "upload": f"{CASE}/upload",
    "exports": f"{CASE}/exports",
}
BLOCKING = ("serious", "critical")
ADMIN = "a11y-admin"


def blocking_violations(page: Any) -> list[dict[str, Any]]:
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """Each violation with the elements that fail it and axe's own summary of why."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} - {v['helpUrl']}")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def settle(page: Any) -> None:
    """Wait until the page's scripts have finished drawing (the network chart says when)."""
    page.wait_for_load_state("networkidle")
    if page.locator("#network-app").count():
        page.wait_for_selector("#network-app[data-nodes]")


def assert_accessible(page: Any, name: str) -> None:
    settle(page)
    found = blocking_violations(page)
    assert not found, f"{name} ({page.url}): {len(found)} serious or critical axe " \
                      f"violations:\n{describe(found)}"


@pytest.fixture(scope="module")
def subject(workbench: Workbench) -> dict[str, str]:
    """A key player of the demo's network who is neither a victim nor a child (whose names the
    web never shows), and their surname to search for."""
    token = workbench.cli("user", "token", "ana").strip().splitlines()[-1]
    response = httpx.get(f"{workbench.url}/api/cases/default/network/overview",
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)
    response.raise_for_status()
    adult = next(n for n in response.json()["start"]["nodes"] if not (n["victim"] or n["child"]))
    return {"person": adult["id"], "surname": adult["label"].split()[-1]}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_violation(page: Any, workbench: Workbench, subject: dict[str, str],
                                       name: str) -> None:
    response = page.goto(workbench.url + PAGES[name].format(**subject))
    assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
    assert_accessible(page, name)


@pytest.mark.parametrize("error", [False, True], ids=["form", "wrong-password"])
def test_login_page_has_no_serious_violation(browser: Any, workbench: Workbench,
                                             error: bool) -> None:
    context = browser.new_context()
    p = context.new_page()
    p.goto(f"{workbench.url}/login")
    if error:  # the page as it comes back with its alert
        p.get_by_label("User name").fill("ana")
        p.get_by_label("Password").fill("wrong")
        p.get_by_role("button", name="Log in").click()
        p.get_by_role("alert").wait_for()
    assert_accessible(p, "login")
    context.close()


def test_admin_page_has_no_serious_violation(browser: Any, workbench: Workbench) -> None:
    result = CliRunner().invoke(cli, ["--db", workbench.db, "--user", "lead", "user", "add", ADMIN,
                                      "--roles", "administrator", "--password-env", "WEB_PW"],
                                env={"WEB_PW": PASSWORD})
    assert result.exit_code == 0 or "exists" in result.output, result.output
    context = browser.new_context()
    p = context.new_page()
    log_in(p, workbench.url, ADMIN)
    p.goto(f"{workbench.url}/admin/sessions")
    assert_accessible(p, "admin sessions")
    context.close()


# ---- the keyboard ------------------------------------------------------------------------


def focused(page: Any) -> str:
    """The focused element as tag#id, or tag "text" when it has no id."""
    return str(page.evaluate("""() => {
        const el = document.activeElement;
        return el.id ? `${el.tagName.toLowerCase()}#${el.id}`
                     : `${el.tagName.toLowerCase()} "${el.textContent.trim()}"`;
    }"""))


def focus_is_visible(page: Any) -> bool:
    """An outline (or a focus ring drawn as a box shadow) on the focused element."""
    return bool(page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1;
        return outline || style.boxShadow !== "none";
    }"""))


def tab_to(page: Any, target: str, presses: int = 10) -> list[str]:
    """Press Tab until ``target`` has the focus; the elements passed on the way."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if seen[-1] == target:
            return seen
    raise AssertionError(f"Tab never reached {target}: {seen}")


def test_tab_first_reaches_a_skip_link_that_shows_itself(page: Any, workbench: Workbench) -> None:
    page.goto(f"{workbench.url}{CASE}")  # a page with no autofocus: Tab starts at the top
    page.keyboard.press("Tab")
    assert focused(page) == 'a "Skip to content"'
    assert focus_is_visible(page), "no visible focus on the skip link"
    box = page.get_by_role("link", name="Skip to content").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"the skip link is off screen: {box}"
    assert page.locator("main#main").count() == 1, "the skip link leads nowhere"


def test_the_login_form_works_from_the_keyboard(browser: Any, workbench: Workbench) -> None:
    context = browser.new_context()
    p = context.new_page()
    p.goto(f"{workbench.url}/login")
    # From the top of the page (the skip link), not from the field that autofocus chose.
    p.get_by_role("link", name="Skip to content").focus()
    passed = tab_to(p, "input#username")
    assert len(passed) <= 2, f"Tab passes {passed} before the user name"
    assert focus_is_visible(p), "no visible focus on the user name"
    p.keyboard.type("ana")
    p.keyboard.press("Tab")
    assert focused(p) == "input#password"
    assert focus_is_visible(p), "no visible focus on the password"
    p.keyboard.type(PASSWORD)
    p.keyboard.press("Tab")
    assert focused(p) == 'button "Log in"'
    assert focus_is_visible(p), "no visible focus on the button"
    p.keyboard.press("Enter")
    p.wait_for_url(f"{workbench.url}/cases")
    context.close()


def test_the_checker_catches_a_violation(browser: Any) -> None:
    """An image without a text alternative and grey-on-white text: axe must object, or the
    page tests above prove nothing."""
    context = browser.new_context()
    p = context.new_page()
    p.set_content('<html lang="en"><title>t</title><main><img src="data:,">'
                  '<p style="color:#ccc;background:#fff">faint</p></main></html>')
    found = {v["id"] for v in blocking_violations(p)}
    assert {"image-alt", "color-contrast"} <= found, found
    context.close()

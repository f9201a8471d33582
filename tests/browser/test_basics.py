"""The first pages in a real browser: log in, the case list, the dashboard, children at risk."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def test_log_in_open_the_case_and_its_children_at_risk(page, workbench):
    page.get_by_role("link", name="default").click()
    page.wait_for_url(f"{workbench.url}/cases/default")
    assert page.get_by_role("heading", name="Case default").is_visible()
    screenshot(page, "dashboard")
    page.get_by_role("navigation", name="case default").get_by_role(
        "link", name="Children at risk").click()
    page.wait_for_url(f"{workbench.url}/cases/default/risk")
    rows = page.locator("table tbody tr")
    assert rows.count() > 10
    first = rows.first.inner_text()
    assert "+" in first  # a reason with its weight, never a bare score
    screenshot(page, "children-at-risk")


def test_a_wrong_password_says_little(browser, workbench):
    context = browser.new_context()
    p = context.new_page()
    p.goto(f"{workbench.url}/login")
    p.get_by_label("User name").fill("ana")
    p.get_by_label("Password").fill("wrong")
    p.get_by_role("button", name="Log in").click()
    assert p.get_by_role("alert").inner_text() == "wrong username or password"
    context.close()


def test_no_case_data_is_left_in_browser_storage(page, workbench):
    """WS-3: after using the workbench, localStorage, sessionStorage and IndexedDB are empty,
    and the only cookie is the HttpOnly session (scripts cannot read it)."""
    for path in ("/cases/default", "/cases/default/risk"):
        page.goto(f"{workbench.url}{path}")
    stored = page.evaluate("""async () => ({
        local: Object.keys(localStorage), session: Object.keys(sessionStorage),
        databases: indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [],
        cookies: document.cookie})""")
    assert stored == {"local": [], "session": [], "databases": [], "cookies": ""}
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["lantern_session"]
    assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Strict"

"""Search a name and open the person's profile in a real browser."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def test_search_a_name_and_open_the_profile(page, workbench):
    page.goto(f"{workbench.url}/cases/default/search")
    page.get_by_label("Name, phone, vehicle, place or words").fill("Jcak Dixon")  # misspelt
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"{workbench.url}/cases/default/search")
    assert "Dixon" not in page.url and "Jcak" not in page.url  # never in a URL (WS-3)
    assert page.get_by_role("heading", name="Person", exact=False).first.is_visible()
    screenshot(page, "search")
    page.locator("section table tbody tr td a").first.click()
    page.wait_for_url(f"{workbench.url}/cases/default/people/*")
    assert page.get_by_role("heading", name="Names").is_visible()
    assert page.get_by_role("link", name="Show in network").is_visible()
    screenshot(page, "profile")

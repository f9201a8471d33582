"""Resolution review and case review in a real browser: judge a pair, see it leave the queue."""

from __future__ import annotations

from tests.browser.conftest import screenshot


def test_judge_a_pair_different_then_open_the_case_review(page, workbench):
    page.get_by_role("link", name="default").click()
    page.get_by_role("navigation", name="case default").get_by_role(
        "link", name="Resolution review").click()
    page.wait_for_url(f"{workbench.url}/cases/default/resolution")
    first = page.locator("section.pair").first
    title = first.get_by_role("heading", level=2).inner_text()  # "Records A and B: probability p"
    pair = title.split(":")[0]
    assert first.get_by_role("table").first.locator("th", has_text="Source").is_visible()
    first.get_by_label(f"Reason for your judgement on {pair.lower()}").fill(
        "dates of birth 27 years apart")
    first.get_by_role("button", name="Different people").click()
    page.wait_for_url("**/resolution?judged=different*")
    assert "are different" in page.get_by_role("status").inner_text()
    assert page.get_by_role("heading", name=title).count() == 0  # gone from the queue
    screenshot(page, "resolution")

    page.get_by_role("navigation", name="case default").get_by_role("link", name="Case review").click()
    page.wait_for_url(f"{workbench.url}/cases/default/review")
    assert page.get_by_role("heading", name="Consistency across forces").is_visible()
    assert page.locator("img.chart").evaluate("img => img.naturalWidth") > 0  # the chart loaded
    screenshot(page, "case-review")

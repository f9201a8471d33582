"""The network view and its chronology in a real browser, on the demo data: expand a node,
filter by tie type, highlight a path, see a person's events, export ANX."""

from __future__ import annotations

import re

from defusedxml import ElementTree
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, screenshot


def count(page, name: str) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#network-app").get_attribute(f"data-{name}") or 0)


def test_expand_filter_path_chronology_and_export(page, workbench):  # type: ignore[no-untyped-def]
    page.goto(f"{workbench.url}/cases/default/network")
    assert page.get_by_role("heading", name="Network: case default").is_visible()
    page.wait_for_selector("#network-app[data-nodes]")
    start = count(page, "nodes")
    assert start > 0

    # Keyboard: step to a person, press Enter to expand them; their events come in below.
    page.locator("#cy").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    # (Playwright's wait_for_function evaluates a string, which the CSP refuses: expect() instead.)
    expect(page.locator("#network-app")).not_to_have_attribute("data-nodes", str(start), timeout=30_000)
    page.wait_for_selector("#network-app[data-events]")
    chosen = page.evaluate("window.lanternNetwork.nodes(':selected')[0].id()")
    assert chosen in page.locator("#details-list").inner_text()

    # A mouse click on another person expands them too.
    before = count(page, "nodes")
    other, x, y = page.evaluate("""() => {
        const cy = window.lanternNetwork, box = document.getElementById('cy').getBoundingClientRect();
        const other = cy.nodes().filter(n => !n.selected() && n.degree() === 1)[0] || cy.nodes()[1];
        const at = other.renderedPosition();
        return [other.id(), box.left + at.x, box.top + at.y];
    }""")
    page.mouse.click(x, y)
    expect(page.locator("#status")).to_contain_text(f"{other}:", timeout=30_000)
    assert count(page, "nodes") >= before

    # Filter by one tie type: every tie still drawn is of that type.
    types = page.locator('input[name="tie-type"]')
    kept = types.first.get_attribute("value")
    for i in range(1, types.count()):
        types.nth(i).uncheck()
    drawn = page.evaluate("window.lanternNetwork.edges().not('.filtered').map(e => e.data('type'))")
    assert set(drawn) <= {kept}
    for i in range(1, types.count()):
        types.nth(i).check()

    # Highlight a path from the chosen person to someone two ties away (or a neighbour).
    target = page.evaluate(f"""() => {{
        const cy = window.lanternNetwork, me = cy.getElementById('{chosen}');
        const near = me.neighborhood('node');
        const far = near.neighborhood('node').difference(near).difference(me);
        return (far.nonempty() ? far : near)[0].id();
    }}""")
    page.get_by_label("Path from").fill(chosen)
    page.get_by_label("to", exact=True).fill(target)
    page.get_by_role("button", name="Highlight path").click()
    expect(page.locator("#network-app")).to_have_attribute("data-path", re.compile(r"^[1-9]"), timeout=30_000)
    assert "shortest path" in page.locator("#status").inner_text()
    page.locator(".vis-item").first.wait_for()
    screenshot(page, "network")

    # The period on screen in the timeline re-filters the network to the ties active then.
    page.get_by_role("button", name="Show the network in the period on screen").click()
    assert page.locator("#date-from").input_value() and page.locator("#date-to").input_value()
    page.get_by_role("button", name="All dates").click()

    # Export the view as ANX: the password again, a file arrives and is XML.
    page.get_by_label("Your password (to confirm)").fill(PASSWORD)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export ANX").click()
    chart = ElementTree.fromstring(download.value.path().read_bytes())
    assert chart.tag == "Chart" and len(list(chart.iter("Entity"))) == count(page, "visible")

    # The full chronology of the chosen person: a timeline and an accessible table.
    page.get_by_role("link", name="Full chronology").click()
    page.wait_for_url(re.compile(r"/cases/default/chronology\?subject=P\d+$"))
    assert page.locator("h1").inner_text().startswith("Chronology of person")
    assert page.locator("#events tbody tr").count() > 0
    page.locator(".vis-item").first.wait_for()
    screenshot(page, "chronology")

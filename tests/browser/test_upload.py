"""Upload a file with a mapping profile and watch it load; then export a GraphML."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import PASSWORD, screenshot


def test_upload_with_progress_then_export(page, workbench, tmp_path: Path):
    csv = tmp_path / "browser-nominals.csv"
    csv.write_text("NOMINAL_REF,NAME,DOB,SEX,ETHNICITY,MOBILE,ADDRESS,POSTCODE\n"
                   'BR-0001,"LINDEN, Ash",03/04/1990,M,,,,\n'
                   'BR-0002,"LINDEN, Bea",04/05/1991,F,,,,\n', encoding="utf-8")
    page.goto(f"{workbench.url}/cases/default/upload")
    assert page.get_by_role("heading", name="Upload a file: case default").is_visible()
    page.get_by_label("File (CSV, XLSX or JSON lines").set_input_files(str(csv))
    page.get_by_label("Mapping profile").select_option("sample-nominals")
    page.get_by_role("button", name="Upload and load").click()
    status = page.locator("#job-status")
    status.filter(has_text="browser-nominals.csv: 2 rows loaded").wait_for()
    assert page.locator("#ingest-bar").get_attribute("value") == "100"
    assert page.get_by_role("link", name="Open the case dashboard").is_visible()
    screenshot(page, "upload")

    page.get_by_role("navigation", name="case default").get_by_role("link", name="Exports").click()
    page.wait_for_url(f"{workbench.url}/cases/default/exports")
    page.get_by_label("Format").select_option("graphml")
    page.get_by_label("Recipient (who receives the file)").fill("CPS North")
    page.get_by_label("Your password").first.fill(PASSWORD)
    screenshot(page, "exports")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export and download").click()
    download = info.value
    assert download.suggested_filename.startswith("lantern-default-graphml-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert b"<graphml" in saved.read_bytes()

"""Reviewing in a real browser: record a decision in `riskcheck serve`, see it kept by `riskcheck run`.

Runs headless Chromium from the OS packages (see tests/test_browser.py, whose skip rules apply here).
The screenshots land beside the reports' ones for docs/reviewing.md.
"""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from riskcheck.cli import main

from conftest import CASES, served_app, serving
from test_browser import ARGS, CHROMIUM, LAYOUT_PROBLEMS, screenshot, shot_name, sync_playwright



@pytest.fixture
def served(tmp_path, checked_cases):
    root = tmp_path / "cases"
    shutil.copytree(CASES, root)
    app = served_app(root, checked_cases)
    with serving(app) as base:
        yield root, base


def test_a_decision_made_in_the_browser_is_kept_by_the_next_run_and_marked_when_evidence_changes(served, tmp_path):
    root, base = served
    runner = CliRunner()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.goto(base + "/")
        page.click("text=Son of a convicted official")
        page.select_option("select[name=review]", "open")
        page.click("button:has-text('Show')")
        assert "review=open" in page.url
        page.click("td a >> nth=0")
        finding_url = page.url
        screenshot(page, shot_name("served-finding", "-laptop.png"))
        page.check("input[value=dismissed]")
        page.fill("textarea[name=note]", "Namesake: the ministry sent his IIN")
        page.fill("input[name=reviewer]", "Anna Nurlanova")
        page.click("button:has-text('Record the decision')")
        assert page.url.startswith(finding_url)
        assert page.locator(".review.dismissed").inner_text().startswith("DISMISSED") or \
            "dismissed" in page.locator(".review.dismissed").inner_text().lower()
        assert "Namesake: the ministry sent his IIN" in page.content()
        for width, name in ((1280, "laptop"), (390, "phone")):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate(LAYOUT_PROBLEMS) == [], name
            screenshot(page, shot_name("served-finding-reviewed", f"-{name}.png"))
        page.goto(base + "/cases/imanaliev-appointment/")
        problems = page.evaluate(LAYOUT_PROBLEMS)
        assert problems == [], problems
        screenshot(page, shot_name("served-case", "-phone.png"))
        with page.expect_download() as download:
            page.click("text=every finding with its review (XLSX)")
        download.value.save_as(tmp_path / "desk.xlsx")
        sheet = load_workbook(tmp_path / "desk.xlsx").active
        header = [c.value for c in sheet[1]]
        rows = [dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]
        assert [(r["Review"], r["Reviewer"]) for r in rows if r["Review"] != "open"] == [
            ("dismissed", "Anna Nurlanova")]

        out = tmp_path / "reports"
        assert runner.invoke(main, ["run", str(root), "--out", str(out)]).exit_code == 0
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto((out / "imanaliev-appointment" / "report.html").as_uri())
        assert "Namesake: the ministry sent his IIN" in page.locator(".review.dismissed").inner_text()
        page.goto((out / "index.html").as_uri())
        assert "1 dismissed" in page.content()

        # The evidence changes: the father's verdict gains a second source.
        case = root / "imanaliev-appointment"
        with open(case / "sources.yaml", "a", encoding="utf-8") as fh:
            fh.write("- {id: s-court-copy, title: Copy of the verdict (fictional test source), kind: court}\n")
        text = (case / "verdicts.yaml").read_text(encoding="utf-8")
        (case / "verdicts.yaml").write_text(text.replace("sources: [s-imanaliev-article]",
                                                         "sources: [s-imanaliev-article, s-court-copy]", 1),
                                            encoding="utf-8")
        assert runner.invoke(main, ["run", str(root), "--out", str(out)]).exit_code == 0
        page.goto((out / "imanaliev-appointment" / "report.html").as_uri())
        changed = page.locator(".review .changed").inner_text()
        assert "Changed since reviewed" in changed and "sources" in changed
        screenshot(page, shot_name("report-changed-since-reviewed", "-laptop.png"))

        # The desk in each reviewer's language: the longer Kazakh, Uzbek and Portuguese words still fit a phone.
        page.set_viewport_size({"width": 390, "height": 900})
        for lang in ("ru", "kk", "uk", "pt_BR", "uz_Latn"):
            for address in (base + "/", base + "/cases/imanaliev-appointment/", finding_url):
                page.goto(f"{address}?lang={lang}")
                assert page.evaluate("document.documentElement.lang") == lang.replace("_", "-"), address
                assert page.evaluate(LAYOUT_PROBLEMS) == [], (lang, address)
            screenshot(page, shot_name(f"served-finding-{lang}", "-phone.png"))
        browser.close()

"""The pages of a run in each language riskcheck writes, as a reader sees them in Chromium: on a phone (390 px)
and on paper, where the longer words of Kazakh, Ukrainian or Portuguese headings and table labels must still fit.

One browser for the file (test_browser's), over the session's runs in each language (conftest.py's
`language_reports`, each a large case: its index, the longest page, and a person page; the index and names
pages are checked in English by test_browser and for English words by test_english_left). Screenshots land in
build/screenshots/ (or $RISKCHECK_SCREENSHOTS)."""

from __future__ import annotations

import re

import pytest

from test_browser import A4_TEXT_WIDTH, LAYOUT_PROBLEMS, browser, screenshot, shot_name  # noqa: F401 - one Chromium per file

from conftest import LANGUAGE_RUNS


def pages_of(folder, case: str) -> list[str]:
    person = sorted((folder / case / "persons").glob("*.html"))[0].relative_to(folder).as_posix()
    return [f"{case}/report.html", person]  # the longest pages; the index and names pages in English: test_browser


@pytest.mark.parametrize("medium", ["phone", "paper"])
def test_every_language_fits_a_phone_and_paper(language_reports, browser, medium):  # noqa: F811 - the fixture
    problems = {}
    for tag, (case, _) in LANGUAGE_RUNS.items():
        folder, _ = language_reports[tag]
        for path in pages_of(folder, case):
            page = browser.new_page(viewport={"width": 390 if medium == "phone" else A4_TEXT_WIDTH, "height": 900})
            if medium == "paper":
                page.emulate_media(media="print")
            page.goto((folder / path).as_uri())
            assert page.evaluate("document.documentElement.lang") == tag
            # a cell of no width is one the print style leaves out (the data counts, the settings), not a squashed one
            found = [p for p in page.evaluate(LAYOUT_PROBLEMS) if not re.search(r"\((-\d+|0)px\)$", p)]
            if medium == "phone":
                screenshot(page, shot_name(f"{tag}-{path}", "-phone.png"))
            page.close()
            if found:
                problems[f"{tag}/{path}"] = found
    assert problems == {}

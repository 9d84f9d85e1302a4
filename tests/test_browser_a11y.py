"""Pages everyone can read: axe-core finds nothing on any of them, at a laptop's width and a phone's.

axe-core (through axe-playwright-python, which carries its script) runs in headless Chromium with every rule it
enables by default, none turned off, and every violation counts whatever its impact. The pages: the index and
every shipped case's report, the layout for large cases (an index, the names page, a person's page), and the
desk of `riskcheck serve` (its cases, a case, a finding before and after a decision, the pairs to settle, the
rules, a page not found). Skip rules as in tests/test_browser.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskcheck.cli import main

from conftest import CASES, served_app, serving
from test_browser import browser, WIDTHS  # one Chromium per file, as test_browser launches it

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

AXE = axe_playwright.Axe()
LARGE = "fictional-kz-akimat-staff"  # a shipped case with findings about several persons


@pytest.fixture(scope="module")
def large_layout(tmp_path_factory) -> Path:
    """One shipped case in the layout for large cases (an index, a page per person, a names page)."""
    import riskcheck.report.render as render

    root = tmp_path_factory.mktemp("large") / "cases"
    for name in (LARGE, "_registry"):
        shutil.copytree(CASES / name, root / name)
    out = root.parent / "reports"
    threshold, render.MAX_FINDINGS_ON_ONE_PAGE = render.MAX_FINDINGS_ON_ONE_PAGE, 0
    try:
        result = CliRunner().invoke(main, ["run", str(root), "--out", str(out)])
    finally:
        render.MAX_FINDINGS_ON_ONE_PAGE = threshold
    assert result.exit_code == 0, result.output
    return out / LARGE


@pytest.fixture(scope="module")
def desk(tmp_path_factory, checked_cases):
    """`riskcheck serve` over a copy of the shipped cases, on a free local port."""
    root = tmp_path_factory.mktemp("desk") / "cases"
    shutil.copytree(CASES, root)
    with serving(served_app(root, checked_cases)) as base:
        yield base


def violations(page, url: str) -> list[str]:
    """Every axe-core violation on the page at `url`, at both widths, one line per element (five at most a rule)."""
    page.goto(url)
    page.evaluate(AXE.axe_script)  # once a page: the script is large, and each width reruns it where it is
    found = []
    for device in ("laptop", "phone"):
        page.set_viewport_size({"width": WIDTHS[device], "height": 900})
        for v in page.evaluate("axe.run({resultTypes: ['violations']})")["violations"]:
            found += [f"{device}: {v['id']} ({v['impact']}) at {' '.join(n['target'])}: {v['help']}"
                      for n in v["nodes"][:5]]
    return found


def test_axe_finds_nothing_on_the_reports(shipped_reports, large_layout, browser):
    pages = [shipped_reports / "index.html",
             *(shipped_reports / case.name / "report.html" for case in sorted(CASES.iterdir())
               if case.is_dir() and not case.name.startswith("_")),
             large_layout / "report.html", large_layout / "names.html",
             sorted((large_layout / "persons").glob("*.html"))[0]]
    page = browser.new_page()
    found = {str(p.relative_to(p.parents[1])): violations(page, p.as_uri()) for p in pages}
    page.close()
    assert {p: v for p, v in found.items() if v} == {}


def test_axe_finds_nothing_on_the_desk(desk, browser):
    page = browser.new_page()
    case = f"{desk}/cases/imanaliev-appointment/"
    page.goto(case)
    finding = page.locator("td a").first.get_attribute("href")
    urls = [f"{desk}/", case, case + finding, case + "rules", f"{desk}/cases/no-such-case/",
            f"{desk}/cases/fictional-names-across-scripts/links"]
    found = {url: violations(page, url) for url in urls}
    assert page.locator("section.pair").count() > 0  # the pairs page has pairs, forms and all
    # The finding once reviewed: the decision, its history and the form again.
    page.goto(case + finding)
    for decision, note in (("unsure", "Asked the court for the verdict"), ("confirmed", "The court's copy names him")):
        page.check(f"input[value={decision}]")
        page.fill("textarea[name=note]", note)
        page.fill("input[name=reviewer]", "Anna Nurlanova")
        page.click("button[type=submit]")
    assert re.search("Earlier decisions", page.content())
    found["the finding, reviewed twice"] = violations(page, page.url)
    found["the case, one finding reviewed"] = violations(page, case)
    page.close()
    assert {p: v for p, v in found.items() if v} == {}

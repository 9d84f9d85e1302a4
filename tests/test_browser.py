"""The reports as a reader sees them: Chromium at laptop and phone widths, and printed to PDF.

Chromium comes from the OS packages (`apt-get install chromium`); Playwright drives it through
`executable_path`, since its own browser download cannot reach the network. `.ci/run` installs it
and sets RISKCHECK_BROWSER_TESTS=required, so in CI these tests run or fail, never skip. Screenshots
and PDFs are written to build/screenshots/ (or $RISKCHECK_SCREENSHOTS) for people to look at;
RISKCHECK_SCREENSHOTS=off takes no pictures and checks the same (CI sets it: there no one looks at them, and
taking them was most of the browser tests' time).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskcheck.cli import main

from conftest import CASES, REPO, RULES

CHROMIUM = os.environ.get("RISKCHECK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("RISKCHECK_BROWSER_TESTS") == "required"
SHOTS_WANTED = os.environ.get("RISKCHECK_SCREENSHOTS") != "off"
# With pictures off, the PDFs the print checks make anyway go to a scratch folder, removed at the end.
SHOTS = (Path(os.environ.get("RISKCHECK_SCREENSHOTS") or REPO / "build" / "screenshots") if SHOTS_WANTED
         else Path(tempfile.mkdtemp(prefix="riskcheck-prints-")))
if not SHOTS_WANTED:
    atexit.register(shutil.rmtree, SHOTS, True)
# Flags for a closed network: without the background-networking ones Chromium keeps trying to reach Google.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WIDTHS = {"laptop": 1280, "phone": 390, "small-phone": 360}
# Sheets of print at most: two for the frame (header, data, sources, rules), three a finding, one for every ten
# rows of a table or list outside the findings. A finding card splits between its steps, so none pushes a
# half-empty sheet ahead of it.
SHEETS_FRAME, SHEETS_PER_FINDING, ROWS_PER_SHEET = 2, 3, 10
A4_TEXT_WIDTH = 680  # px: 210 mm less two 15 mm margins, at 96 px to the inch
ROWS = "() => [...document.querySelectorAll('tr, li')].filter(e => !e.closest('.finding')).length"

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

if not (CHROMIUM and sync_playwright):
    if REQUIRED:
        raise RuntimeError("browser tests are required here, but Chromium or Playwright is missing "
                           "(apt-get install chromium; pip install -e '.[test]')")
    pytest.skip("Chromium from the OS packages is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory, shipped_reports) -> Path:
    """The shipped cases and a synthetic registry, as `riskcheck run` writes them."""
    import riskcheck.report.render as render

    out = tmp_path_factory.mktemp("browser") / "reports"
    shutil.copytree(shipped_reports, out)  # `riskcheck run cases/`, each case by its pack
    runner = CliRunner()
    synth = out.parent / "national"
    assert runner.invoke(main, ["synth", str(synth), "--persons", "30000", "--seed", "3"]).exit_code == 0
    # The layout for large cases (an index, a page per person, a names page) at a threshold this case passes.
    threshold, render.MAX_FINDINGS_ON_ONE_PAGE = render.MAX_FINDINGS_ON_ONE_PAGE, 20
    try:
        assert runner.invoke(main, ["run", str(synth), "--rules", str(RULES), "--out", str(out)]).exit_code == 0
    finally:
        render.MAX_FINDINGS_ON_ONE_PAGE = threshold
    return out


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


def pages_to_check(out: Path) -> list[str]:
    shipped = [f"{case.name}/report.html" for case in sorted(CASES.iterdir())
               if case.is_dir() and not case.name.startswith("_")]
    person = sorted((out / "synthetic" / "persons").glob("*.html"))[0].relative_to(out).as_posix()
    return ["index.html", *shipped, "synthetic/report.html", "synthetic/names.html", person]


# For each element: does it reach past the page's right edge? For each table cell: is it narrower than the
# longest word it holds (so the word breaks letter by letter)? Ids, addresses and other long tokens may wrap.
LAYOUT_PROBLEMS = r"""() => {
  const width = document.documentElement.clientWidth, problems = [];
  if (document.documentElement.scrollWidth > width + 1)
    problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + 'px > ' + width + 'px');
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !el.closest('.table-wrap'))
      problems.push('overflows the page: <' + el.tagName.toLowerCase() + '> ' + (el.textContent || '').trim().slice(0, 40));
  }
  const ctx = document.createElement('canvas').getContext('2d');
  for (const cell of document.querySelectorAll('td, th')) {
    if (cell.offsetParent === null) continue;
    const style = getComputedStyle(cell);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    ctx.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let widest = '';
    while (walker.nextNode()) {
      const parent = walker.currentNode.parentElement;
      if (parent.closest('code, small, .badge, .flag') || parent.offsetParent === null) continue;
      for (const word of walker.currentNode.textContent.split(/\s+/))
        if (word.length <= 24 && !/[\/_@.:-]/.test(word) && ctx.measureText(word).width > ctx.measureText(widest).width)
          widest = word;
    }
    if (widest && ctx.measureText(widest).width > inner + 2)
      problems.push('a cell narrower than the word "' + widest + '" (' + Math.round(inner) + 'px)');
  }
  return problems.slice(0, 10);
}"""


MAX_SHOT_HEIGHT = 12_000  # px: Chromium refuses to capture much taller pages in one image


def screenshot(page, path: Path) -> None:
    """The page from the top, as far as one image can hold (the layout checks cover the whole page); none when
    pictures are off."""
    if not SHOTS_WANTED:
        return
    width = page.viewport_size["width"]
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT)
    for tall in (height, min(height, 4000)):  # headless Chromium now and then refuses a tall capture once
        try:
            page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": width, "height": tall})
            return
        except PlaywrightError as exc:
            failure = exc
    warnings.warn(f"no screenshot of {path.name}: {failure}")  # the picture is for people; the checks ran


def shot_name(page: str, suffix: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / (re.sub(r"[^a-z0-9]+", "-", page.lower()).strip("-") + suffix)


@pytest.mark.parametrize("device", list(WIDTHS))
def test_every_page_fits_the_screen_without_squashed_cells(reports, browser, device):
    problems = {}
    for page_path in pages_to_check(reports):
        page = browser.new_page(viewport={"width": WIDTHS[device], "height": 900})
        page.goto((reports / page_path).as_uri())
        found = page.evaluate(LAYOUT_PROBLEMS)
        screenshot(page, shot_name(page_path, f"-{device}.png"))
        page.close()
        if found:
            problems[page_path] = found
    assert problems == {}


def test_printed_reports_start_at_once_and_stay_short(reports, browser):
    counts = {}
    for page_path in pages_to_check(reports):
        page = browser.new_page(viewport={"width": A4_TEXT_WIDTH, "height": 1000})
        page.goto((reports / page_path).as_uri())
        page.emulate_media(media="print")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= A4_TEXT_WIDTH + 1, f"{page_path}: on paper the text runs {wide}px wide, past the margin"
        # The first finding begins on the first sheet: nothing forces it to a page of its own.
        first = page.evaluate("() => { const f = document.querySelector('.finding, table.findings');"
                              " return f ? f.getBoundingClientRect().top : 0; }")
        assert first < 1000, f"{page_path}: the first finding starts {first:.0f}px down, past the first sheet"
        cards = page.evaluate("() => document.querySelectorAll('.finding').length")
        rows = page.evaluate(ROWS)
        pdf = page.pdf(format="A4", margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"})
        page.close()
        shot_name(page_path, ".pdf").write_bytes(pdf)
        counts[page_path] = (len(re.findall(rb"/Type\s*/Page(?!s)", pdf)), SHEETS_FRAME + SHEETS_PER_FINDING * cards
                                                                             + -(-rows // ROWS_PER_SHEET))
    too_long = {p: n for p, n in counts.items() if not 1 <= n[0] <= n[1]}
    assert too_long == {}, "(sheets printed, most allowed)"
    # The index of the shipped cases: a sheet for every eight cases or so, no more.
    assert counts["index.html"][0] <= 1 + len([p for p in CASES.iterdir() if p.is_dir()]) // 8


def test_a_phone_reader_sees_each_case_as_a_labelled_card(reports, browser):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto((reports / "index.html").as_uri())
    label = page.evaluate("() => getComputedStyle(document.querySelector('table.cases td[data-label]'), '::before')"
                          ".content")
    header_shown = page.evaluate("() => getComputedStyle(document.querySelector('table.cases tr')).display")
    page.close()
    assert label == '"Case: "' and header_shown == "none"

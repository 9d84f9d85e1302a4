"""Every finding's drawing as a reader sees it in Chromium: there, described in words, fitting a phone, on paper.

One browser for the file, over the shipped reports of the session (`shipped_reports`). Screenshots of each
report's drawings at 1280 and 390 px, and a printed page, land in build/screenshots/ (or $RISKCHECK_SCREENSHOTS).
"""

from __future__ import annotations

import pytest

from test_browser import browser, SHOTS, SHOTS_WANTED  # its one Chromium per file; skips this file as test_browser skips itself

from conftest import CASES

SHIPPED = [c.name for c in sorted(CASES.iterdir()) if c.is_dir() and not c.name.startswith("_")]

# For each finding card: its drawing's name and words, and what of it would not fit (in viewBox units).
DRAWINGS = """() => [...document.querySelectorAll('article.finding')].map(card => {
  const svg = card.querySelector('figure.drawing svg[role="img"]');
  if (!svg) return {id: card.id, svg: false};
  const said = (svg.getAttribute('aria-labelledby') || '').split(' ').map(id => document.getElementById(id));
  const box = svg.viewBox.baseVal;
  const rects = [...svg.querySelectorAll(':scope > rect')].map(r => r.getBBox());
  const outside = [...svg.querySelectorAll('text')].filter(t => {
    const b = t.getBBox();
    if (b.x < 0 || b.x + b.width > box.width + 0.5) return true;
    const home = rects.filter(r => b.x >= r.x && b.x <= r.x + r.width && b.y + b.height / 2 >= r.y
                                   && b.y + b.height / 2 <= r.y + r.height)
                      .sort((p, q) => p.width * p.height - q.width * q.height)[0];
    return home ? b.x + b.width > home.x + home.width + 0.5 : false;
  }).map(t => t.textContent);
  return {id: card.id, svg: true, named: said.length === 2 && said.every(e => e && e.textContent.trim().length > 20),
          title: said[0] && said[0].tagName, desc: said[1] && said[1].tagName, outside,
          px: svg.getBoundingClientRect().width / box.width * 13, right: svg.getBoundingClientRect().right};
})"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_finding_shows_its_drawing_with_its_words_and_it_fits(shipped_reports, browser, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems, drawn = {}, 0
    page = browser.new_page(viewport={"width": width, "height": 900})
    for case in SHIPPED:
        page.goto((shipped_reports / case / "report.html").as_uri())
        for n, card in enumerate(page.evaluate(DRAWINGS)):
            wrong = []
            if not card["svg"]:
                wrong.append("no drawing")
            else:
                drawn += 1
                if not (card["named"] and card["title"] == "title" and card["desc"] == "desc"):
                    wrong.append("no title and desc in words")
                if card["outside"]:
                    wrong.append(f"text past its box or the drawing: {card['outside']}")
                if card["px"] < 12:
                    wrong.append(f"text drawn at {card['px']:.1f} px")
                if card["right"] > width:
                    wrong.append("past the screen's right edge")
            if wrong:
                problems[f"{case}#{card['id']}"] = wrong
        for n, figure in enumerate(page.query_selector_all("figure.drawing") if SHOTS_WANTED else []):
            figure.screenshot(path=str(SHOTS / f"drawing-{case}-{n}-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{case} scrolls sideways"
    page.close()
    assert problems == {}
    assert drawn >= 25  # every finding of the shipped cases, person and unit


def test_a_drawing_prints_whole_in_black_and_white(shipped_reports, browser):
    page = browser.new_page(viewport={"width": 680, "height": 1000})
    page.goto((shipped_reports / "fictional-ministry-family" / "report.html").as_uri())
    page.emulate_media(media="print")
    sizes = page.evaluate("() => [...document.querySelectorAll('svg.drawing')].map(s => "
                          "[s.getBoundingClientRect().width, s.getBoundingClientRect().height])")
    assert sizes and all(w > 200 and h > 60 for w, h in sizes)  # drawn at a readable size on paper, not hidden
    colours = page.evaluate("() => [...new Set([...document.querySelectorAll('svg.drawing *')].flatMap(e => "
                            "[e.getAttribute('stroke'), e.getAttribute('fill')]).filter(Boolean))]")
    assert set(colours) <= {"#1d1d1f", "#5f6368", "#3c4043", "#fff", "#f3f4f6", "#eceef1", "none"}  # greys only
    (SHOTS / "drawings-fictional-ministry-family.pdf").write_bytes(page.pdf(format="A4"))
    page.close()

"""Settling possible relatives and same persons in a real browser; the next `riskcheck run` uses the word.

Runs headless Chromium from the OS packages (see tests/test_browser.py, whose skip rules apply here)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from riskcheck.cli import main
from riskcheck.review.events import reviews_path
from riskcheck.rules.loader import load_rules
from riskcheck.serve.app import make_app
from riskcheck.pipeline import check_cases

from conftest import RULES, serving
from test_browser import ARGS, CHROMIUM, LAYOUT_PROBLEMS, sync_playwright
from test_review_links import CASE, RULE

# Two namesakes of one court register born the same day: riskcheck will not merge them, a reviewer may.
TWINS = """\
  - {id: p-a, name: Akhmetov Serik, birth_date: 1970-03-08, gender: m, sources: [s-court]}
  - {id: p-b, name: Akhmetov Serik Bolatovich, birth_date: 1970-03-08, gender: m, sources: [s-court]}
"""


@pytest.fixture
def served(write_case):
    root = write_case("hint", {"case.yaml": CASE.replace("verdicts:\n", TWINS + "verdicts:\n")})
    rules = load_rules(RULES)
    app = make_app(check_cases(root, rules, None), reviews_path(root), {r.id: r.rule for r in rules})
    with serving(app) as base:
        yield root, base


def test_a_hint_confirmed_and_a_pair_told_apart_in_the_browser_are_used_by_the_next_run(served, tmp_path):
    root, base = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        page.click("text=2 hints to check")
        assert page.url.endswith("/cases/hint/links")
        hint = page.locator("section.pair", has_text="the parent of Arman Serikovich Zhaksybekov")
        assert hint.locator("select[name=relation]").input_value() == "parent"  # prefilled from the hint
        assert "not related" in hint.inner_text() and "unsure" in hint.inner_text()
        hint.locator("input[value=relatives]").check()
        hint.locator("textarea[name=note]").fill("Birth record seen at the registry office")
        hint.locator("input[name=reviewer]").fill("Anna Nurlanova")
        hint.locator("button:has-text('Record')").click()
        assert "The next run of riskcheck uses it" in page.content()
        hint = page.locator("section.pair", has_text="the parent of Arman Serikovich Zhaksybekov")
        assert "parent by anna nurlanova" in hint.inner_text().lower()  # badges are shown in capitals
        pair = page.locator("section.pair", has_text="one person?")
        assert "same person" in pair.inner_text() and "not the same" in pair.inner_text()
        pair.locator("input[value=not_same_as]").check()
        assert pair.locator("input[name=reviewer]").input_value() == "Anna Nurlanova"  # remembered
        pair.locator("button:has-text('Record')").click()
        pair = page.locator("section.pair", has_text="one person?")
        assert "not the same person by anna nurlanova" in pair.inner_text().lower()
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate(LAYOUT_PROBLEMS) == [], width
        page.goto(base + "/")
        assert "0 hints to check" in page.content()
        browser.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "hint" / "findings.json").read_text())
    [finding] = [f for f in doc["findings"] if f["rule"] == RULE and f["status"] == "flagged"]
    assert "Anna Nurlanova" in json.dumps(finding, ensure_ascii=False)
    listed = CliRunner().invoke(main, ["reviews", "list", str(root)]).output
    assert "not_same_as" in listed and "link:p-a|p-b" in listed

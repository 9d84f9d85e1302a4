"""The report on paper: the Imanaliev case on at most four US Letter sheets, reviewed or not, its findings from the
first sheet, and on paper only what a reader of paper needs (no settings tables, no rule authors' detail, no
buttons), with the web address of every source spelled out.

Chromium prints as a reader's browser would (`page.pdf`, the report's own @page margins); pypdf reads the sheets
back. Skip rules as in tests/test_browser.py; the PDFs land beside its screenshots for people to look at.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskcheck.cli import main

from conftest import CASES
from test_browser import browser, shot_name  # one Chromium per file, as test_browser launches it

pypdf = pytest.importorskip("pypdf")

CASE = "imanaliev-appointment"
MOST_SHEETS = 4


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory) -> Path:
    """The Imanaliev report once its two findings carry reviews: each decided twice, so each has a history."""
    root = tmp_path_factory.mktemp("reviewed") / "cases"
    for name in (CASE, "_registry"):
        shutil.copytree(CASES / name, root / name)
    out, runner = root.parent / "reports", CliRunner()
    assert runner.invoke(main, ["run", str(root), "--out", str(out)]).exit_code == 0
    findings = json.loads((out / CASE / "findings.json").read_text(encoding="utf-8"))["findings"]
    for f in findings:
        for decision, reviewer, note in (
                ("unsure", "Anna Nurlanova", "Asked the court for a copy of the verdict; waiting for it"),
                ("confirmed", "Dana Seitkali", "The court's copy of the verdict names the father; the ministry "
                                               "confirmed the date of the appointment by letter")):
            result = runner.invoke(main, ["reviews", "decide", str(root), f["id"], "--decision", decision,
                                          "--reviewer", reviewer, "--note", note, "--reports", str(out)])
            assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["run", str(root), "--out", str(out)]).exit_code == 0
    return out / CASE / "report.html"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def printed(browser, report: Path, name: str, paper: str = "Letter") -> tuple[list[str], dict]:
    """The text of each printed sheet, and what the page shows on screen that paper must or must not carry."""
    page = browser.new_page()
    page.goto(report.as_uri())
    on_screen = page.evaluate("""() => ({
      settings: [...document.querySelectorAll('table.params td:first-child')].map(td => td.textContent),
      formulas: [...document.querySelectorAll('details.formula code')].map(c => c.textContent),
      addresses: [...document.querySelectorAll('ol.sources a[href^="http"]')].map(a => a.getAttribute('href')),
      first_finding: document.querySelector('.finding .summary').textContent,
      quiet_rules: [...document.querySelectorAll('.rule.no-finding h3')].map(h => h.firstChild.textContent)})""")
    pdf = page.pdf(format=paper)
    page.close()
    shot_name(name, f"-{paper}.pdf").write_bytes(pdf)
    return [flat(sheet.extract_text()) for sheet in pypdf.PdfReader(io.BytesIO(pdf)).pages], on_screen


@pytest.mark.parametrize("reviews", ["without reviews", "with reviews"])
def test_the_imanaliev_report_prints_on_four_letter_sheets_findings_first(browser, shipped_reports, reviewed, reviews):
    report = reviewed if reviews == "with reviews" else shipped_reports / CASE / "report.html"
    sheets, screen = printed(browser, report, f"{CASE} {reviews}")
    assert len(sheets) <= MOST_SHEETS, f"{len(sheets)} Letter sheets {reviews}"
    assert flat(screen["first_finding"]) in sheets[0]  # the first finding's headline is on the first sheet
    paper = " ".join(sheets)
    assert screen["settings"] and not [s for s in screen["settings"] if flat(s)[:40] in paper]
    assert not [f for f in screen["formulas"] if flat(f) in paper]
    joined = paper.replace(" ", "")  # an address may wrap anywhere on paper
    assert screen["addresses"] and [a for a in screen["addresses"] if a not in joined] == []
    assert screen["quiet_rules"] and all(flat(title) in paper for title in screen["quiet_rules"])
    if reviews == "with reviews":
        assert "Dana Seitkali" in paper and "Earlier decisions" not in paper  # the latest word; nothing to click


def test_on_paper_a_rule_that_found_nothing_is_one_line_and_the_settings_stay_on_screen(browser, shipped_reports):
    seen = {}
    for report in sorted(shipped_reports.glob("*/report.html")):
        page = browser.new_page(viewport={"width": 720, "height": 1000})
        page.goto(report.as_uri())
        for media in ("screen", "print"):
            page.emulate_media(media=media)
            seen[report.parent.name, media] = page.evaluate("""() => {
              const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.checkVisibility()).length;
              const tallest = Math.max(0, ...[...document.querySelectorAll('.rule.no-finding')].map(r =>
                r.getBoundingClientRect().height / parseFloat(getComputedStyle(r.querySelector('p')).lineHeight)));
              return {settings: shown('table.params'), formulas: shown('details.formula'), findings: shown('.finding'),
                      nav: shown('nav, a.skip, footer'), quiet_lines: Math.round(tallest * 10) / 10};
            }""")
        page.close()
    on_paper = {case: s for (case, media), s in seen.items() if media == "print"}
    on_screen = {case: s for (case, media), s in seen.items() if media == "screen"}
    assert sum(s["settings"] for s in on_screen.values()) > 0 and sum(s["formulas"] for s in on_screen.values()) > 0
    assert {c: s for c, s in on_paper.items() if s["settings"] or s["formulas"] or s["nav"]} == {}
    assert {c: s["findings"] for c, s in on_paper.items()} == {c: s["findings"] for c, s in on_screen.items()}
    assert {c: s["quiet_lines"] for c, s in on_paper.items() if s["quiet_lines"] > 1.5} == {}

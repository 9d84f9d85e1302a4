"""No machine words in a reader's flow: every shipped report, the index and the desk's pages are scanned for
what a journalist should never have to decode - raw date notation (`2021-10-15/2025-10-15`, `..`), record
ids, `snake_case` field names, `True`/`False`, rule versions and finding ids outside small print. Only the
collapsed detail for rule authors (`<details class="formula">`) may hold them; an ellipsis or a web address
in a name or a title must not trip the scan."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from conftest import CASES, served_app

AUTHORS_DETAIL = "formula"  # the class of the <details> that holds what rule authors read
URL = re.compile(r"https?://\S+")
RAW_DATE = re.compile(r"\d{4}(?:-\d{2}){0,2}\s*/\s*(?:\d{4}|\.\.)|(?<![.\w])\.\.\s*/\s*\d{4}|(?<![.\w])\.\.(?![.\w])"
                      r"|\b\d{4}-\d{2}-\d{2}\b")
SNAKE = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
FIELD = re.compile(r"(?<![\w.-])(?:organization|position|person|tenure|relation|verdict|membership|program|resignation|"
                   r"source)\.[a-z][a-z0-9_]*(?![\w-])")
BOOLEAN = re.compile(r"\b(?:True|False)\b")
VERSION = re.compile(r"(?<![\w.])v\d+\.\d+\b")
FINDING_ID = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[0-9a-f]{12}\b")


def record_ids(cases: Path = CASES) -> set[str]:
    """The ids of the shipped cases' persons, organizations and posts, from their CSV and YAML files."""
    kinds = ("persons", "organizations", "positions")
    ids: set[str] = set()
    for path in cases.rglob("*.csv"):
        if path.stem in kinds:
            with path.open(encoding="utf-8", newline="") as f:
                ids.update(row["id"] for row in csv.DictReader(f))
    for path in cases.rglob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        tables = data.items() if isinstance(data, dict) else [(path.stem, data)]
        for kind, rows in tables:
            if kind in kinds and isinstance(rows, list):
                ids.update(r["id"] for r in rows if isinstance(r, dict) and r.get("id"))
    return ids


class _Reader(HTMLParser):
    """The text nodes a reader sees, each with whether it stands in small print; the rule authors' detail,
    styles, scripts and the page's <title> left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[str, bool]] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden from the reader's flow)
        self.small = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "hr", "img", "input", "meta", "link", "col", "wbr", "source"):
            return
        hidden = tag in ("style", "script", "title") or (
            tag == "details" and AUTHORS_DETAIL in (dict(attrs).get("class") or "").split())
        self.stack.append((tag, hidden))
        self.small += tag == "small"

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            self.small -= open_tag == "small"
            if open_tag == tag:
                break

    def handle_data(self, data):
        if data.strip() and not any(hidden for _, hidden in self.stack):
            self.texts.append((data, self.small > 0))


def machine_words(html: str, ids: set[str]) -> list[str]:
    """What a reader would have to decode in the page, each as 'kind: the text around it'."""
    reader = _Reader()
    reader.feed(html)
    id_pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                            + r")(?![\w-])") if ids else None
    found = []
    for text, small in reader.texts:
        text = URL.sub(" ", text)
        checks = [("raw date", RAW_DATE), ("field name", SNAKE), ("field name", FIELD), ("True/False", BOOLEAN)]
        if not small:
            checks += [("version", VERSION), ("finding id", FINDING_ID)]
            if id_pattern is not None:
                checks.append(("record id", id_pattern))
        for kind, pattern in checks:
            for m in pattern.finditer(text):
                found.append(f"{kind}: {m.group(0)!r} in {text.strip()[:160]!r}")
    return found


def test_the_scan_is_precise():
    ids = {"p-akim", "o-dept"}
    clean = ('<p>Aigerim ... Serikovna, see https://example.org/2021/2024/p-akim?a_b=1 . Appointed some day in '
             '2021 <small class="id">rule x v1.0, finding x-0123456789ab, record p-akim</small></p>'
             '<details class="formula"><summary>x</summary><code>coalesce(a.start_date, ..) True</code></details>')
    assert machine_words(clean, ids) == []
    dirty = ("<p>from '2021-10-15/2025-10-15', '..', '../2021'; p-akim; organization.region; True; "
             "rule x v1.1, finding x-0123456789ab</p>")
    kinds = [w.split(":")[0] for w in machine_words(dirty, ids)]
    assert kinds.count("raw date") == 3 and {"record id", "field name", "True/False", "version", "finding id"} <= set(kinds)


@pytest.fixture(scope="module")
def ids() -> set[str]:
    return record_ids()


def test_no_report_or_index_shows_machine_words(shipped_reports, ids):
    pages = [shipped_reports / "index.html", *sorted(shipped_reports.glob("*/*.html")),
             *sorted(shipped_reports.glob("*/*/*.html"))]
    found = {str(p.relative_to(shipped_reports)): words for p in pages
             if (words := machine_words(p.read_text(encoding="utf-8"), ids))}
    assert not found, "\n".join(f"{page}: {w}" for page, words in found.items() for w in words[:8])


def test_no_desk_page_shows_machine_words(tmp_path, checked_cases, ids):
    import shutil

    root = tmp_path / "cases"
    shutil.copytree(CASES, root)
    client = TestClient(served_app(root, checked_cases), base_url="http://127.0.0.1")
    views, _ = checked_cases
    paths = ["/"]
    for case, view in sorted(views.items()):
        paths += [f"/cases/{case}/", f"/cases/{case}/rules", f"/cases/{case}/links"]
        paths += [f"/cases/{case}/findings/{f.id}" for f in view.result.findings]
    found = {}
    for path in paths:
        page = client.get(path)
        if page.status_code == 200 and (words := machine_words(page.text, ids)):
            found[path] = words
    assert not found, "\n".join(f"{path}: {w}" for path, words in found.items() for w in words[:8])

"""Issue 27's "done when", as a reader sees it: the Imanaliev report in Russian and Kazakh, the Ukrainian example in
Ukrainian and the Brazilian one in Portuguese fit a 390 px phone with no text cut off (Kazakh words are long), print
on about as many sheets as in English, and show no English but what the case's own data holds.

"English" is any word of riskcheck's own English (its catalog's msgids, its templates, the English texts of its
rules): every English word a report can show comes from one of them, and a word list of the whole language would
also flag the data's names. A word the case's data holds (a name, a title, an offence, a quote, a source's title)
stays as recorded and is not counted. In Portuguese a word riskcheck's own Portuguese also uses (its catalog, its
rules' Portuguese texts) is Portuguese as well ("total", "local", "federal"). Skip rules as in tests/test_browser.py;
screenshots and PDFs land beside its own (build/screenshots/), named by language, for people to look at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from riskcheck.cli import main

from conftest import CASES, REPO
from test_browser import browser, shot_name  # noqa: F401 - one Chromium per file, as test_browser launches it

yaml = pytest.importorskip("yaml")

# The case each language's newsroom reads (issue 27), by the language riskcheck is told to write.
LANG_CASES = {"ru": "imanaliev-appointment", "kk": "imanaliev-appointment", "uk": "fictional-ua-close-persons",
              "pt": "fictional-br-cross-appointments"}
PHONE = 390
WORD = re.compile(r"[A-Za-z]{3,}")
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")


def words_of(text: str) -> set[str]:
    """The Latin-letter words of a text, lower-cased; web addresses and code-like tokens (ids, file names) aside."""
    text = re.sub(r"https?://\S+|\S+[./_@]\S+", " ", text)
    return {w.lower() for w in WORD.findall(text)}


def strings_in(value) -> list[str]:
    """Every string in a YAML document, keys and values."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [str(value)] if value is not None else []


def case_words(case: Path) -> set[str]:
    """The words of everything the case holds (its YAML and CSV files, and the shared registry it may read)."""
    found: set[str] = set()
    for folder in (case, CASES / "_registry"):
        for file in sorted(folder.rglob("*")):
            if file.suffix in (".yaml", ".yml"):
                found |= words_of(" ".join(strings_in(yaml.safe_load(file.read_text(encoding="utf-8")))))
            elif file.suffix == ".csv":
                found |= words_of(file.read_text(encoding="utf-8"))
    return found


def rule_english(doc: dict) -> list[str]:
    """The English texts of a rule file: everything but its translations and tests."""
    return strings_in({k: v for k, v in doc.items() if k not in ("translations", "tests")})


def rule_translations(doc: dict, lang: str) -> list[str]:
    return strings_in({k: v for k, v in (doc.get("translations") or {}).items() if k.split("_")[0] == lang})


def catalog_texts(pofile: Path, field: str) -> list[str]:
    """The msgids or msgstrs of a gettext catalog, read plainly (continuation lines included)."""
    out, current = [], None
    for line in pofile.read_text(encoding="utf-8").splitlines():
        if line.startswith(("msgid", "msgstr")):
            current = line.split(" ", 1)[0].startswith(field)
            line = line.split(" ", 1)[1] if " " in line else ""
        elif not line.startswith('"'):
            current = None
        if current and line.startswith('"'):
            out.append(line.strip('"'))
    return out


def english_vocabulary() -> set[str]:
    locale, rules = REPO / "riskcheck" / "locale", sorted((REPO / "rules").rglob("*.yaml"))
    texts = catalog_texts(locale / "riskcheck.pot", "msgid")
    texts += [re.sub(r"{[{%#].*?[}%#]}", " ", f.read_text(encoding="utf-8"))
              for f in sorted((REPO / "riskcheck" / "report" / "templates").glob("*.html"))]
    for f in rules:
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "id" in doc:
            texts += rule_english(doc)
    return words_of(" ".join(texts))


def own_words(lang: str) -> set[str]:
    """The words riskcheck itself writes in `lang` (its catalog and its rules' texts in it)."""
    catalogs = sorted((REPO / "riskcheck" / "locale").glob(f"{lang}*/LC_MESSAGES/riskcheck.po"))
    texts = [t for po in catalogs for t in catalog_texts(po, "msgstr")]
    for f in sorted((REPO / "rules").rglob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "id" in doc:
            texts += rule_translations(doc, lang)
    return words_of(" ".join(re.sub(r"%\(\w+\)s|{[{%].*?[}%]}", " ", t) for t in texts))


ENGLISH = english_vocabulary()


def english_left(text: str, lang: str, case: Path) -> set[str]:
    """The English words of a page's visible text that the case's data does not hold."""
    left = (words_of(text) & ENGLISH) - case_words(case)
    return left - own_words(lang) if lang == "pt" else left


@pytest.fixture(scope="module")
def language_reports(tmp_path_factory, shipped_reports) -> Path:
    """The three cases written in each language (`riskcheck run --lang`), and the Imanaliev case once more in
    Russian and Kazakh as a large case is written (a page per person, a names page), beside the English of the
    session's reports."""
    import riskcheck.report.render as render

    root = tmp_path_factory.mktemp("languages")
    cases = root / "cases"
    for name in {*LANG_CASES.values(), "_registry"}:
        shutil.copytree(CASES / name, cases / name)
    runner = CliRunner()
    for lang in sorted(set(LANG_CASES)):
        result = runner.invoke(main, ["run", str(cases), "--lang", lang, "--out", str(root / lang), "--no-cache"])
        assert result.exit_code == 0, result.output
    threshold, render.MAX_FINDINGS_ON_ONE_PAGE = render.MAX_FINDINGS_ON_ONE_PAGE, 0
    try:
        for lang in ("ru", "kk"):
            result = runner.invoke(main, ["run", str(cases / LANG_CASES[lang]), "--lang", lang,
                                          "--out", str(root / f"{lang}-large"), "--no-cache"])
            assert result.exit_code == 0, result.output
    finally:
        render.MAX_FINDINGS_ON_ONE_PAGE = threshold
    shutil.copytree(shipped_reports, root / "en")
    return root


# What a phone cuts off: the page scrolling sideways, and any badge, heading, label or button whose text is wider
# than its box (a long word that neither wraps nor fits).
CLIPPED = r"""() => {
  const problems = [];
  if (document.documentElement.scrollWidth > window.innerWidth)
    problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + 'px');
  for (const el of document.querySelectorAll('h1, h2, h3, h4, .badge, .flag, .status, th, dt, label, button, summary')) {
    if (el.offsetParent === null) continue;
    if (el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > window.innerWidth + 1)
      problems.push('<' + el.tagName.toLowerCase() + ' class="' + el.className + '"> ' + el.innerText.trim().slice(0, 50));
  }
  return problems.slice(0, 10);
}"""


@pytest.mark.parametrize("lang", list(LANG_CASES))
def test_the_report_fits_a_phone_with_no_word_cut_off(language_reports, browser, lang):  # noqa: F811
    page = browser.new_page(viewport={"width": PHONE, "height": 900})
    page.goto((language_reports / lang / LANG_CASES[lang] / "report.html").as_uri())
    assert page.evaluate("document.documentElement.lang").replace("-", "_").startswith(lang)
    problems = page.evaluate(CLIPPED)
    page.screenshot(path=shot_name(f"{lang}-{LANG_CASES[lang]}", "-phone.png"), full_page=True)
    page.close()
    assert problems == []


def printed_sheets(browser, file: Path) -> tuple[int, bytes]:  # noqa: F811
    page = browser.new_page()
    page.goto(file.as_uri())
    pdf = page.pdf(format="A4")
    page.close()
    return len(PDF_PAGE.findall(pdf)), pdf


@pytest.mark.parametrize("lang", list(LANG_CASES))
def test_the_printed_report_runs_about_as_long_as_the_english(language_reports, browser, lang):  # noqa: F811
    english, _ = printed_sheets(browser, language_reports / "en" / LANG_CASES[lang] / "report.html")
    sheets, pdf = printed_sheets(browser, language_reports / lang / LANG_CASES[lang] / "report.html")
    shot_name(f"{lang}-{LANG_CASES[lang]}", ".pdf").write_bytes(pdf)
    assert abs(sheets - english) <= 1, f"{sheets} sheets in {lang}, {english} in English"


# The page's visible text but what it marks as English (lang="en"): a rule's text its file does not translate,
# shown with "(in English)", as issue 27 asks, and the English rendering beside a quoted statute.
VISIBLE_NOT_MARKED_ENGLISH = """() => {
  for (const el of document.body.querySelectorAll('[lang="en"]')) el.style.display = 'none';
  return document.body.innerText;
}"""


def visible_text(browser, file: Path) -> str:  # noqa: F811
    page = browser.new_page(viewport={"width": PHONE, "height": 900})
    page.goto(file.as_uri())
    text = page.evaluate(VISIBLE_NOT_MARKED_ENGLISH)
    page.close()
    return text


# Still English on main in every language: the settings' values (report/setting_words.py), the record types of the
# data counts (_data_counts.html), the note of the packs applied (rules/jurisdictions.py) and the relation statuses
# named in the rules' texts (reported, confirmed).
PENDING_WORDS = ("pending translation of the settings' values, the record types, the packs-applied note and the relation "
                 "statuses")


@pytest.mark.xfail(strict=True, reason=PENDING_WORDS)
@pytest.mark.parametrize("lang", list(LANG_CASES))
def test_the_report_shows_no_english_but_the_data(language_reports, browser, lang):  # noqa: F811
    text = visible_text(browser, language_reports / lang / LANG_CASES[lang] / "report.html")
    assert sorted(english_left(text, lang, CASES / LANG_CASES[lang])) == []


# The pages of a large case and the index, which other work translates: each mark goes once its page is.
PENDING = {"person": "pending translation of person.html", "names": "pending translation of names.html",
           "index": "pending translation of index.html"}


def large_case_page(root: Path, lang: str, page: str) -> Path:
    folder = root / f"{lang}-large" / LANG_CASES[lang]
    if page == "person":
        return sorted((folder / "persons").glob("*.html"))[0]
    return folder / "names.html" if page == "names" else root / lang / "index.html"


@pytest.mark.parametrize("page", [pytest.param(p, marks=pytest.mark.xfail(strict=True, reason=why))
                                  for p, why in PENDING.items()])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_other_pages_show_no_english_but_the_data(language_reports, browser, lang, page):  # noqa: F811
    text = visible_text(browser, large_case_page(language_reports, lang, page))
    assert sorted(english_left(text, lang, CASES / LANG_CASES[lang])) == []

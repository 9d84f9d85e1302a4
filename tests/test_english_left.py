"""Issue 27's "no English left but what the data itself holds": the visible words of every page a run writes in
Russian, Kazakh, Ukrainian, Portuguese and Uzbek (conftest.py's `language_reports`: the index, a large case's
index, its names page and a person page), scanned for riskcheck's own English.

"English" is any word of riskcheck's own English (its catalog's msgids, its templates, the English texts of its
rules): every English word a report can show comes from one of them, and a word list of the whole language would
also flag the data's names. Text marked `lang="en"` is English on purpose (a rule text not yet translated, shown
and marked as such) and is not counted; nor is a word the case's data holds (a name, a title, an offence, a
source's title), which stays as recorded. In Portuguese and Uzbek, a word riskcheck's own text in that language
also uses is that language's ("total", "federal"). A rule's formula and the setting names for rule authors
(`<code>`), ids (`class="id"`) and the key name Ctrl are not prose. No browser: the text is read from the HTML as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import CASES, LANGUAGE_RUNS, REPO

yaml = pytest.importorskip("yaml")

WORD = re.compile(r"[A-Za-z]{3,}")
HIDDEN = {"script", "style", "title", "head"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The text a reader sees: no scripts, styles or head, nothing inside an element marked lang="en"."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        attributes = dict(attrs)
        english = attributes.get("lang", "") in ("en", "en-US", "en-GB")
        code = tag == "code" or "id" in (attributes.get("class") or "").split()  # a rule's formula, an id
        self.stack.append((tag, tag in HIDDEN or english or code))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not any(skip for _, skip in self.stack[1:]):  # the <html lang> of the page itself is not a mark
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def words_of(text: str) -> set[str]:
    """The Latin-letter words of a text, lower-cased; web addresses, code-like tokens (ids, file names) and
    tokens with digits (a law's number) aside."""
    text = re.sub(r"https?://\S+|\S+[./_@]\S+|\S*\d\S*", " ", text)  # "No. 1700-VII" is a number
    return {w.lower() for w in WORD.findall(text)}


def strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [str(value)] if value is not None else []


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


def rule_documents() -> list[dict]:
    docs = [yaml.safe_load(f.read_text(encoding="utf-8")) for f in sorted((REPO / "rules").rglob("*.yaml"))]
    return [d for d in docs if isinstance(d, dict) and "id" in d]


def english_vocabulary() -> set[str]:
    texts = catalog_texts(REPO / "riskcheck" / "locale" / "riskcheck.pot", "msgid")
    texts += [re.sub(r"{[{%#].*?[}%#]}", " ", f.read_text(encoding="utf-8"))
              for f in sorted((REPO / "riskcheck" / "report" / "templates").glob("*.html"))]
    for doc in rule_documents():
        texts += strings_in({k: v for k, v in doc.items() if k not in ("translations", "tests", "legal_basis")})
        texts += [s for basis in doc.get("legal_basis") or [] for s in strings_in(  # a quote is in the law's language
            {k: v for k, v in basis.items() if k != "quote"})]
    return words_of(" ".join(texts))


def own_words(lang: str) -> set[str]:
    """The words riskcheck itself writes in `lang` (its catalog and its rules' texts in it)."""
    catalogs = sorted((REPO / "riskcheck" / "locale").glob(f"{lang}*/LC_MESSAGES/riskcheck.po"))
    texts = [t for po in catalogs for t in catalog_texts(po, "msgstr")]
    for doc in rule_documents():
        texts += strings_in({k: v for k, v in (doc.get("translations") or {}).items() if k.split("_")[0] == lang})
    return words_of(" ".join(re.sub(r"%\(\w+\)s|{[{%].*?[}%]}", " ", t) for t in texts))


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


@pytest.fixture(scope="module")
def english() -> set[str]:
    return english_vocabulary()


@pytest.mark.parametrize("tag", sorted(LANGUAGE_RUNS))
def test_no_english_but_the_data(language_reports, english, tag):
    case, lang = LANGUAGE_RUNS[tag]
    folder, _ = language_reports[tag]
    allowed = case_words(CASES / case) | {"ctrl"} | (own_words(lang) if lang in ("pt", "uz") else set())
    left = {}
    for page in sorted(folder.rglob("*.html")):
        words = (words_of(visible_text(page.read_text(encoding="utf-8"))) & english) - allowed
        if words:
            left[page.relative_to(folder).as_posix()] = sorted(words)
    assert left == {}


def test_the_scan_sees_english_where_there_is_some():
    """The scan itself: an English heading outside any lang="en" mark is found; inside one it is not."""
    vocabulary = {"findings", "undetermined"}
    html = '<html lang="ru"><body><h2>Findings</h2><p lang="en">undetermined</p><p>Результаты</p></body></html>'
    assert words_of(visible_text(html)) & vocabulary == {"findings"}

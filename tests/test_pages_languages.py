"""Every page `riskcheck run` writes, in the language of the run: the index, a large case's index, its person
pages and its names page, and the summary the run prints. A newsroom reads the headings and statuses in its own
language, and the page says which language it is in (`<html lang>`), so a screen reader and a browser's
translation offer read it right.

The shipped cases are small, so each is written as a large case is (an index, a page per person and the names
page), once per language for the session (conftest.py's `language_reports`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import riskcheck.report.render as render
from riskcheck.cli import main
from riskcheck.cli.checking import _review_line
from riskcheck.i18n import speaking
from riskcheck.results import CaseResult
from conftest import LANGUAGE_RUNS, minimal_case

# case, the run's --lang, the page's lang attribute, and words a reader of that language must see on the pages:
# (index: heading, a status, the leads column), (case index: a heading, a status), (person page: "All cases" and
# "Findings"), (names page: heading, what a name is).
RUNS = {
    "ru": ("imanaliev-appointment", "ru", {
        "index": ["Отчёты riskcheck", "не определено", "к проверке:", "проверено дел в этом запуске: 1"],
        "report": ["По правилам и статусам", "Упомянутые лица", "не определено (2)", "Что содержат данные",
                   "лица</td>"],
        "person": ["Все дела", "Сигналы", "Применённые правила", "Правовое основание", "сигналов: 2",
                   "Индикатор риска"],
        "names": ["Имена в сигналах, от А до Я", "(лицо)", "(организация)", "не определено</a>"]}),
    "kk": ("imanaliev-appointment", "kk", {
        "index": ["riskcheck есептері", "анықталмаған", "тексеруге:"],
        "report": ["Ережелер мен мәртебелер бойынша", "Қатысты тұлғалар", "анықталмаған (2)"],
        "person": ["Барлық істер", "Сигналдар", "Қолданылған ережелер", "Тәуекел индикаторы"],
        "names": ["Сигналдардағы есімдер, әліпби бойынша", "(тұлға)", "(ұйым)"]}),
    "uk": ("fictional-ua-close-persons", "uk", {
        "index": ["Звіти riskcheck", "позначено", "до перевірки:"],
        "report": ["За правилами і статусами", "Причетні особи", "Що містять дані"],
        "person": ["Усі справи", "Сигнали", "Застосовані правила"],
        "names": ["Імена в сигналах, від А до Я", "(особа)"]}),
    "pt-BR": ("fictional-br-cross-appointments", "pt", {
        "index": ["Relatórios do riskcheck", "sinalizado", "indícios:", "1 caso verificado nesta execução"],
        "report": ["Por regra e status", "Pessoas envolvidas", "sinalizado (2)"],
        "person": ["Todos os casos", "Achados", "Regras aplicadas", "Base legal"],
        "names": ["Nomes nos achados, de A a Z", "(pessoa)", "(órgão)"]}),
    "uz-Latn": ("fictional-uz-agency-relatives", "uz", {
        "index": ["riskcheck hisobotlari", "tekshirish uchun:"],
        "report": ["Qoida va holat bo‘yicha", "Tegishli shaxslar"],
        "person": ["Barcha ishlar", "Signallar", "Qo‘llangan qoidalar"],
        "names": ["Signallardagi ismlar, alifbo tartibida", "(shaxs)"]}),
}
# English a page in another language must not show: the templates' own words (the data's stay as recorded).
ENGLISH = ["riskcheck reports", "By rule and status", "Persons concerned", "Names in the findings", "All cases",
           "Rules applied", "Legal basis", "finding(s)", "case(s) checked", "leads: high", "all statuses",
           "Judged as of", "What the data holds", ">flagged<", ">undetermined<", "(person)", "(organization)",
           "Risk indicator", "severity high", "Settings"]


@pytest.fixture(scope="module")
def written(language_reports) -> dict[str, tuple[Path, str]]:
    return language_reports


def pages(folder: Path, case: str) -> dict[str, str]:
    persons = sorted((folder / case / "persons").glob("*.html"))
    assert persons, "a large case has a page per person"
    return {"index": (folder / "index.html").read_text(encoding="utf-8"),
            "report": (folder / case / "report.html").read_text(encoding="utf-8"),
            "person": persons[0].read_text(encoding="utf-8"),
            "names": (folder / case / "names.html").read_text(encoding="utf-8")}


@pytest.mark.parametrize("tag", list(RUNS))
def test_every_page_of_a_run_reads_in_its_language(written, tag):
    case, _, words = RUNS[tag]
    assert LANGUAGE_RUNS[tag][0] == case
    folder, _ = written[tag]
    for name, html in pages(folder, case).items():
        assert f'<html lang="{tag}">' in html, name
        for word in words[name]:
            assert word in html, (name, word)
        shown = re.sub(r'<[^>]*lang="en"[^>]*>[^<]*<', "<", html)  # what a page marks as English is allowed
        for english in ENGLISH:
            assert english not in shown, (name, english)


def test_the_counts_on_a_page_are_the_languages_numbers(written):
    """A count of thousands is written with the language's separators (Babel's locale data): 1 234, 1.234."""
    folder, _ = written["pt-BR"]
    with speaking("pt"):
        html = render._ENV.get_template("_data_counts.html").render(counts={"persons": 12345})
    assert "12.345" in html and "pessoas" in html
    report = (folder / "fictional-br-cross-appointments" / "report.html").read_text(encoding="utf-8")
    assert "<td>fontes</td>" in report and "<td>sources</td>" not in report


def test_the_runs_summary_is_in_its_language(written):
    folder, output = written["ru"]
    assert "imanaliev-appointment: не определено: 2 (на 2025-11-01)" in output
    assert f"Отчёты записаны в {folder / 'index.html'}" in output
    _, output = written["pt-BR"]
    assert "sinalizado: 2" in output and "Reports written" not in output


def test_the_index_of_cases_in_several_languages_is_in_the_runs_and_says_each_reports(tmp_path, write_case):
    """Without --lang each case is written in its own language, and the index in English, with each case's
    link saying the language its report is in."""
    root = write_case("kz-case", {"case.yaml": minimal_case("kz-case") + "language: kk\n"})
    write_case("plain", {"case.yaml": minimal_case("plain")})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index and "riskcheck reports" in index
    assert 'href="kz-case/report.html" hreflang="kk"' in index and '<small class="meta" lang="kk">Қазақша</small>' in index
    assert 'href="plain/report.html" hreflang="en"' in index and ">English</small>" not in index
    assert '<html lang="kk">' in (out / "kz-case" / "report.html").read_text(encoding="utf-8")


def test_the_review_line_says_not_reviewed_in_every_language():
    result = CaseResult(id="c", display="c")
    result.hints_to_check = 2
    assert _review_line(result).startswith("0 not reviewed, 0 changed since reviewed, 0 reviewed but no longer found; "
                                           "2 hints to check")
    assert "open" not in _review_line(result)
    with speaking("uk"):
        assert _review_line(result).startswith("не перевірено: 0, змінилося після перевірки: 0")

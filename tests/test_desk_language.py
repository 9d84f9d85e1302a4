"""The desk in the reviewer's language: a reviewer who picks Kazakh reads the desk's headings, buttons, statuses
and messages in Kazakh, on every page after, and colleagues keep their own; the exports a person opens follow."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pytest
from starlette.testclient import TestClient

from riskcheck.i18n import LANGUAGES

from conftest import CASES, served_app

CASE = "/cases/imanaliev-appointment/"
# The desk's own English words, none of which a page in another language may still show.
DESK_ENGLISH = ("All cases", "Record the decision", "not reviewed", "Your decision", "Your name", "riskcheck review",
                "Possible relatives and same persons", "No finding matches", "Leads, not verdicts", ">Show<",
                ">Clear<", "For the desk:", "hints to check", ">The finding<", ">A lead to review<")


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "cases"
    shutil.copytree(CASES, folder)
    return folder


def first_finding(client: TestClient) -> str:
    return re.search(r'href="findings/([^"]+)"', client.get(CASE).text).group(1)


def test_a_reviewer_who_picks_kazakh_reads_the_desk_in_kazakh_on_every_page(root, checked_cases):
    client = TestClient(served_app(root, checked_cases), base_url="http://127.0.0.1")
    index = client.get("/?lang=kk").text
    assert '<html lang="kk">' in index
    assert "<h1>riskcheck: тексеру</h1>" in index and "тексерілмеген: 2" in index
    case = client.get(CASE).text  # no ?lang: the cookie remembers the choice
    assert '<html lang="kk">' in case and ">Көрсету</button>" in case and ">Барлық істер</a>" in case
    assert '<span class="badge flagged">белгіленді</span>' in case or \
        '<span class="badge undetermined">анықталмаған</span>' in case
    assert '<span class="badge review-open">тексерілмеген</span>' in case
    fid = first_finding(client)
    finding = client.get(f"{CASE}findings/{fid}").text
    assert "<h1>Тексерілетін сигнал</h1>" in finding and ">Шешімді жазу</button>" in finding
    assert 'value="confirmed" required> расталды</label>' in finding
    rules = client.get(f"{CASE}rules").text  # a rule's own texts and its law's title in Kazakh: the pack has them all
    assert "<h2>Сотталған лауазымды тұлғаның жақын туысын тағайындау</h2>" in rules
    assert "«Сыбайлас жемқорлыққа қарсы іс-қимыл туралы»" in rules
    assert "(ағылшын тілінде)" not in rules
    for page in (index, case, finding, rules, client.get(f"{CASE}links").text):
        assert not [w for w in DESK_ENGLISH if w in page], [w for w in DESK_ENGLISH if w in page]


def test_a_decision_and_its_message_are_shown_in_the_reviewers_language_and_a_colleague_keeps_english(
        root, checked_cases):
    app = served_app(root, checked_cases)
    kazakh, colleague = (TestClient(app, base_url="http://127.0.0.1") for _ in range(2))
    kazakh.get("/?lang=kk")
    fid = first_finding(kazakh)
    page = kazakh.get(f"{CASE}findings/{fid}").text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    refused = kazakh.post(f"{CASE}findings/{fid}/review", data={"token": token, "reviewer": "Айгүл"})
    assert "Таңдаңыз: расталды, қабылданбады немесе анық емес." in refused.text  # no decision chosen
    decided = kazakh.post(f"{CASE}findings/{fid}/review",
                          data={"token": token, "reviewer": "Айгүл", "decision": "confirmed", "note": "сот тізілімі"})
    assert '<html lang="kk">' in decided.text
    assert '<span class="badge review-confirmed">расталды</span>' in decided.text and "тексеруші: Айгүл" in decided.text
    english = colleague.get(f"{CASE}findings/{fid}").text
    assert '<html lang="en">' in english and '<span class="badge review-confirmed">confirmed</span>' in english
    assert "by Айгүл on" in english


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_desk_page_is_in_the_chosen_language(root, checked_cases, lang):
    client = TestClient(served_app(root, checked_cases), base_url="http://127.0.0.1")
    client.get(f"/?lang={lang}")
    fid = first_finding(client)
    for path in ("/", CASE, f"{CASE}findings/{fid}", f"{CASE}links", f"{CASE}rules", "/cases/nope/"):
        page = client.get(path).text
        assert not [w for w in DESK_ENGLISH if w in page], (path, [w for w in DESK_ENGLISH if w in page])


def test_the_desks_spreadsheet_follows_the_reviewers_language(root, checked_cases):
    client = TestClient(served_app(root, checked_cases), base_url="http://127.0.0.1")
    client.get("/?lang=ru")
    table = list(csv.reader(io.StringIO(client.get(f"{CASE}findings.csv").content.decode("utf-8-sig"))))
    assert table[0][:4] == ["Дело", "ID сигнала", "Правило", "Название правила"]
    assert {row[table[0].index("Проверка")] for row in table[1:]} == {"открыто"}


def test_the_exported_spreadsheet_has_headers_and_words_in_lang_and_english_keys_stay_in_findings_json(
        root, runner, tmp_path):
    from openpyxl import load_workbook

    from riskcheck.cli import main

    out = tmp_path / "findings.xlsx"
    case = root.parent / "one"
    for folder in ("imanaliev-appointment", "_registry"):  # the case includes the shared registry beside it
        shutil.copytree(root / folder, case / folder)
    result = runner.invoke(main, ["export", "findings", str(case), "--out", str(out), "--lang", "kk"])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["Іс", "Сигнал ID", "Ереже", "Ереже атауы", "Мәртебесі", "Маңыздылығы"]
    statuses = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert statuses and statuses <= {"белгіленді", "анықталмаған", "күтілуде", "орындалды"}, statuses
    assert {row[header.index("Тексеру")] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"ашық"}
    result = runner.invoke(main, ["export", "findings", str(case), "--out", str(out), "--lang", "en"])
    assert [c.value for c in load_workbook(out).worksheets[0][1]][:2] == ["Case", "Finding id"]

"""Reports in the reader's language: the catalogs are complete and compiled, a case or a run chooses the
language, a rule file translates its own texts (checked like the rest of the grammar), and English is the
fallback a page says it fell back to."""

import json
import re
import shutil
import textwrap
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from riskcheck import i18n
from riskcheck.cli import main
from riskcheck.errors import ProblemError
from riskcheck.i18n import LANGUAGES, format_date, format_number, speaking
from riskcheck.rules.loader import load_rules
from conftest import CASES, REPO

LOCALE = REPO / "riskcheck" / "locale"
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")  # gettext's %(name)s, and str.format's {name} (the drawings)


def named(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def catalog(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "riskcheck.po", "rb") as fh:
        return read_po(fh, locale=lang)


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """The strings the sources mark today, extracted as docs/translating.md says (babel.cfg)."""
    with open(REPO / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {(m[2][0] if isinstance(m[2], tuple) else m[2])
            for m in extract_from_dir(str(REPO), method_map, options_map)}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_translates_every_string_with_its_placeholders(lang, extracted):
    cat = catalog(lang)
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id: m for m in cat if m.id}
    assert extracted - set(ids) == set(), "strings not in the catalog: run pybabel extract and update"
    for key, m in ids.items():
        assert "fuzzy" not in m.flags, key
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(forms) and len(forms) == (cat.num_plurals if isinstance(m.id, tuple) else 1), key
        for form in forms:
            # every placeholder the English has, and no other (a plural form may leave the number out)
            wanted = named(key) - ({"n"} if isinstance(m.id, tuple) else set())
            assert wanted <= named(form) <= named(key), (key, form)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_compiled_catalog_is_its_po_compiled(lang):
    """The .mo files are committed (an editable install and the wheel use them as they are): stale is a failure."""
    out = BytesIO()
    write_mo(out, catalog(lang))
    assert (LOCALE / lang / "LC_MESSAGES" / "riskcheck.mo").read_bytes() == out.getvalue(), \
        f"run: pybabel compile -D riskcheck -d riskcheck/locale -l {lang}"


def test_dates_and_numbers_come_from_babel_locale_data():
    day = date(2021, 10, 15)
    said = {}
    for lang in LANGUAGES:
        with speaking(lang):
            said[lang] = (format_date(day), format_number(12345))
    assert said["en"] == ("October 15, 2021", "12,345")
    # CLDR writes a narrow no-break space before the year's abbreviation, so "г." never starts a line
    assert said["ru"][0] == "15 октября 2021\u202fг." and said["uk"][0] == "15 жовтня 2021\u202fр."
    assert said["kk"][0] == "2021\u202fж. 15 қазан" and said["uz_Latn"][0] == "15-oktabr, 2021"
    assert said["pt_BR"] == ("15 de outubro de 2021", "12.345") and said["ru"][1] == "12\u00a0345"
    assert i18n.current() == "en"  # the language is set for a block, and put back


def test_languages_are_named_as_a_newsroom_writes_them():
    assert i18n.language("pt") == "pt_BR" and i18n.language("uz") == "uz_Latn" and i18n.language("ru") == "ru"
    with pytest.raises(i18n.UnknownLanguage, match="'fr' is not a language riskcheck writes"):
        i18n.language("fr")
    assert [i18n.html_lang(lang) for lang in LANGUAGES] == ["en", "ru", "kk", "uk", "pt-BR", "uz-Latn"]


def _case_copy(tmp_path: Path, case: str, language: str | None) -> Path:
    root = tmp_path / "cases"
    shutil.copytree(CASES / case, root / case)
    if (CASES / "_registry").exists():
        shutil.copytree(CASES / "_registry", root / "_registry")
    if language:
        meta = root / case / "case.yaml"
        meta.write_text(meta.read_text(encoding="utf-8") + f"language: {language}\n", encoding="utf-8")
    return root


def test_an_unknown_language_in_case_yaml_names_the_file_and_field(runner, tmp_path):
    root = _case_copy(tmp_path, "fictional-ua-close-persons", "klingon")
    result = runner.invoke(main, ["run", str(root), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "fictional-ua-close-persons/case.yaml" in result.output and "field 'language'" in result.output
    assert "'klingon' is not a language riskcheck writes" in result.output


def test_a_case_in_ukrainian_and_a_run_overriding_it(runner, tmp_path):
    root = _case_copy(tmp_path, "fictional-ua-close-persons", "uk")
    out = tmp_path / "out"
    assert runner.invoke(main, ["run", str(root), "--out", str(out)]).exit_code == 0
    page = (out / "fictional-ua-close-persons" / "report.html").read_text(encoding="utf-8")
    findings = json.loads((out / "fictional-ua-close-persons" / "findings.json").read_text(encoding="utf-8"))
    assert '<html lang="uk">' in page
    assert "Статус:" in page and "Status:" not in page.split("<h2>", 2)[-1].split("Rules applied")[0]
    assert '<html lang="en">' in (out / "index.html").read_text(encoding="utf-8")  # the run chose no language
    result = runner.invoke(main, ["run", str(root), "--out", str(out), "--lang", "pt"])
    assert result.exit_code == 0 and "Relatórios gravados em" in result.output
    assert '<html lang="pt-BR">' in (out / "fictional-ua-close-persons" / "report.html").read_text(encoding="utf-8")
    assert findings["findings"]  # the case has findings to read in each language


def test_english_is_the_run_with_no_language_chosen(runner, tmp_path):
    root = _case_copy(tmp_path, "fictional-ua-close-persons", None)
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(root), "--out", str(out)])
    assert result.exit_code == 0 and "Reports written to" in result.output
    page = (out / "fictional-ua-close-persons" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Status: " in page
    assert "in_english" not in (out / "fictional-ua-close-persons" / "findings.json").read_text(encoding="utf-8")


RULE = """\
id: my-rule
version: "1"
title: Relative in the same body
kind: risk_indicator
severity: high
description: d
rationale: r
legal_basis: [{title: Some law}]
parameters:
  months: {type: int, default: 2, description: How long the law gives}
subject: who
match:
  tenure: {from: tenures}
  who: {from: persons, on: {id: tenure.person_id}}
where:
  - {check: tenure.start < as_of, means: the post was taken before the date judged}
summary: "{{ who.name }} holds a post"
explanation: x
translations:
"""


def write_rule(tmp_path: Path, translations: str) -> Path:
    (tmp_path / "my-rule.yaml").write_text(RULE + textwrap.indent(textwrap.dedent(translations), "  "))
    return tmp_path


def problems(path: Path) -> list[str]:
    with pytest.raises(ProblemError) as exc:
        load_rules(path)
    return [str(p) for p in exc.value.problems]


def test_a_rule_translates_its_texts_and_wordings(tmp_path):
    (loaded,) = load_rules(write_rule(tmp_path, """\
        pt:
          title: Parente no mesmo órgão
          summary: "{{ who.name }} ocupa um cargo"
          parameters: {months: Quanto tempo a lei dá}
          means:
            the post was taken before the date judged: o cargo foi assumido antes da data julgada
        """))
    assert loaded.rule.languages == ["en", "pt_BR"]
    from riskcheck.grammar.translations import finding_texts, means_text, parameter_text
    texts, english = finding_texts(loaded.rule, "pt_BR")
    assert texts["title"] == "Parente no mesmo órgão" and english == ["explanation"]
    assert means_text(loaded.rule, "the post was taken\nbefore the date judged", "pt_BR") == \
        "o cargo foi assumido antes da data julgada"
    assert parameter_text(loaded.rule, "months", "pt_BR") == ("Quanto tempo a lei dá", False)
    assert finding_texts(loaded.rule, "ru")[1] == ["title", "summary", "explanation"]  # all in English


@pytest.mark.parametrize("translations, line, message", [
    ("fr: {title: Parent}\n", 19, "'fr' is not a language riskcheck writes"),
    ("ru: {titel: Родственник}\n", 20, "field 'translations.ru.titel': unknown key"),
    ("ru: {parameters: {weeks: Недели}}\n", 20, "the rule has no parameter 'weeks'"),
    ("ru:\n  means: {the post was taken: Должность занята}\n", 21, "'the post was taken' is not a wording of this rule"),
    ("uk: {summary: '{{ who.nmae }}'}\n", 20, "who.nmae"),
    ("ru: {what_it_cannot_show: Нет}\n", 20, "only a unit indicator has this text"),
])
def test_a_translation_that_names_nothing_the_rule_has_is_a_problem_with_its_line(tmp_path, translations, line,
                                                                                   message):
    found = problems(write_rule(tmp_path, translations))
    assert any(message in p and f"line {line}" in p for p in found), found


def test_the_desk_export_follows_the_language(runner, tmp_path):
    root = _case_copy(tmp_path, "fictional-br-cross-appointments", None)
    out = tmp_path / "findings.csv"
    assert runner.invoke(main, ["export", "findings", str(root), "--out", str(out), "--lang", "pt"]).exit_code == 0
    header, first = out.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.startswith('"Caso","ID do achado","Regra","Título da regra","Status","Gravidade",')
    assert "Nomeações recíprocas" in first and '"sinalizado","alta"' in first and '"em aberto"' in first
    assert runner.invoke(main, ["export", "findings", str(root), "--out", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").startswith('"Case","Finding id","Rule","Rule title","Status","Severity",')

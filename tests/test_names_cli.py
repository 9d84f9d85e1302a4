"""`riskcheck names`: compare, score a pairs file, search cases."""

import csv
import io

from riskcheck.cli import main

from conftest import CASES


def test_compare_prints_the_score_and_the_reason_per_part(runner):
    result = runner.invoke(main, ["names", "compare", "Kassym-Jomart Tokayev", "Тоқаев Қасым-Жомарт Кемелұлы"])
    assert result.exit_code == 0
    assert result.output.startswith("score 1.00: match")
    assert "Tokayev ~ Тоқаев" in result.output and "q/k" in result.output


def test_score_keeps_every_column_and_adds_score_and_match(runner, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("id,name1,name2,label\n1,Nursultan Nazarbayev,Нұрсұлтан Назарбаев,yes\n"
                     "2,Nursultan Nazarbayev,Nursultan Nazarbayeva,no\n", encoding="utf-8")
    result = runner.invoke(main, ["names", "score", str(pairs)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["id", "name1", "name2", "label", "score", "match"]
    assert [r["match"] for r in rows] == ["true", "false"] and [r["label"] for r in rows] == ["yes", "no"]
    assert 0 <= float(rows[1]["score"]) < float(rows[0]["score"]) <= 1


def test_score_names_the_missing_column(runner, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("first,second\nA,B\n", encoding="utf-8")
    result = runner.invoke(main, ["names", "score", str(pairs)])
    assert result.exit_code == 2 and "no column name1, name2" in result.output


def test_search_lists_the_closest_persons_across_scripts(runner):
    result = runner.invoke(main, ["names", "search", str(CASES), "Серік Жақсыбеков", "--limit", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3 and all("fictional-names-across-scripts" in line for line in lines)
    assert all(line.startswith("1.00") for line in lines)


def test_a_search_by_a_surname_finds_both_its_gendered_forms(runner):
    result = runner.invoke(main, ["names", "search", str(CASES), "Zhaksybekov"])
    assert result.exit_code == 0
    assert "p-dana  Dana Serikovna Zhaksybekova" in result.output     # the feminine form
    assert "p-serik-court  Жақсыбеков Серік Болатұлы" in result.output  # and the Cyrillic masculine one

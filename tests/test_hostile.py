"""Hostile and broken input: escaped, not linked, confined, refused quickly, and isolated."""

import json
import os
import shutil
from pathlib import Path

import pytest

from riskcheck.cli import main

from conftest import REPO, RULES, minimal_case


def run(runner, root, out, *extra):
    return runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out), *extra])


def test_a_script_in_a_name_comes_out_escaped(runner, write_case, tmp_path):
    root = write_case("xss", {"case.yaml": minimal_case("xss", son="<script>alert(1)</script>")})
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "xss" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    summary = json.loads((tmp_path / "out" / "xss" / "findings.json").read_text())["findings"][0]["summary"]
    assert "<script>alert(1)</script>" in summary  # JSON is data: the name as written


def test_a_javascript_source_address_is_not_a_link(runner, write_case, tmp_path):
    root = write_case("jsurl", {"case.yaml": minimal_case("jsurl", url="javascript:alert(1)")})
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0
    html = (tmp_path / "out" / "jsurl" / "report.html").read_text()
    assert 'href="javascript' not in html
    assert "javascript:alert(1)" in html and "not http(s); not linked" in html
    assert "not an http(s) address" in result.output


@pytest.mark.parametrize("url, linked", [
    ("https://en.wikipedia.org/wiki/O'Brien", True),  # validate passed it, the report refused to link it
    ("https://example.org/a\u2028b", False),  # a line separator: the report refused it, validate passed it
    ("https://example.org/a\u00a0b", False), ("https://example.org/\u200bx", False),
    ("https://example.org/\u0430", True),
])
def test_validate_and_the_report_agree_on_every_address(runner, write_case, tmp_path, url, linked):
    root = write_case("addr", {"case.yaml": minimal_case("addr", url=json.dumps(url)[1:-1])})
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "addr" / "report.html").read_text()
    warned = "is not an http(s) address" in result.output
    assert warned is not linked
    assert ("not http(s); not linked" not in html) is linked


def test_one_address_pattern_reads_alike_in_python_and_in_the_store():
    import duckdb

    from riskcheck.textsafety import URL_PATTERN, http_url

    conn = duckdb.connect()
    for url in ["https://a.org/x", "https://a.org/O'Brien", "https://a.org/\u2028", "javascript:alert(1)",
                " https://a.org ", "https://a.org\t", "https://a.org/\u202ex", "https://a.org/\U000e0041",
                "https://ä.org/тест", "http://a.org/<b>", "https://a.org/\x85"]:
        in_store = conn.execute("SELECT regexp_full_match(trim(?), ?)", [url, URL_PATTERN]).fetchall()[0][0]
        assert in_store is (http_url(url) is not None), repr(url)


def test_ids_cannot_write_outside_the_output_folder(runner, write_case, tmp_path):
    root = write_case("ok-case", {"case.yaml": minimal_case("ok-case").replace("p-son", "../../p-son")})
    (root / "evil").mkdir()
    (root / "evil" / "case.yaml").write_text("id: ../x\nas_of: 2024-01-01\n")
    out = tmp_path / "out"
    result = run(runner, root, out)
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
               if p.is_file() and "out" in p.parts and ".riskcheck-cache" not in p.parts}
    assert written == {"out/index.html", "out/ok-case/report.html", "out/ok-case/findings.json", "out/.riskcheck.lock"}
    assert result.exit_code == 3 and "id '../x' must equal the folder name 'evil'" in result.output
    assert not (tmp_path / "x").exists()


def _many_values() -> str:
    bomb, prev = "id: bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n", "a"
    for level in "bcdefghi":
        bomb += f"{level}: &{level} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = level
    return bomb


def _long_string_many_times() -> str:  # 240 KB that would expand to 2 GB
    text = "id: bomb\nas_of: 2024-01-01\nlong: &s " + "x" * 100_000 + "\n"
    return text + "persons:\n" + "".join(f"  - {{id: p{i}, name: *s}}\n" for i in range(20_000))


@pytest.mark.parametrize("bomb, message", [
    (_many_values, "values once aliases are expanded (an alias bomb?)"),
    (_long_string_many_times, "characters of text once aliases are expanded (an alias bomb?); refused"),
])
def test_an_alias_bomb_is_refused_and_other_cases_still_run(runner, write_case, tmp_path, bomb, message):
    root = write_case("bomb", {"case.yaml": bomb()})
    write_case("fine", {"case.yaml": minimal_case("fine")}, root)
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 3
    assert message in result.output
    assert (tmp_path / "out" / "fine" / "report.html").exists()


def test_a_broken_case_keeps_its_earlier_report(runner, write_case, tmp_path):
    root = write_case("steady", {"case.yaml": minimal_case("steady")})
    out = tmp_path / "out"
    assert run(runner, root, out).exit_code == 0
    before = (out / "steady" / "report.html").read_bytes()
    (root / "steady" / "tenures.yaml").write_text("- {id: t9, person_id: nobody, position_id: pos-head, start: 2022}\n")
    result = run(runner, root, out)
    assert result.exit_code == 3
    assert "cases/steady/tenures.yaml line 1: record 't9', field 'person_id': 'nobody' names no person" in result.output
    kept = (out / "steady" / "report.html").read_text()
    assert "Out of date: this report is from an earlier run." in kept
    assert "made from the case's data as of 1 January 2024" in kept and "its data now has 1 problem, listed" in kept
    banner = kept[kept.index("<!-- riskcheck: kept"):kept.index("</div>", kept.index("<!-- riskcheck: kept")) + 7]
    assert kept.replace("\n" + banner, "").encode() == before  # marked, otherwise as it was
    assert run(runner, root, out).exit_code == 3
    assert (out / "steady" / "report.html").read_text().count("Out of date") == 1  # marked once
    index = (out / "index.html").read_text()
    assert "Not checked: the case has errors." in index and "is kept, marked as out of date" in index


# --- Confinement: a case reads regular files inside the cases folder, literally named, each once ---

SECRET = "root:x:0:0:SECRET-LINE:/root:/bin/bash\n"


def test_a_link_to_a_file_outside_the_cases_folder_is_not_read(runner, write_case, tmp_path):
    outside = tmp_path / "elsewhere" / "passwd"
    outside.parent.mkdir()
    outside.write_text("id,name\n" + SECRET)
    root = write_case("linked", {"case.yaml": minimal_case("linked")})
    (root / "linked" / "persons.csv").symlink_to(outside)
    (root / "_shared").mkdir()
    (root / "_shared" / "sources.csv").symlink_to(outside)
    write_case("uses-shared", {"case.yaml": minimal_case("uses-shared") + "include: [../_shared]\n"}, root)
    write_case("plain", {"case.yaml": minimal_case("plain")}, root)
    out = tmp_path / "out"
    result = run(runner, root, out)
    assert result.exit_code == 3
    assert "cases/linked/persons.csv: is a link to a place outside the cases folder; not read" in result.output
    assert "cases/_shared/sources.csv: is a link to a place outside the cases folder" in result.output
    everything = result.output + "".join(p.read_text() for p in out.rglob("*.html"))
    assert "SECRET-LINE" not in everything and "elsewhere" not in everything
    assert (out / "plain" / "report.html").exists()


def test_a_case_folder_or_case_file_linked_from_outside_is_refused(runner, write_case, tmp_path):
    foreign = tmp_path / "foreign-case"
    foreign.mkdir()
    (foreign / "case.yaml").write_text(minimal_case("foreign-case"))
    root = write_case("plain", {"case.yaml": minimal_case("plain")})
    (root / "foreign-case").symlink_to(foreign, target_is_directory=True)
    (root / "linked-meta").mkdir()
    (root / "linked-meta" / "case.yaml").symlink_to(foreign / "case.yaml")
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 3
    assert "cases/foreign-case: is a link to a place outside the cases folder; not read" in result.output
    assert "cases/linked-meta/case.yaml: is a link to a place outside the cases folder" in result.output
    assert not (tmp_path / "out" / "foreign-case").exists()


def test_a_folder_named_like_a_glob_is_read_literally(runner, write_case, tmp_path):
    root = write_case("glob-case", {"case.yaml": minimal_case("glob-case").split("\nsources:")[0] + "\n"
                                    + "include: ['../**']\n"})
    stars = root / "**"
    stars.mkdir()
    (stars / "sources.csv").write_text("id,title\ns1,Court register\n")
    write_case("secret-case", {"case.yaml": minimal_case("secret-case").split("\nsources:")[0] + "\n",
                               "sources.csv": "id,title\ns-conf,CONFIDENTIAL whistleblower\n"}, root)
    out = tmp_path / "out"
    run(runner, root, out)
    report = (out / "glob-case" / "report.html").read_text()
    assert "Court register" in report and "CONFIDENTIAL" not in report
    assert "s-conf" not in (out / "glob-case" / "findings.json").read_text()


def test_an_include_naming_a_pipe_is_refused_without_waiting(runner, write_case, tmp_path):
    root = write_case("piped", {"case.yaml": minimal_case("piped") + "include: [feed.yaml]\n"})
    os.mkfifo(root / "piped" / "feed.yaml")
    os.mkfifo(root / "piped" / "tenures.csv")  # found by the folder scan, not by an include
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 3
    assert "include 'feed.yaml' is not a regular file (a pipe, socket or device); not read" in result.output
    assert "cases/piped/tenures.csv: is not a regular file" in result.output


def test_a_file_reached_twice_is_read_once(runner, write_case, tmp_path):
    case = minimal_case("twice").replace("sources:\n  - {id: s1, title: Court register, url: \"https://example.org/x\"}\n", "")
    root = write_case("twice", {"case.yaml": case + "include: [sources.yaml, ./sources.yaml, sources.yml]\n",
                                "sources.yaml": "- {id: s1, title: Court register}\n"})
    (root / "twice" / "sources.yml").symlink_to(root / "twice" / "sources.yaml")
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert run(runner, root, out).exit_code == 0
    assert len(json.loads((out / "twice" / "findings.json").read_text())["findings"]) == 1


# --- One case fails alone; dates and numbers are range-checked where they enter ---

def test_an_unexpected_failure_in_one_case_spares_the_others(runner, write_case, tmp_path, monkeypatch):
    import riskcheck.pipeline as pipeline

    real = pipeline.match_loaded

    def fails_on_boom(loaded, registry, *args):
        if registry.meta.id == "boom":
            raise RuntimeError("kaboom in /home/someone/secret/path.py")
        return real(loaded, registry, *args)

    monkeypatch.setattr(pipeline, "match_loaded", fails_on_boom)
    root = write_case("boom", {"case.yaml": minimal_case("boom")})
    write_case("fine", {"case.yaml": minimal_case("fine")}, root)
    out = tmp_path / "out"
    result = run(runner, root, out)
    assert result.exit_code == 3
    assert "could not be evaluated on this case: RuntimeError: kaboom in path.py" in result.output
    assert "/home/someone" not in result.output
    assert (out / "fine" / "report.html").exists() and not (out / "boom").exists()
    assert "kaboom" in (out / "index.html").read_text()


RESIGNATION = REPO / "cases" / "fictional-akimat-resignations"


def test_an_open_in_force_date_stays_open_in_a_deadline(runner, tmp_path):
    root = tmp_path / "cases"
    shutil.copytree(RESIGNATION, root / RESIGNATION.name)
    meta = root / RESIGNATION.name / "case.yaml"
    meta.write_text(meta.read_text().replace("in_force_date: 2023-03-01", "in_force_date: 2024-05/.."))
    out = tmp_path / "out"
    result = run(runner, root, out)
    assert result.exit_code == 0, result.output
    report = (out / RESIGNATION.name / "report.html").read_text()
    assert "Deadline: on or after 11 May 2024" in report
    huge = run(runner, root, out, "--param", "subordinate-corruption-resignation.days_to_resign=999999")
    assert huge.exit_code == 0, huge.output


def test_year_zero_and_out_of_range_numbers_are_refused_with_their_place(runner, tmp_path):
    root = tmp_path / "cases"
    shutil.copytree(RESIGNATION, root / RESIGNATION.name)
    meta = root / RESIGNATION.name / "case.yaml"
    meta.write_text(meta.read_text().replace("in_force_date: 2023-03-01", "in_force_date: 0000-03-01"))
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    assert "case.yaml line 60: record 'v-roads', field 'in_force_date': '0000-03-01' is not a date" in result.output
    param = run(runner, root, tmp_path / "out", "--param",
                "subordinate-corruption-resignation.days_to_resign=99999999999")
    assert param.exit_code == 2 and "outside the range a parameter may take" in param.output
    as_of = run(runner, root, tmp_path / "out", "--as-of", "9999-12-31")
    assert as_of.exit_code == 2 and "outside the dates riskcheck judges" in as_of.output


# --- A case's outputs are one set; one run at a time per output folder ---

def test_a_second_run_into_the_same_output_folder_is_refused(runner, write_case, tmp_path):
    from riskcheck.report.output import output_lock

    root = write_case("fine", {"case.yaml": minimal_case("fine")})
    out = tmp_path / "out"
    with output_lock(out):
        result = run(runner, root, out)
    assert result.exit_code == 2 and "another riskcheck run is writing to" in result.output
    assert not (out / "fine").exists()
    assert run(runner, root, out).exit_code == 0  # the lock is released with the first run


def test_a_failure_while_writing_keeps_the_earlier_files_as_a_set(runner, write_case, tmp_path, monkeypatch):
    import riskcheck.report.render as render

    root = write_case("steady", {"case.yaml": minimal_case("steady")})
    out = tmp_path / "out"
    assert run(runner, root, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in (out / "steady").iterdir()}
    (root / "steady" / "case.yaml").write_text(minimal_case("steady", son="Renamed Son"))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render, "render_case_html", disk_full)  # findings.json is written before the page
    result = run(runner, root, out)
    assert result.exit_code == 3 and "the report could not be written: OSError" in result.output
    after = {p.name: p.read_bytes() for p in (out / "steady").iterdir()}
    assert after.keys() == before.keys() and after["findings.json"] == before["findings.json"]
    assert b"Out of date" in after["report.html"] and b"Son" in after["report.html"]
    assert b"Renamed Son" not in after["report.html"]  # no half-made new page beside the old data
    assert [p.name for p in out.iterdir() if p.name.startswith(".")
            and p.name not in (".riskcheck.lock", ".riskcheck-cache")] == []


def test_leftovers_of_a_killed_run_are_put_right(runner, write_case, tmp_path):
    root = write_case("fine", {"case.yaml": minimal_case("fine")})
    out = tmp_path / "out"
    (out / ".staging-fine").mkdir(parents=True)
    (out / ".staging-fine" / "report.html").write_text("half a report")
    (out / ".replaced-other").mkdir()  # killed between its two renames: the earlier set of 'other'
    (out / ".replaced-other" / "report.html").write_text("the earlier report of other")
    (out / ".tmp-abc.html").write_text("partial")
    assert run(runner, root, out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [".riskcheck-cache", ".riskcheck.lock", "fine", "index.html",
                                                     "other"]
    assert (out / "other" / "report.html").read_text() == "the earlier report of other"
    assert "half a report" not in (out / "fine" / "report.html").read_text()


# --- Rule packs are data, not markup; problems found when rules load, with file and line ---

RULE = """\
id: shared-rule
version: "1"
title: A rule from a shared pack
kind: risk_indicator
severity: high
description: d
rationale: r
legal_basis: [{title: Some law}]
subject: who
match:
  tenure: {from: tenures}
  who: {from: persons, on: {id: tenure.person_id}}
summary: "{{ who.name }} holds a post"
"""


def shared_rules(tmp_path, extra: str, explanation: str = "x") -> Path:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    (folder / "shared-rule.yaml").write_text(RULE + f"explanation: {json.dumps(explanation)}\n" + extra)
    return folder


def run_with(runner, rules: Path, root: Path, out: Path):
    return runner.invoke(main, ["run", str(root), "--rules", str(rules), "--out", str(out)])


def test_markup_in_a_rule_explanation_reaches_the_report_as_text(runner, write_case, tmp_path):
    overlay = ('<meta http-equiv="refresh" content="0;url=https://evil.example">'
               '<div style="position:fixed;inset:0;background:white">This case is clear</div>')
    rules = shared_rules(tmp_path, "", explanation=overlay + " {{ who.name }}")
    root = write_case("plain", {"case.yaml": minimal_case("plain", son="<b>Son</b>")})
    result = run_with(runner, rules, root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "plain" / "report.html").read_text()
    assert "<meta http-equiv=\"refresh\"" not in html and "<div style=\"position:fixed" not in html
    assert "&lt;meta http-equiv=&#34;refresh&#34;" in html and "&lt;b&gt;Son&lt;/b&gt;" in html


@pytest.mark.parametrize("explanation, message", [
    ("{{ who.name | safe }}", "template error: No filter named 'safe'"),
    ("{{ persn.name }}", "the template names 'persn', which the rule does not define"),
    ("{% if who.name %}unclosed", "template error: Unexpected end of template"),
])
def test_a_broken_template_is_refused_when_rules_load(runner, tmp_path, explanation, message):
    rules = shared_rules(tmp_path, "", explanation=explanation)
    result = runner.invoke(main, ["rules", "--rules", str(rules)])
    assert result.exit_code == 4
    assert f"shared-rule.yaml line 14: field 'explanation': {message}" in result.output


def test_a_rule_without_where_runs(runner, write_case, tmp_path):
    root = write_case("plain", {"case.yaml": minimal_case("plain")})
    result = run_with(runner, shared_rules(tmp_path, ""), root, tmp_path / "out")
    assert result.exit_code == 0, result.output
    found = json.loads((tmp_path / "out" / "plain" / "findings.json").read_text())["findings"]
    assert [(f["person"], f["status"]) for f in found] == [("p-son", "flagged")]


@pytest.mark.parametrize("event, message", [
    ("tenure.start) or (true", "effective.date"),
    ("who.name", "must be a date"),
])
def test_the_effective_event_date_is_compiled_as_a_date(runner, tmp_path, event, message):
    rules = shared_rules(tmp_path, f"effective: {{from: 2020-01-01, date: {json.dumps(event)}}}\n")
    result = runner.invoke(main, ["rules", "--rules", str(rules)])
    assert result.exit_code == 4 and message in result.output


def test_a_rule_matching_without_links_stops_with_a_message_naming_it(runner, write_case, tmp_path, monkeypatch):
    import riskcheck.engine.evaluate as evaluate

    monkeypatch.setattr(evaluate, "MAX_FINDINGS_PER_RULE", 50)
    crossed = RULE.replace("who: {from: persons, on: {id: tenure.person_id}}",
                           "who: {from: persons}\n  other: {from: persons}\n  third: {from: persons}")
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "shared-rule.yaml").write_text(crossed + "explanation: x\n")
    persons = "\n".join(f"  - {{id: p{i}, name: Person {i}}}" for i in range(6))
    root = write_case("crowd", {"case.yaml": minimal_case("crowd"), "persons.yaml": "[]\n"})
    (root / "crowd" / "persons.yaml").write_text(persons.replace("  - ", "- ") + "\n")
    write_case("plain", {"case.yaml": minimal_case("plain")}, root)
    result = run_with(runner, folder, root, tmp_path / "out")
    assert result.exit_code == 3
    assert "rule shared-rule (shared-rule.yaml): the rule could not be evaluated on this case: " \
           "TooManyFindings: more than 50 findings" in result.output
    assert (tmp_path / "out" / "plain" / "report.html").exists()


def test_a_runaway_template_stops_with_a_message_naming_the_rule(runner, write_case, tmp_path):
    rules = shared_rules(tmp_path, "", explanation="{% for i in range(90000) %}{{ who.name }}{% endfor %}")
    root = write_case("plain", {"case.yaml": minimal_case("plain")})
    result = run_with(runner, rules, root, tmp_path / "out")
    assert result.exit_code == 3
    assert "rule shared-rule (shared-rule.yaml)" in result.output
    assert "RenderedTooLong: a template produced more than 20,000 characters" in result.output


# --- Text hygiene: control characters refused, invisible formatting marked, terminals kept clean ---

def test_a_right_to_left_override_in_a_name_is_warned_about_and_shown_marked(runner, write_case, tmp_path):
    spoof = "Son \u202eveokas\u202c"  # displays as "Son sakoev" in a browser if left raw
    root = write_case("spoof", {"case.yaml": minimal_case("spoof", son=json.dumps(spoof))})
    out = tmp_path / "out"
    result = run(runner, root, out)
    assert result.exit_code == 0, result.output
    assert ("record 'p-son', field 'name': 'Son \\u202eveokas\\u202c' holds an invisible formatting character "
            "(U+202C POP DIRECTIONAL FORMATTING, U+202E RIGHT-TO-LEFT OVERRIDE)") in result.output
    html = (out / "spoof" / "report.html").read_text()
    assert "\u202e" not in html
    assert '<bdi class="hidden-chars" title="holds invisible or control characters">Son [U+202E]veokas[U+202C]' in html


@pytest.mark.parametrize("escape, shown", [("\\0", "\\x00"), ("\\e", "\\x1b"), ("\\a", "\\x07")])
def test_control_characters_in_a_record_are_refused(runner, write_case, tmp_path, escape, shown):
    root = write_case("ctrl", {"case.yaml": minimal_case("ctrl", son=f'"Son{escape}[31m"')})
    write_case("plain", {"case.yaml": minimal_case("plain")}, root)
    result = run(runner, root, tmp_path / "out")
    assert result.exit_code == 3
    assert f"record 'p-son', field 'name': 'Son{shown}[31m' holds a control character" in result.output
    assert not any(ch in result.output for ch in "\x00\x1b\x07")
    assert (tmp_path / "out" / "plain" / "report.html").exists()


def test_control_characters_in_a_csv_cell_and_a_folder_name_never_reach_the_terminal(runner, write_case, tmp_path):
    case = minimal_case("csv-ctrl").replace("persons:\n  - {id: p-son, name: Son}\n  - {id: p-father, name: Father}\n", "")
    root = write_case("csv-ctrl", {"case.yaml": case, "persons.csv": "id,name\np-son,Son\x1b[2J\np-father,Father\n"})
    (root / "bad\x1b[31mname").mkdir()
    result = runner.invoke(main, ["validate", str(root)])
    assert result.exit_code == 3
    assert "cases/csv-ctrl/persons.csv row 2: record 'p-son', field 'name': 'Son\\x1b[2J' holds a control" in result.output
    assert "bad[U+001B][31mname" in result.output
    assert "\x1b" not in result.output


def test_every_invisible_character_of_this_python_is_marked():
    import unicodedata

    from riskcheck.textsafety import has_hidden

    hidden = {chr(c) for c in range(0x110000)
              if unicodedata.category(chr(c)) == "Cf" or (unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\t\n\r")}
    assert all(has_hidden(ch) for ch in hidden)
    assert not any(has_hidden(ch) for ch in "Aа\u04d9\u0646\u05d0 \t\n-'")


# --- All of it at once ---

def test_a_folder_of_every_hostile_case_still_reports_the_plain_ones(runner, write_case, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_text("id,title\ns-secret,SECRET-SOURCE\n")
    root = write_case("plain-one", {"case.yaml": minimal_case("plain-one")})
    write_case("plain-two", {"case.yaml": minimal_case("plain-two")}, root)
    write_case("linked", {"case.yaml": minimal_case("linked")}, root)
    (root / "linked" / "sources.csv").symlink_to(outside / "secret.csv")
    write_case("piped", {"case.yaml": minimal_case("piped") + "include: [feed.yaml]\n"}, root)
    os.mkfifo(root / "piped" / "feed.yaml")
    write_case("globbed", {"case.yaml": minimal_case("globbed") + "include: ['../**']\n"}, root)
    (root / "**").mkdir()
    write_case("bomb", {"case.yaml": "id: bomb\nlong: &s " + "x" * 100_000 + "\nl: [" + ", ".join(["*s"] * 2000) + "]\n"},
               root)
    write_case("year-zero", {"case.yaml": minimal_case("year-zero").replace("2021-07-01", "0000-07-01")}, root)
    write_case("escape", {"case.yaml": minimal_case("escape", son='"Son\\e[2J"')}, root)
    write_case("spoof", {"case.yaml": minimal_case("spoof", son='"\\u202eSon"')}, root)
    write_case("repeat", {"case.yaml": minimal_case("repeat").replace(
        "  - {id: p-son, name: Son}\n", "  - &p {id: p-son, name: Son}\n  - *p\n")}, root)
    out = tmp_path / "out"
    result = run(runner, root, out)
    assert result.exit_code == 3
    index = (out / "index.html").read_text()
    for case in ("plain-one", "plain-two", "globbed", "spoof"):
        assert (out / case / "report.html").exists(), case
    for case in ("linked", "piped", "bomb", "year-zero", "escape", "repeat"):
        assert not (out / case).exists() and case in index, case
    # every file, the cache's binary ones (Parquet) too, read as far as its bytes are text
    everything = result.output + "".join(p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*.*")
                                         if p.is_file())
    assert "SECRET-SOURCE" not in everything and "elsewhere" not in everything
    shown = result.output + "".join(p.read_text() for p in out.rglob("*.html"))
    assert not any(ch in shown for ch in "\x1b\u202e\x00")  # findings.json keeps the spoofed name as data


def test_a_rule_dated_outside_the_judged_range_is_refused(runner, tmp_path):
    rules = shared_rules(tmp_path, "effective: {from: 0001-01-01, date: tenure.start}\n")
    result = runner.invoke(main, ["rules", "--rules", str(rules)])
    assert result.exit_code == 4 and "0001-01-01 is outside the dates riskcheck judges" in result.output


def test_a_long_rule_query_reports_its_progress():
    from riskcheck.pipeline import watch_progress
    from riskcheck.registry.load import load_documents
    from riskcheck.yamlio import load_yaml_text

    registry = load_documents([(load_yaml_text("persons: [{id: p1, name: A}]"), "inline")])
    seen = []
    with watch_progress(registry, seen.append, first=0.01, every=0.01):
        registry.conn.execute("SELECT count(*) FROM range(3000) a, range(3000) b, range(12) c "
                              "WHERE (a.range * b.range + c.range) % 7 = 3").fetchall()
    registry.close()
    assert seen and all(0 <= pct <= 100 for pct in seen)


# --- Rule packs from strangers: checked at load, within budgets that name the rule ---

@pytest.mark.parametrize("explanation, message", [
    ("{{ who.nmae }}", "the template names who.nmae, but who (a persons record) has no field 'nmae' (it has "),
    ("{{ tenure['strat'] | date }}", "the template names tenure.strat, but tenure (a tenures record) has no field"),
    ("ok\n{{ params.cure }}", "the template names params.cure, but the rule has no parameter 'cure' (it has none)"),
    ("{{ rule.titel }}", "the template names rule.titel, but the rule has no field 'titel' (it has "),
])
def test_a_template_naming_a_field_no_record_has_is_refused_when_rules_load(runner, tmp_path, explanation, message):
    rules = shared_rules(tmp_path, "", explanation=explanation)
    result = runner.invoke(main, ["rules", "--rules", str(rules)])
    assert result.exit_code == 4 and "Traceback" not in result.output
    assert f"shared-rule.yaml line 14: field 'explanation': {message}" in result.output


def test_a_template_may_name_fields_records_have_and_its_own_loop_variables(runner, tmp_path):
    explanation = ("{{ who.name }} {{ who.get('aliases') }} {{ tenure.start | date }} "
                   "{% for who in [1] %}{{ who.anything }}{% endfor %}")
    result = runner.invoke(main, ["rules", "--rules", str(shared_rules(tmp_path, "", explanation=explanation))])
    assert result.exit_code == 0, result.output


INLINE_TEST = """\
tests:
  - name: one_holder
    as_of: 2024-01-01
    records:
      organizations: [{id: o1, name: Ministry}]
      positions: [{id: pos1, title: Head, organization_id: o1}]
      persons: [{id: p1, name: A}]
      tenures: [{id: t1, person_id: p1, position_id: pos1, start: 2020-01-01}]
    expect: [{status: flagged, person: p1}]
"""


def test_riskcheck_test_reports_a_failing_template_as_a_failed_test_never_a_traceback(runner, tmp_path):
    rules = shared_rules(tmp_path, INLINE_TEST, explanation="{{ 'x' * 100000 * 5000 }}")
    result = runner.invoke(main, ["test", str(rules)])
    assert result.exit_code == 3 and "Traceback" not in result.output and result.exception is not None
    assert "FAIL  shared-rule::one_holder" in result.output
    assert "the test could not run: SecurityError: a template's repetition would build more than 100,000" in \
        result.output


@pytest.mark.parametrize("explanation, message", [
    ("{{ 'x' * 100000 * 5000 }}", "SecurityError: a template's repetition would build more than 100,000"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "RenderBudgetExceeded: a template looped more than 200,000 steps"),
    ("{{ who.name | center(1000000000) }}", "SecurityError: a template asked for a width or count of 1,000,000,000"),
    ("{{ '{:>999999999}'.format(who.name) }}", "SecurityError: a template's format names a width of a million"),
    ("{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "SecurityError: a template joined texts of more than 100,000 characters"),
])
def test_a_template_beyond_its_budget_loads_without_computing_and_stops_naming_the_rule(
        runner, write_case, tmp_path, explanation, message):
    import resource

    rules = shared_rules(tmp_path, "", explanation=explanation)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    listed = runner.invoke(main, ["rules", "--rules", str(rules)])
    assert listed.exit_code == 0, listed.output  # nothing is folded when the template compiles
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB: the 500 MB string is not made
    root = write_case("plain", {"case.yaml": minimal_case("plain")})
    result = run_with(runner, rules, root, tmp_path / "out")
    assert result.exit_code == 3
    assert f"rule shared-rule (shared-rule.yaml): the rule could not be evaluated on this case: {message}" \
        in result.output


def test_a_rule_query_beyond_its_time_is_cancelled_and_named_and_the_other_cases_run(
        runner, write_case, tmp_path, monkeypatch):
    """The time grows with the registry (a national one's rules take longer): 0.1 s per 20 persons stands
    for 300 s per million, so the 62 persons here have 0.4 s."""
    import riskcheck.rules.evaluation as evaluation

    monkeypatch.setattr(evaluation, "MAX_QUERY_SECONDS", 0.1)
    monkeypatch.setattr(evaluation, "PERSONS_PER_BUDGET", 20)
    crossed = RULE.replace("who: {from: persons, on: {id: tenure.person_id}}",
                           "who: {from: persons}\n" + "".join(f"  x{i}: {{from: persons}}\n" for i in range(4))
                           + "where:\n  - check: (if x0.name < x1.name then x2.name else x3.name) = (if who.name < x0.name then 'nobody' else 'none')\n")
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "shared-rule.yaml").write_text(crossed + "\nexplanation: x\n")
    root = write_case("crowd", {"case.yaml": minimal_case("crowd")})
    (root / "crowd" / "more.yaml").write_text("persons:\n" + "".join(f"  - {{id: q{i}, name: Q {i}}}\n"
                                                                      for i in range(60)))
    result = run_with(runner, folder, root, tmp_path / "out")
    assert result.exit_code == 3, result.output
    assert "rule shared-rule (shared-rule.yaml): the rule could not be evaluated on this case: QueryTooSlow: " \
           "its query ran longer than 0.4 s and was stopped" in result.output


def test_an_alpha_needing_endless_draws_stops_naming_the_rule():
    from riskcheck.rules.loader import load_rules
    from riskcheck.rules.testing import run_rule_test

    loaded = load_rules(REPO / "rules" / "signals" / "surname-clustering.yaml")[0]
    test = loaded.rule.tests[0].model_copy(update={"params": {"alpha": 1e-300}})
    result = run_rule_test(loaded, 0, test)
    assert not result.passed
    assert result.message.startswith("the test could not run: rule surname-clustering: alpha=1e-300")
    assert "more than the 10,000,000 riskcheck makes" in result.message


def test_template_budgets_never_refuse_data_that_only_looks_large():
    from riskcheck.templating import render_rule_text

    context = {"who": {"name": "A", "notes": "IIN: 900101300126; %1000000s {:>9999999}"}, "m": {"pool": 2_500_000}}
    text = ("{{ who.notes | truncate(60) }} | {{ m.pool | string }} | {{ '{:,}'.format(m.pool) }} | "
            "{{ '%d people' % m.pool }} | {{ who.notes | upper }}")
    assert render_rule_text(text, context) == ("IIN: 900101300126; %1000000s {:>9999999} | 2500000 | 2,500,000 | "
                                               "2500000 people | IIN: 900101300126; %1000000S {:>9999999}")


def test_a_unit_indicator_reports_how_many_units_it_has_tested(monkeypatch):
    """Its draws are no query DuckDB could report on: the run says how many units are tested, in order, and
    once more when all are, so a national run is never silent for minutes."""
    import riskcheck.indicators.workers as workers
    from riskcheck.pipeline import hearing_units

    seen = []
    with hearing_units(lambda done, of: seen.append((done, of)), first=0.0, every=0.0):
        squares = workers.in_unit_order(lambda n: n * n, list(range(7)), threads=2)
    assert squares == [n * n for n in range(7)]
    assert seen == [(n, 7) for n in range(1, 8)]
    with hearing_units(lambda done, of: seen.append((done, of)), first=3600, every=3600):
        workers.in_unit_order(lambda n: n, [1, 2, 3], threads=1)
    assert seen[-1] == (7, 7), "nothing is told before `first` seconds have passed"
    assert workers.units_tested.get() is None, "the listener is gone after the rule"

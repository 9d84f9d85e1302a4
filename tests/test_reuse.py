"""A run reuses a case's last results while nothing it rests on changed, and never gives stale ones."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from starlette.testclient import TestClient

from riskcheck.cli import main

from conftest import RULES, minimal_case

VERDICT = """\
verdicts:
  - {id: v2, person_id: p-son, offence: fraud, category: corruption, outcome: convicted,
     in_force_date: 2023-02-01, sources: [s1]}
"""


def run(runner, root, out, *extra):
    return runner.invoke(main, ["run", str(root), "--rules", str(RULES), "--out", str(out), *extra])


def files_of(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".riskcheck.lock" and ".riskcheck-cache" not in p.parts}


@pytest.fixture
def case_root(write_case):
    root = write_case("small", {"case.yaml": minimal_case("small"), "extra.yaml": "verdicts: []\n"})
    write_case("other", {"case.yaml": minimal_case("other")}, root)
    return root


def test_an_unchanged_case_is_reused_and_its_output_is_what_a_fresh_run_gives(runner, case_root, tmp_path):
    out = tmp_path / "out"
    first = run(runner, case_root, out)
    assert first.exit_code == 0 and "small: ran (no earlier results)" in first.stderr
    written = files_of(out)
    again = run(runner, case_root, out)
    assert again.exit_code == 0, again.output
    assert "small: reused" in again.stderr and "other: reused" in again.stderr
    assert again.stdout == first.stdout and files_of(out) == written
    fresh = tmp_path / "fresh"
    assert run(runner, case_root, fresh, "--no-cache").exit_code == 0
    assert files_of(fresh) == written


def test_a_changed_file_reruns_only_its_case_and_finds_what_a_fresh_run_finds(runner, case_root, tmp_path):
    out = tmp_path / "out"
    assert run(runner, case_root, out).exit_code == 0
    before = (out / "small" / "report.html").read_text()
    (case_root / "small" / "extra.yaml").write_text(VERDICT)
    again = run(runner, case_root, out)
    assert "small: re-ran (changed: extra.yaml)" in again.stderr and "other: reused" in again.stderr
    after = (out / "small" / "report.html").read_text()
    assert after != before  # the new verdict is counted: the cached report is not kept
    fresh = tmp_path / "fresh"
    run(runner, case_root, fresh, "--no-cache")
    assert files_of(out) == files_of(fresh)


def test_an_edited_rule_file_and_another_version_rerun_every_case(runner, case_root, tmp_path, monkeypatch):
    import riskcheck

    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    out = tmp_path / "out"
    args = ["run", str(case_root), "--rules", str(rules), "--out", str(out)]
    assert runner.invoke(main, args).exit_code == 0
    rule_file = rules / "kinship-convicted-official.yaml"
    rule_file.write_text(rule_file.read_text() + "\n# a comment is an edit too\n")
    assert "small: re-ran (changed: rules)" in runner.invoke(main, args).stderr
    assert "small: reused" in runner.invoke(main, args).stderr
    monkeypatch.setattr(riskcheck, "__version__", "99.0.0")
    assert "small: re-ran (changed: riskcheck version)" in runner.invoke(main, args).stderr
    assert "small: re-ran (changed: options)" in runner.invoke(main, [*args, "--as-of", "2024-02-01"]).stderr


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.write_bytes(b"\x00\xffnot json"), "entry.json cannot be read"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "format": 0})), "another version of riskcheck"),
    (lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "result": {"id": 1}})), "could not be used"),
    (lambda p: p.write_text("[1, 2]"), "is not a cache file"),
])
def test_a_damaged_cache_means_a_clean_full_run_with_one_line_saying_why(runner, case_root, tmp_path, damage,
                                                                         words):
    out = tmp_path / "out"
    assert run(runner, case_root, out).exit_code == 0
    written = files_of(out)
    damage(out / ".riskcheck-cache" / "small" / "entry.json")
    again = run(runner, case_root, out)
    assert again.exit_code == 0, again.output
    line = next(x for x in again.stderr.splitlines() if x.startswith("small: "))
    assert line.startswith("small: ran (the cache could not be used") and words in line
    assert files_of(out) == written
    assert "small: reused" in run(runner, case_root, out).stderr  # the entry was written whole again


def test_a_renamed_cases_folder_reruns_since_pages_name_files_by_it(runner, case_root, tmp_path):
    out = tmp_path / "out"
    assert run(runner, case_root, out).exit_code == 0
    moved = case_root.rename(tmp_path / "my-cases")
    again = run(runner, moved, out)
    assert "small: re-ran (changed: folder name)" in again.stderr  # a warning names "my-cases/small/..."


def test_a_missing_or_edited_report_is_written_again(runner, case_root, tmp_path):
    out = tmp_path / "out"
    assert run(runner, case_root, out).exit_code == 0
    written = files_of(out)
    (out / "small" / "report.html").write_text("edited by hand")
    assert "small: re-ran (its report files are missing or were changed)" in run(runner, case_root, out).stderr
    shutil.rmtree(out / "other")
    assert "other: re-ran" in run(runner, case_root, out).stderr
    assert files_of(out) == written


def test_a_cache_that_cannot_be_written_costs_the_reuse_never_the_run(runner, case_root, tmp_path):
    out = tmp_path / "out"
    (out / ".riskcheck-cache").mkdir(parents=True)
    (out / ".riskcheck-cache" / "small").write_text("a file where the case's folder would go")
    result = run(runner, case_root, out)
    assert result.exit_code == 0 and (out / "small" / "report.html").is_file()
    again = run(runner, case_root, out).stderr
    assert "small: ran (no earlier results)" in again and "other: reused" in again


def test_no_cache_neither_reads_nor_writes_it(runner, case_root, tmp_path):
    out = tmp_path / "out"
    result = run(runner, case_root, out, "--no-cache")
    assert result.exit_code == 0 and "reused" not in result.output and "ran (" not in result.output
    assert not (out / ".riskcheck-cache").exists()
    elsewhere = tmp_path / "kept"
    assert run(runner, case_root, out, "--cache", str(elsewhere)).exit_code == 0
    assert (elsewhere / "small" / "entry.json").is_file() and not (out / ".riskcheck-cache").exists()
    assert "small: reused" in run(runner, case_root, out, "--cache", str(elsewhere)).stderr


def test_a_result_read_back_from_the_cache_renders_the_same_report(case_root, tmp_path):
    from riskcheck.registry.load import load_case
    from riskcheck.report.render import findings_document, render_case_html
    from riskcheck.reuse import ENTRY, CaseCache, result_from_json
    from riskcheck.rules.loader import load_rules
    from riskcheck.pipeline import run_cases
    from riskcheck.results import RunOptions

    rules = load_rules(RULES)
    cache = CaseCache(tmp_path / "cache", views=False)
    (result,) = run_cases(case_root, rules, RunOptions(), cache=cache, only={"small"})
    assert result.findings and (tmp_path / "cache" / "small" / ENTRY).is_file()
    entry, _ = CaseCache(tmp_path / "cache").entry("small")
    back = result_from_json(entry["result"], rules)
    assert back == result
    registry = load_case(case_root / "small", case_root)
    try:
        assert render_case_html(back, registry, rules) == render_case_html(result, registry, rules)
        assert findings_document(back, rules, registry) == findings_document(result, rules, registry)
    finally:
        registry.close()


def test_serve_starts_from_the_last_run_and_says_when_a_case_is_out_of_date(runner, case_root, tmp_path):
    from riskcheck.cli.serve import recheck_in_background, starting_views
    from riskcheck.review.events import reviews_path
    from riskcheck.rules.loader import load_rules
    from riskcheck.serve.app import make_app

    out = tmp_path / "out"
    assert run(runner, case_root, out).exit_code == 0
    rules = load_rules(RULES)
    views, stale, checked = starting_views(case_root, rules, None, False, out, None, False)
    assert set(views) == {"small", "other"} and not stale and not checked  # nothing checked: all from the cache
    (case_root / "small" / "extra.yaml").write_text(VERDICT)
    views, stale, checked = starting_views(case_root, rules, None, False, out, None, False)
    assert stale == {"small": "changed since the last run (extra.yaml)"} and not checked
    app = make_app(views, reviews_path(case_root), {r.id: r.rule for r in rules}, stale=stale)
    client = TestClient(app, base_url="http://127.0.0.1")
    page = client.get("/cases/small/").text
    assert "Out of date: these are the last run" in page and "(extra.yaml)" in page
    assert "out of date" in client.get("/").text
    assert "Out of date" not in client.get("/cases/other/").text
    cached_view = app.state.pages.views["small"]
    recheck_in_background(app.state.pages, case_root, rules, None, False, set(stale)).join()
    assert "Out of date" not in client.get("/cases/small/").text and not app.state.pages.stale
    assert app.state.pages.views["small"] is not cached_view


def test_two_runs_sharing_a_cache_leave_one_whole_entry_never_a_mix(case_root, tmp_path):
    """The view is written before the entry that names it; a view of another run's entry is not used."""
    from riskcheck.pipeline import cached_views, run_cases
    from riskcheck.results import RunOptions
    from riskcheck.reuse import CaseCache
    from riskcheck.rules.loader import load_rules

    rules = load_rules(RULES)
    folder = tmp_path / "shared-cache"
    run_cases(case_root, rules, RunOptions(), cache=CaseCache(folder), only={"small"})
    entry = (folder / "small" / "entry.json").read_bytes()
    run_cases(case_root, rules, RunOptions(as_of=date(2024, 2, 1)), cache=CaseCache(folder), only={"small"})
    (folder / "small" / "entry.json").write_bytes(entry)  # as if the first run's entry were renamed in last
    views, stale, missing = cached_views(case_root, rules, None, False, CaseCache(folder))
    assert "small" not in views and missing["small"] == "the cache's view is of another run"
    assert not list(folder.rglob(".tmp-*"))


def test_the_last_evidence_read_ahead_is_what_reading_it_then_gives_and_fails_alike(tmp_path):
    """A re-run reads the last findings.json's evidence in a thread while it loads its kept store: taken, it is
    what reading it then gives; a failure is raised where it is taken; one not taken is dropped."""
    import hashlib

    from riskcheck.reuse import CaseCache

    reports = tmp_path / "out"
    (reports / "case").mkdir(parents=True)
    text = json.dumps({"findings": [{"id": "f1", "rule": "r", "review": {"state": "new"}}, {"id": 2}]}).encode()
    (reports / "case" / "findings.json").write_bytes(text)
    cache = CaseCache(tmp_path / "cache", reports)
    cache.earlier["case"] = {"reports": {"findings.json": hashlib.sha256(text).hexdigest()}}
    direct = cache.earlier_evidence("case")
    assert direct == {"f1": {"id": "f1", "rule": "r"}}
    cache.read_evidence_ahead("case")
    assert "case" in cache.evidence_ahead and cache.earlier_evidence("case") == direct
    assert "case" not in cache.evidence_ahead  # taken once
    cache.earlier["case"] = {"reports": "not a mapping of files"}
    cache.read_evidence_ahead("case")
    assert cache.earlier_evidence("case") is None
    listed = b"[1, 2]"  # a findings.json that is no document: what reading it raises, raised where it is taken
    (reports / "case" / "findings.json").write_bytes(listed)
    cache.earlier["case"] = {"reports": {"findings.json": hashlib.sha256(listed).hexdigest()}}
    cache.read_evidence_ahead("case")
    with pytest.raises(AttributeError):
        cache.earlier_evidence("case")
    cache.read_evidence_ahead("case")
    cache.drop_evidence("case")
    assert not cache.evidence_ahead

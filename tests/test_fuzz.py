"""Property-based fuzzing: whatever a stranger's files hold, riskcheck checks them or says what is wrong.

A short, derandomized run here (same inputs every CI run); `python bench/fuzz.py --inputs 100000`
runs the same mutations at length.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskcheck.errors import ProblemError
from riskcheck.rules.loader import load_rules
from riskcheck.yamlio import load_yaml_text

from conftest import REPO, RULES

sys.path.insert(0, str(REPO / "bench"))
from fuzz import (DATES, FTM_SEED, OPS, TOKENS, Mutation, build_input, check_ftm, check_load, check_run,  # noqa: E402
                  check_workbook, make_workbook, mutate_ftm, seed_cases)

def ci(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


_RULES = []


def shipped_rules():
    if not _RULES:
        _RULES.extend(load_rules(RULES))
    return _RULES


mutations = st.lists(st.tuples(st.integers(0, 10**6),
                               st.builds(Mutation, st.sampled_from(OPS), st.integers(0, 10**6),
                                         st.sampled_from(TOKENS + DATES) | st.text(max_size=12))),
                     min_size=1, max_size=3)


@ci(300)
@given(st.text(max_size=300) | st.sampled_from(TOKENS).map(lambda t: f"a: {t}\nb: [{t}, *x]\n"))
def test_the_yaml_reader_returns_values_or_says_what_is_wrong(text):
    try:
        load_yaml_text(text, "fuzz.yaml")
    except ProblemError as exc:
        assert all(p.file == "fuzz.yaml" for p in exc.problems)


@ci(40)
@given(case=st.sampled_from(seed_cases()), damage=mutations)
def test_a_damaged_shipped_case_is_checked_or_refused_with_a_message(case, damage):
    with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
        root = build_input(Path(tmp), case, damage)
        outcome = check_run(root, Path(tmp) / "out", shipped_rules())
        assert not outcome.startswith("FAILURE"), outcome
        assert (Path(tmp) / "out" / "index.html").exists()


@ci(60)
@given(header=st.lists(st.sampled_from(["id", "name", "birth_date", "gender", "aliases", "id;name", "", "x"]),
                       min_size=1, max_size=5),
       cells=st.lists(st.lists(st.text(max_size=8) | st.sampled_from(TOKENS + DATES), max_size=6), max_size=5),
       separator=st.sampled_from([",", ";", "\t"]))
def test_a_malformed_persons_csv_is_read_or_refused_with_a_message(header, cells, separator):
    def row(values):
        return separator.join('"' + v.replace('"', '""') + '"' if any(c in v for c in ',;"\n') else v
                              for v in values)

    with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
        folder = Path(tmp) / "cases" / "csv-case"
        folder.mkdir(parents=True)
        (folder / "case.yaml").write_text("id: csv-case\nas_of: 2024-01-01\n")
        (folder / "persons.csv").write_text("\n".join([row(header)] + [row(c) for c in cells]) + "\n",
                                            encoding="utf-8", errors="surrogatepass")
        assert not check_load(Path(tmp) / "cases").startswith("FAILURE")


FTM_LINES = FTM_SEED.read_text(encoding="utf-8").splitlines()


@ci(80)
@given(rng=st.randoms(use_true_random=False))
def test_a_damaged_followthemoney_file_is_imported_or_refused_with_a_message(rng):
    with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
        outcome = check_ftm(mutate_ftm(FTM_LINES, rng), Path(tmp), validate=False)
        assert not outcome.startswith("FAILURE"), outcome


@ci(8)
@given(rng=st.randoms(use_true_random=False))
def test_what_a_damaged_followthemoney_file_imports_to_validates(rng):
    with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
        outcome = check_ftm(mutate_ftm(FTM_LINES, rng), Path(tmp), validate=True)
        assert not outcome.startswith("FAILURE"), outcome


@ci(60)
@given(rng=st.randoms(use_true_random=False), validate=st.sampled_from([False] * 7 + [True]))
def test_a_damaged_workbook_is_read_or_refused_with_a_message_naming_no_absolute_path(rng, validate):
    with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
        folder = Path(tmp) / "cases" / "book"
        folder.mkdir(parents=True)
        (folder / "case.yaml").write_text("id: book\nas_of: 2024-01-01\nsources: [{id: s1, title: Register}]\n")
        make_workbook(folder / "registry.xlsx", rng)
        outcome = check_workbook(folder / "registry.xlsx", Path(tmp) / "cases", validate)
        assert not outcome.startswith("FAILURE"), outcome


def test_the_fuzzer_at_length_runs_its_reader_targets_and_counts_their_inputs(capsys):
    import fuzz

    assert fuzz.main(["--inputs", "12", "--target", "ftm", "--target", "workbook"]) == 0
    printed = capsys.readouterr().out
    assert "inputs tried: 24 in" in printed
    assert "ftm: 12 inputs;" in printed and "workbook: 12 inputs;" in printed
    assert "unhandled failures: 0 (0 signatures)" in printed

"""The docs are tested: generated pages are current, the worked example runs, the tutorial's claims hold."""

import json
import re
import shutil
import tomllib

from riskcheck.cli import main
from riskcheck.cli.docs import cli_reference
from riskcheck.report.rule_docs import rule_page, rules_index
from riskcheck.rules.loader import load_rules
from riskcheck.rules.testing import run_rule_tests

from conftest import ALL_RULES, CASES, REPO, RULES


def test_generated_rule_pages_and_cli_reference_are_current():
    rules = load_rules(ALL_RULES)
    stale = [r.id for r in rules if (REPO / "docs" / "rules" / f"{r.id}.md").read_text() != rule_page(r)]
    stale += [f"{lang}/{r.id}" for r in rules for lang in r.rule.translations
              if (REPO / "docs" / "rules" / lang / f"{r.id}.md").read_text() != rule_page(r, lang)]
    assert not stale, f"run `riskcheck docs`: stale pages for {stale}"
    assert (REPO / "docs" / "rules" / "README.md").read_text() == rules_index(rules)
    assert (REPO / "docs" / "cli.md").read_text() == cli_reference(main), "run `riskcheck docs`"


def test_the_worked_example_rule_passes_its_tests():
    (example,) = load_rules(REPO / "docs" / "examples")
    results = run_rule_tests(example)
    assert results and all(r.passed for r in results), [r.message for r in results if not r.passed]


def test_tutorial_new_data_flips_the_kinship_finding(tmp_path, runner):
    cases = tmp_path / "cases"
    shutil.copytree(CASES, cases)
    verdicts = cases / "imanaliev-appointment" / "verdicts.yaml"
    verdicts.write_text(verdicts.read_text() + "  category: corruption\n  in_force_date: 2021-06-10\n")
    result = runner.invoke(main, ["run", str(cases / "imanaliev-appointment"), "--rules", str(RULES),
                                  "--out", str(tmp_path / "out")])
    assert "imanaliev-appointment: 1 flagged, 1 undetermined (as of 2025-11-01)" in result.output
    doc = json.loads((tmp_path / "out" / "imanaliev-appointment" / "findings.json").read_text())
    assert {f["rule"]: f["status"] for f in doc["findings"]} == {
        "kinship-convicted-official": "flagged", "reserve-relative-conflict": "undetermined"}


def test_readme_names_the_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "pip install -e . && riskcheck run cases/" in readme
    assert "pip install -e '.[test]' && pytest" in readme


def _doc_pages() -> list:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_every_riskcheck_path_the_docs_name_exists():
    """A module renamed or split leaves no page pointing at a file that is gone."""
    missing = []
    for page in _doc_pages():
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for path in re.findall(r"riskcheck/[\w./-]*\w", line):
                if not (REPO / path).exists():
                    missing.append(f"{page.relative_to(REPO)} line {number}: {path}")
    assert not missing, missing


def drawn_layers(design: str) -> list[str]:
    """The layers of design.md's drawing, top to bottom: the unindented lines of the block under "The layers",
    each up to its description (a layer of several packages stands alone on its line, its members indented)."""
    section = design.split("## The layers", 1)[1]
    block = section.split("```", 2)[1]
    return [re.split(r"\s{2,}", line)[0] for line in block.splitlines() if line and not line[0].isspace()]


def package_parts() -> set[str]:
    """The packages and top-level modules of riskcheck/: what the layers and the README's layout must place."""
    package = REPO / "riskcheck"
    parts = {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    return parts | {p.stem for p in package.glob("*.py") if not p.stem.startswith("__")}


def test_the_drawing_of_the_layers_is_the_contract_ci_checks():
    """docs/design.md draws the layers pyproject.toml's import-linter contract enforces, in its order, and
    every package and top-level module of riskcheck/ stands in one of them."""
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert drawn_layers((REPO / "docs" / "design.md").read_text()) == layers
    placed = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    assert placed == package_parts()


def test_the_drawing_is_read_as_written():
    """The reader of the drawing sees a layer of several packages and skips its indented members."""
    design = ("## The layers\n\n```\ncli             the command\nreport | synth\n    report      pages\n"
              "errors : sqlio\n    sqlio       quoting\n```\n\n## Next\n\n```\nnot a layer\n```\n")
    assert drawn_layers(design) == ["cli", "report | synth", "errors : sqlio"]


def test_the_readme_layout_lists_every_package_and_module_of_riskcheck():
    """The README's layout names each part of the package once, as the tree has it (`registry/`, `sqlio.py`)."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    listed = [m.group(1) for m in re.finditer(r"^  (\w+)(?:/|\.py)\s", block, re.MULTILINE)]
    assert sorted(listed) == sorted(package_parts())

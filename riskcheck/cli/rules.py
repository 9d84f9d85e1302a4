"""`riskcheck test` and `riskcheck rules`: run the rules' own tests, list the rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from riskcheck.cli.common import EXIT_CASE_FAILED, load_rules_or_exit, rule_paths, rules_option
from riskcheck.rules.shipped import shown_rule_path
from riskcheck.rules.testing import run_rule_tests


@click.command("test")
@click.argument("rule_paths_given", metavar="[RULES]...", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-k", "keyword", default=None, help="Run only tests whose rule id or name contains this text.")
def test_command(rule_paths_given: tuple[Path, ...], keyword: str | None) -> None:
    """Run the inline tests of the rules in RULES (folders or rule files; default: the shipped rules).

    Each test is a small registry and the findings it must give (status, person, related
    persons). Tests marked known_gap record a limitation and do not fail the run. A rule that
    translates its texts (`translations:`) then writes its findings in each of its languages
    (in_ru, in_kk ...), so a translated template that fails is found here, not in a report.

    \b
    Examples:
      riskcheck test
      riskcheck test my-rules/
      riskcheck test rules/kz/subordinate-corruption-resignation.yaml
      riskcheck test -k day_eleven
    """
    rules = load_rules_or_exit(rule_paths(rule_paths_given, ()))
    passed = failed = gaps = 0
    for loaded in rules:
        for result in run_rule_tests(loaded, keyword):
            shown = shown_rule_path(loaded.path)
            where = f"{shown}:{result.line}" if result.line else shown
            if result.passed and result.known_gap:
                gaps += 1
                click.echo(f"gap   {result.rule}::{result.name} ({result.message})")
            elif result.passed:
                passed += 1
                click.echo(f"ok    {result.rule}::{result.name}")
            else:
                failed += 1
                click.secho(f"FAIL  {result.rule}::{result.name} at {where}: {result.message}", fg="red")
    click.echo(f"{passed} passed, {failed} failed" + (f", {gaps} known gaps" if gaps else ""))
    if failed:
        sys.exit(EXIT_CASE_FAILED)


@click.command("rules")
@rules_option
@click.option("--params", "show_params", is_flag=True, help="Also list each rule's parameters and defaults.")
def rules_command(chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], show_params: bool) -> None:
    """List the rules: id, jurisdiction (pack), version, kind, severity, title.

    \b
    Examples:
      riskcheck rules
      riskcheck rules --params
      riskcheck rules --rules rules/br
    """
    rules = load_rules_or_exit(rule_paths(chosen_rules, added_rules))
    rows = [(r.id, r.rule.jurisdiction or "any", r.rule.version, r.rule.kind, r.rule.severity, r.rule.title)
            for r in rules]
    header = ("id", "pack", "version", "kind", "severity", "title")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(5)]
    for row in [header, *rows]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row[:5], widths)) + "  " + row[5])
        if show_params and row is not header:
            rule = next(r for r in rules if r.id == row[0]).rule
            for name, p in rule.parameters.items():
                default = ", ".join(p.default) if isinstance(p.default, list) else p.default
                click.echo(f"    {name} ({p.type}) = {default}")

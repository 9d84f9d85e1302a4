"""`riskcheck docs`: regenerate the reference pages from the rule files and the CLI's own help.

Generated pages are committed; tests/test_docs.py fails when one is stale, so the docs cannot drift
from the rules or the commands they describe.
"""

from __future__ import annotations

from pathlib import Path

import click

from riskcheck.cli.common import load_rules_or_exit, rule_paths, rules_option
from riskcheck.report.rule_docs import cli_reference, rule_page, rules_index


@click.command("docs")
@rules_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("docs"),
              show_default=True, help="The docs folder to write docs/rules/*.md and docs/cli.md into.")
def docs_command(chosen_rules: tuple[Path, ...], added_rules: tuple[Path, ...], out_dir: Path) -> None:
    """Write one page per rule (docs/rules/<id>.md) and the CLI reference (docs/cli.md).

    \b
    Example:
      riskcheck docs
    """
    from riskcheck.cli import main

    rules = load_rules_or_exit(rule_paths(chosen_rules, added_rules))
    (out_dir / "rules").mkdir(parents=True, exist_ok=True)
    for loaded in rules:
        (out_dir / "rules" / f"{loaded.id}.md").write_text(rule_page(loaded), encoding="utf-8")
    (out_dir / "rules" / "README.md").write_text(rules_index(rules), encoding="utf-8")
    (out_dir / "cli.md").write_text(cli_reference(main), encoding="utf-8")
    click.echo(f"Wrote {len(rules)} rule pages and the CLI reference into {out_dir}")

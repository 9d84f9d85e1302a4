"""Options and helpers shared by several commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from riskcheck.errors import ProblemError
from riskcheck.rules.loader import LoadedRule, load_rules
from riskcheck.textsafety import reveal

EXIT_FAIL_ON = 1
EXIT_CASE_FAILED = 3
EXIT_RULES_BROKEN = 4

rules_option = click.option(
    "--rules", "rules_dir", type=click.Path(path_type=Path), default=Path("rules"), show_default=True,
    help="Folder of rule files (or one rule file).",
)


def load_rules_or_exit(rules_dir: Path) -> list[LoadedRule]:
    try:
        return load_rules(rules_dir)
    except ProblemError as exc:
        click.secho(reveal(f"The rules in {rules_dir} have problems:"), fg="red", err=True)
        for problem in exc.problems:
            click.echo(reveal(f"  {problem}"), err=True)
        sys.exit(EXIT_RULES_BROKEN)


class StageLog:
    """One line per finished stage, with counts and elapsed time, on an interactive terminal only."""

    def __init__(self):
        import time

        self.clock = time.perf_counter
        self.start = self.clock()
        self.enabled = sys.stderr.isatty()

    def __call__(self, case: str, text: str) -> None:
        if self.enabled:
            click.echo(reveal(f"  [{self.clock() - self.start:6.1f}s] {case}: {text}"), err=True)


class Progress:
    """A progress line on an interactive terminal; silent in pipes, files and CI logs."""

    def __init__(self, label: str):
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.bar = None

    def __call__(self, item: str, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                         item_show_func=lambda x: reveal(x or ""))
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos, item)
        if done >= total:
            self.bar.__exit__(None, None, None)
            self.bar = None

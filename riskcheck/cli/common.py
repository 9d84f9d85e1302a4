"""Options and helpers shared by several commands."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

import click

from riskcheck.cache_names import CACHE_NAME
from riskcheck.errors import ProblemError
from riskcheck.i18n import LANGUAGES, UnknownLanguage, language
from riskcheck.registry.dates import DateFormatError, parse_exact_date
from riskcheck.rules.shipped import shipped_rules_dir, shown_rule_path
from riskcheck.textsafety import reveal

if TYPE_CHECKING:  # click names the type only in a private module; only mypy reads it
    from click._termui_impl import ProgressBar

    from riskcheck.rules.loader import LoadedRule

EXIT_FAIL_ON = 1
EXIT_CASE_FAILED = 3
EXIT_RULES_BROKEN = 4



_Command = TypeVar("_Command", bound=Callable)


def cache_options(command: _Command) -> _Command:
    """--cache names the folder of reusable results (OUT/.riskcheck-cache unless told), --no-cache bypasses it."""
    command = click.option(
        "--no-cache", "no_cache", is_flag=True,
        help="Check every case afresh, without the cache of earlier results.")(command)
    return click.option(
        "--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="The folder of earlier results that a run keeps and later runs and the app reuse (default: "
             "OUT/.riskcheck-cache). It may be deleted at any time.")(command)


def cache_folder(out_dir: Path, cache_dir: Path | None) -> Path:
    return cache_dir if cache_dir is not None else out_dir / CACHE_NAME


def say_reuse(case: str, how: str) -> None:
    """One line per case: reused, re-ran (changed: ...) or ran (and why)."""
    click.echo(reveal(f"{case}: {how}"), err=True)


def rules_option(command: _Command) -> _Command:
    """--rules replaces the shipped rules, --add-rules adds to them; both take folders or files, repeated."""
    command = click.option(
        "--add-rules", "added_rules", type=click.Path(exists=True, path_type=Path), multiple=True,
        help="Also run the rules in this folder (or rule file), beside the shipped ones. Repeatable.")(command)
    return click.option(
        "--rules", "chosen_rules", type=click.Path(exists=True, path_type=Path), multiple=True,
        help="Run the rules in this folder (or rule file) instead of the shipped ones "
             "(e.g. --rules my-rules/ or one pack, --rules rules/kz). Repeatable.")(command)


def as_of_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """The click callback for --as-of: an exact date, or a usage error that says which forms are accepted."""
    if value is None:
        return None
    try:
        return parse_exact_date(value)
    except DateFormatError as exc:
        raise click.BadParameter(str(exc)) from None


def language_choice(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The click callback for --lang: a language riskcheck writes (pt and uz stand for pt_BR and uz_Latn)."""
    if value is None:
        return None
    try:
        return language(value)
    except UnknownLanguage as exc:
        raise click.BadParameter(str(exc)) from None


lang_option = click.option("--lang", "lang", callback=language_choice, metavar="|".join(LANGUAGES),
                           help="Write in this language, whatever each case's `language:` says (pt and uz "
                                "stand for pt_BR and uz_Latn).")


def rule_paths(chosen: tuple[Path, ...], added: tuple[Path, ...]) -> list[Path]:
    return [*(chosen or [shipped_rules_dir()]), *added]


def load_rules_or_exit(paths: list[Path]) -> list[LoadedRule]:
    from riskcheck.rules.loader import load_rules  # imported when needed: `riskcheck run` reads a case meanwhile

    try:
        return load_rules(paths)
    except ProblemError as exc:
        shown = ", ".join(shown_rule_path(p) for p in paths)
        click.secho(reveal(f"The rules in {shown} have problems:"), fg="red", err=True)
        for problem in exc.problems:
            click.echo(reveal(f"  {problem}"), err=True)
        sys.exit(EXIT_RULES_BROKEN)


class StageLog:
    """One line per finished stage, with counts and elapsed time, on an interactive terminal (or always, with
    `always`: a national run logged to a file says where it is)."""

    def __init__(self, always: bool = False) -> None:
        import time

        self.clock = time.perf_counter
        self.start = self.clock()
        self.enabled = always or sys.stderr.isatty()

    def __call__(self, case: str, text: str) -> None:
        if self.enabled:
            click.echo(reveal(f"  [{self.clock() - self.start:6.1f}s] {case}: {text}"), err=True)


class Progress:
    """A progress line on an interactive terminal; silent in pipes, files and CI logs."""

    def __init__(self, label: str):
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.bar: ProgressBar[str] | None = None

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

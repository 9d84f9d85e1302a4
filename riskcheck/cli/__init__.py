"""The `riskcheck` command: one click group; each command family lives in a sibling module."""

from __future__ import annotations

import gc
import importlib
import sys

import click

from riskcheck import __version__

# Each command's module, imported when the command is asked for (or the commands are listed): `riskcheck run`
# starts reading a large case before the modules it does not need yet are imported (riskcheck.cli.run).
COMMANDS = {"run": "riskcheck.cli.run:run_command", "validate": "riskcheck.cli.run:validate_command",
            "test": "riskcheck.cli.rules:test_command", "rules": "riskcheck.cli.rules:rules_command",
            "docs": "riskcheck.cli.docs:docs_command", "synth": "riskcheck.cli.synth:synth_command",
            "names": "riskcheck.cli.names:names_group", "import": "riskcheck.cli.interchange:import_group",
            "export": "riskcheck.cli.interchange:export_group", "reviews": "riskcheck.cli.reviews:reviews_group",
            "serve": "riskcheck.cli.serve:serve_command"}


class LazyGroup(click.Group):
    """A group whose commands are imported by name from COMMANDS when click asks for them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


GC_THRESHOLDS = (100_000, 50, 100)  # Python's defaults: (700, 10, 10)
SWITCH_INTERVAL = 0.0005  # seconds; Python's default: 0.005


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="riskcheck")
def main() -> None:
    """Rule-based integrity and nepotism-risk checks over appointment registries.

    riskcheck reads case folders (people, posts, tenures, family relations, verdicts,
    resignations, reserve memberships and the sources of every fact), runs the YAML rules
    in rules/, and writes a reasoned HTML report per case. Findings are leads to verify,
    not verdicts about people.

    \b
    Examples:
      riskcheck run cases/                      check every case, reports in reports/
      riskcheck validate cases/                 check the data only
      riskcheck test rules/                     run the rules' own tests
      riskcheck rules                           list the rules and their parameters
      riskcheck names compare "Tokayev" "Тоқаев"  compare two names across scripts
      riskcheck import ftm peps.json cases/peps  make a case from FollowTheMoney data
      riskcheck serve cases/                    review the findings in the browser

    Exit codes: 0 success; 1 --fail-on threshold reached; 2 usage error; 3 a case or a
    rule test failed; 4 the rules could not be loaded.
    """
    # A run holds hundreds of thousands of small objects for its whole length (records, findings, their
    # evidence, the hints), none in a cycle. Python's cycle collector, by default run every 700 allocations,
    # walked them again and again: a million persons' re-run spent half a second in it (5.5 s to 4.9 s with
    # the collector run a hundred times less often), the full run a fifth to half a second. Cycles are still
    # collected, just less often.
    gc.set_threshold(*GC_THRESHOLDS)
    # DuckDB runs a statement without Python's lock and takes it back to return; while another thread holds it
    # (the imports beside the read ahead, name parsing beside validation), the return waited up to the switch
    # interval. The read ahead makes some thirty statements before it reads its first file: at a million
    # persons the files were read 0.2 s sooner, and the whole run 0.3 s shorter, with a tenth of the default.
    sys.setswitchinterval(SWITCH_INTERVAL)

"""The `riskcheck` command: one click group; each command family lives in a sibling module."""

from __future__ import annotations

import gc

import click

from riskcheck import __version__
from riskcheck.cli.docs import docs_command
from riskcheck.cli.interchange import export_group, import_group
from riskcheck.cli.names import names_group
from riskcheck.cli.reviews import reviews_group
from riskcheck.cli.rules import rules_command, test_command
from riskcheck.cli.run import run_command, validate_command
from riskcheck.cli.serve import serve_command
from riskcheck.cli.synth import synth_command


GC_THRESHOLDS = (100_000, 50, 100)  # Python's defaults: (700, 10, 10)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


main.add_command(run_command)
main.add_command(validate_command)
main.add_command(test_command)
main.add_command(rules_command)
main.add_command(docs_command)
main.add_command(synth_command)
main.add_command(names_group)
main.add_command(import_group)
main.add_command(export_group)
main.add_command(reviews_group)
main.add_command(serve_command)

"""The words a finding is told in: its statuses and severities, in the order a report lists them.

One place, so the rule grammar, the compiled SQL's ranking, the report's counts, the app's filters and
`riskcheck run --fail-on` cannot disagree on what a status is or which comes first.
"""

from __future__ import annotations

from typing import Literal, get_args

from riskcheck.i18n import N_

# Most pressing first: the order of a report's findings, its count columns and the compiled rules' ranking.
STATUSES = ("flagged", "pending", "undetermined", "complied")
STATUS_ORDER = {status: rank for rank, status in enumerate(STATUSES)}
# A lead is a finding a reader should act on: the rule's risk holds, or a duty is open.
LEAD_STATUSES = ("flagged", "pending")

SEVERITIES = ("high", "medium", "low")
# The words as a reader sees them, marked for the catalogs: riskcheck.i18n's _() translates them where shown.
WORDS_FOR_READERS = (N_("flagged"), N_("pending"), N_("undetermined"), N_("complied"),
                     N_("high"), N_("medium"), N_("low"))
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}
UNKNOWN_SEVERITY_RANK = 9  # after every known severity

# The same words as types, for the rule grammar. Their order is the one the grammar's error messages
# have always listed them in ("Input should be 'flagged', 'pending', 'complied' or 'undetermined'").
Status = Literal["flagged", "pending", "complied", "undetermined"]
Severity = Literal["high", "medium", "low"]
assert set(get_args(Status)) == set(STATUSES) and get_args(Severity) == SEVERITIES


def severity_rank(severity: str) -> int:
    """Where a severity sorts; one riskcheck does not know sorts last."""
    return SEVERITY_ORDER.get(severity, UNKNOWN_SEVERITY_RANK)

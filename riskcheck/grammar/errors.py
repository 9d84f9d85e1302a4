"""The error a rule file's compiler raises: every problem it found, each at its place in the rule file.

Rules of both kinds (kinship rules, compiled to SQL by riskcheck.engine, and unit indicators, checked by
riskcheck.indicators) raise it, and riskcheck.rules.loader turns each place into the file's line.
"""

from __future__ import annotations

from pydantic_core import ErrorDetails

from riskcheck.errors import RiskcheckError


class RuleError(RiskcheckError, ValueError):
    """Problems found in one rule: a list of (location in the rule file, message)."""

    def __init__(self, problems: list[tuple[tuple, str]]):
        self.problems = problems
        super().__init__("; ".join(m for _, m in problems))


def validation_problem(err: ErrorDetails) -> tuple[tuple, str]:
    """One of pydantic's complaints about a rule file as (place in the file, message in the rule language's
    words): the place without pydantic's own steps (a union's branch, a validator's name), the message without
    its prefix, an unknown or missing key said plainly. The grammar's and a method's settings read alike."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "is required"
    elif message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return loc, message

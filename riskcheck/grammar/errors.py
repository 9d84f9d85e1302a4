"""The error a rule file's compiler raises: every problem it found, each at its place in the rule file.

Rules of both kinds (kinship rules, compiled to SQL by riskcheck.engine, and unit indicators, checked by
riskcheck.indicators) raise it, and riskcheck.rules.loader turns each place into the file's line.
"""

from __future__ import annotations

from riskcheck.errors import RiskcheckError


class RuleError(RiskcheckError, ValueError):
    """Problems found in one rule: a list of (location in the rule file, message)."""

    def __init__(self, problems: list[tuple[tuple, str]]):
        self.problems = problems
        super().__init__("; ".join(m for _, m in problems))

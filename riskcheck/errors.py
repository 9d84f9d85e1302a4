"""User-facing problems: one message that names where the problem is, and an error carrying many.

Validation collects every problem it finds before it stops, so a data keeper fixes a file in one
pass instead of one error per run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from riskcheck.textsafety import reveal


class RiskcheckError(Exception):
    """The root of every exception riskcheck defines, so a caller can tell riskcheck's own refusals and
    failures from a library's or Python's; each also keeps the built-in base (ValueError, ...) code catches."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows."""

    file: str
    line: int | None
    message: str
    record: str | None = None
    field: str | None = None
    row_word: str = "line"  # CSV problems say "row"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" {self.row_word} {self.line}"
        subject = ""
        if self.record:
            subject += f"record {self.record!r}"
        if self.field:
            subject += (", " if subject else "") + f"field {self.field!r}"
        return reveal(f"{where}: {subject + ': ' if subject else ''}{self.message}")


class ProblemError(RiskcheckError):
    """Raised with every problem found; str() lists them one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_problem_order)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.record or "", p.field or "", p.message)


def failure_words(exc: BaseException) -> str:
    """An unexpected error in one line a reader can act on (no traceback, no paths of this machine).

    Here, below every stage, so that a run and a rule's inline tests word the same failure alike."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "Out of Memory" in text or isinstance(exc, MemoryError):
        return ("it needed more memory than riskcheck may use (a rule that joins too many records, or a "
                "very large case)")
    text = re.sub(r"(/[^\s/'\"]+)+/", "", text)[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

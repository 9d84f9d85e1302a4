"""The values an expression compiles to, and what the expression compiler and its functions share.

Kept apart from riskcheck.engine.expr so that each function of the language (riskcheck.engine.functions)
can build values without importing the compiler that looks it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Callable

from riskcheck.errors import RiskcheckError
from riskcheck.registry.dates import MAX_DAY, MIN_DAY
from riskcheck.registry.schema import RecordType, Schema

MIN_SQL, MAX_SQL = f"DATE '{MIN_DAY}'", f"DATE '{MAX_DAY}'"


class ExprError(RiskcheckError, ValueError):
    """An expression that cannot be compiled; the message says why in the author's terms."""


@dataclass(frozen=True)
class Val:
    """A compiled value: kind is 'date' (lo, hi), 'bool', 'text', 'int', 'list', 'record' or 'relations'
    (a statute's list of relations, usable only in listed())."""

    kind: str
    sql: str = ""
    hi: str = ""  # for dates: `sql` is lo, `hi` the upper bound
    record: str = ""  # for records: the variable name
    rtype: RecordType | None = None
    column: tuple[str, str] | None = None  # for a bound record's field: (variable, field)

    @property
    def lo(self) -> str:
        return self.sql


@dataclass
class Scope:
    """What names mean while compiling one rule."""

    schema: Schema
    variables: dict[str, RecordType]  # variable name -> its record type, in binding order
    params: Mapping[str, str]  # parameter name -> its type (date, int, text, list, bool, status)
    lets: dict[str, Val]
    param_ref: Callable[[str], str]  # SQL for a parameter value (a prepared-statement placeholder)
    # (kinship variable, relations parameter) of every listed() compiled, so a finding can say why a vague link
    # could not be decided
    relation_uses: list[tuple[str, str]] = field(default_factory=list)


KIND_WORD = {"date": "date", "bool": "condition", "text": "text", "int": "number", "list": "list",
             "record": "record", "relations": "list of relations (use it in listed(kin, $param))"}


# Three-valued comparison of date intervals.
def date_compare(a: Val, op: str, b: Val) -> str:
    sure, impossible = {
        "<": (f"{a.hi} < {b.lo}", f"{a.lo} >= {b.hi}"),
        "<=": (f"{a.hi} <= {b.lo}", f"{a.lo} > {b.hi}"),
        ">": (f"{a.lo} > {b.hi}", f"{a.hi} <= {b.lo}"),
        ">=": (f"{a.lo} >= {b.hi}", f"{a.hi} < {b.lo}"),
        "=": (f"({a.lo} = {a.hi} AND {b.lo} = {b.hi} AND {a.lo} = {b.lo})", f"({a.hi} < {b.lo} OR {b.hi} < {a.lo})"),
        "!=": (f"({a.hi} < {b.lo} OR {b.hi} < {a.lo})", f"({a.lo} = {a.hi} AND {b.lo} = {b.hi} AND {a.lo} = {b.lo})"),
    }[op]
    return f"(CASE WHEN {sure} THEN TRUE WHEN {impossible} THEN FALSE END)"


def null_if_any(vals: list[Val], expr: str) -> str:
    """A date bound that is unknown when any input is missing (SQL's greatest/least skip NULLs)."""
    checks = " OR ".join(f"{v.lo} IS NULL" for v in vals)
    return f"(CASE WHEN {checks} THEN NULL ELSE {expr} END)"

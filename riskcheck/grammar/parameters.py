"""A rule's parameters: the types a setting may have, and the one reading of a value of each type, whether
the rule file, an inline test or `--param` gives it."""

from __future__ import annotations

import math
from datetime import date
from typing import Any, Literal

from pydantic import model_validator

from riskcheck.grammar.relations import coerce_relations
from riskcheck.grammar.strict import Strict
from riskcheck.registry.dates import FIRST_AS_OF, LAST_AS_OF

MAX_INT_PARAM = 1_000_000  # days, months, counts: anything larger is a typo, and overflows date arithmetic
MIN_PARAM_DATE, MAX_PARAM_DATE = FIRST_AS_OF, LAST_AS_OF


class Parameter(Strict):
    type: Literal["int", "number", "date", "text", "list", "bool", "status", "relations"]
    default: Any
    description: str

    @model_validator(mode="after")
    def default_matches_type(self) -> "Parameter":
        self.default = coerce_param(self.type, self.default)
        return self


def coerce_param(ptype: str, value: Any) -> Any:
    """Check and convert a parameter value (from a rule file, a test or --param) to its type."""
    if ptype == "relations":
        return coerce_relations(value)
    if ptype == "list":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of texts")
        return list(value)
    if ptype == "int":
        try:
            number = int(str(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if abs(number) > MAX_INT_PARAM:
            raise ValueError(f"{number} is outside the range a parameter may take "
                             f"(-{MAX_INT_PARAM:,} to {MAX_INT_PARAM:,})")
        return number
    if ptype == "number":
        try:
            real = float(str(value).replace(",", "."))
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
        if not math.isfinite(real) or abs(real) > MAX_INT_PARAM:
            raise ValueError(f"{value!r} is outside the range a parameter may take")
        return real
    if ptype == "date":
        if not isinstance(value, date):
            try:
                value = date.fromisoformat(str(value))
            except ValueError:
                raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
        if not MIN_PARAM_DATE <= value <= MAX_PARAM_DATE:
            raise ValueError(f"{value} is outside the dates riskcheck judges ({MIN_PARAM_DATE} to {MAX_PARAM_DATE})")
        return value
    if ptype == "bool":
        if str(value).lower() not in ("true", "false"):
            raise ValueError(f"{value!r} is not true or false")
        return str(value).lower() == "true"
    if ptype == "status":
        if value not in ("inferred", "alleged", "reported", "confirmed"):
            raise ValueError(f"{value!r} is not one of inferred, alleged, reported, confirmed")
        return value
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value

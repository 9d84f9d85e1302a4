"""The functions of the rule expression language, one module per family, in one table by name.

The expression compiler (riskcheck.engine.expr) looks a call up here and nowhere else, so adding a
function is writing it in a module here and adding it to FUNCTIONS (see docs/extending.md).
"""

from __future__ import annotations

from riskcheck.engine.functions import dates, kinship, periods, values
from riskcheck.engine.functions.base import Call, Function

FUNCTIONS: dict[str, Function] = {
    "at_least": kinship.at_least,
    "coalesce": values.coalesce,
    "date": dates.date_,
    "during": periods.during,
    "earliest": dates.earliest,
    "latest": dates.latest,
    "listed": kinship.listed,
    "on_or_after": dates.on_or_after,
    "on_or_before": dates.on_or_before,
    "pair": values.pair,
}

__all__ = ["FUNCTIONS", "Call", "Function"]

"""Functions that make a date: a written one, the earlier or later of several, an open-ended one.

Every date is an interval [lo, hi] (riskcheck.registry.dates); each function says what it does to both
bounds, and a missing input makes a missing (unknown) date rather than a guess.
"""

from __future__ import annotations

from riskcheck.engine.expr_types import MAX_SQL, MIN_SQL, Val, null_if_any
from riskcheck.engine.functions.base import Call, arity, dates
from riskcheck.registry.dates import DateFormatError, parse_date


def date_(call: Call, args: list[Val]) -> Val:
    """date('2019-12-10'), date('2019-12'), date('2019'): a written date, partial ones as their interval."""
    arity(call, "date", args, 1)
    if args[0].kind != "text" or not args[0].sql.startswith("'"):
        raise call.fail("date() takes a quoted date, e.g. date('2019-12-10')")
    try:
        pd = parse_date(args[0].sql[1:-1].replace("''", "'"))
    except DateFormatError as exc:
        raise call.fail(str(exc)) from exc
    return Val("date", f"DATE '{pd.lo}'", f"DATE '{pd.hi}'")


def _extreme(call: Call, fname: str, args: list[Val], fn: str) -> Val:
    arity(call, fname, args, least=2)
    dates(call, fname, args)
    lo = null_if_any(args, f"{fn}({', '.join(a.lo for a in args)})")
    hi = null_if_any(args, f"{fn}({', '.join(a.hi for a in args)})")
    return Val("date", lo, hi)


def earliest(call: Call, args: list[Val]) -> Val:
    """earliest(a, b, ...): the first of the dates, unknown if any is missing."""
    return _extreme(call, "earliest", args, "least")


def latest(call: Call, args: list[Val]) -> Val:
    """latest(a, b, ...): the last of the dates, unknown if any is missing."""
    return _extreme(call, "latest", args, "greatest")


def on_or_after(call: Call, args: list[Val]) -> Val:
    """on_or_after(d): some day from d on (e.g. a verdict enters into force on or after its date)."""
    arity(call, "on_or_after", args, 1)
    dates(call, "on_or_after", args)
    return Val("date", args[0].lo, f"(CASE WHEN {args[0].lo} IS NOT NULL THEN {MAX_SQL} END)")


def on_or_before(call: Call, args: list[Val]) -> Val:
    """on_or_before(d): some day up to d."""
    arity(call, "on_or_before", args, 1)
    dates(call, "on_or_before", args)
    return Val("date", f"(CASE WHEN {args[0].hi} IS NOT NULL THEN {MIN_SQL} END)", args[0].hi)

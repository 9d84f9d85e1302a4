"""Functions on plain values: the first present of several, and two texts joined as a pair."""

from __future__ import annotations

from riskcheck.engine.expr_types import Val
from riskcheck.engine.functions.base import Call, arity


def coalesce(call: Call, args: list[Val]) -> Val:
    """coalesce(a, b, ...): the first present value; for dates, both bounds of the first present date."""
    arity(call, "coalesce", args, least=2)
    kinds = {a.kind for a in args}
    if kinds == {"date"}:
        lo = "CASE " + " ".join(f"WHEN {a.lo} IS NOT NULL THEN {a.lo}" for a in args) + " END"
        hi = "CASE " + " ".join(f"WHEN {a.lo} IS NOT NULL THEN {a.hi}" for a in args) + " END"
        return Val("date", f"({lo})", f"({hi})")
    if len(kinds) != 1 or kinds & {"record", "list"}:
        raise call.fail("coalesce() takes values of one kind (all dates, all texts or all numbers)")
    return Val(args[0].kind, f"coalesce({', '.join(a.sql for a in args)})")


def pair(call: Call, args: list[Val]) -> Val:
    """pair(a, b): the texts joined as 'a:b', missing if either is; a rule matches pairs a law lists
    (a head's post kind and a subordinate's) against a list parameter of such pairs."""
    arity(call, "pair", args, 2)
    if any(a.kind != "text" for a in args):
        raise call.fail("pair() joins two texts (e.g. two post kinds)")
    return Val("text", f"({args[0].sql} || ':' || {args[1].sql})")

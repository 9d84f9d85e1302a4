"""during(): whether a record's period covers a date, with the statute's reading for a kinship link."""

from __future__ import annotations

from riskcheck.engine.expr_types import Val, date_compare
from riskcheck.engine.functions.base import Call, arity, dates
from riskcheck.sqlio import q
from riskcheck.grammar.relations import lasting_sql


def during(call: Call, args: list[Val]) -> Val:
    """during(record, date): the record's period (e.g. a tenure) covers the date; an absent end is open.
    during(kin, date, $relations): as the statute's list counts it (direct-line affinity may outlive the
    marriage: riskcheck.grammar.relations)."""
    if len(args) == 3:
        kin, day, rel = args
        if rel.kind != "relations" or kin.kind != "record" or kin.rtype is None or kin.rtype.name != "kinship":
            raise call.fail("during() with three arguments takes a kinship variable, a date and a parameter "
                            "of type `relations`: during(kin, tenure.start, $close_relatives)")
        held = during(call, [kin, day])
        v = q(kin.record)
        begun = date_compare(Val("date", f"{v}.valid_from__lo", f"{v}.valid_from__hi"), "<=", day)
        return Val("bool", f"({held.sql} OR ({lasting_sql(v, rel.sql)} AND {begun}))")
    arity(call, "during", args, 2)
    rec, day = args
    if rec.kind != "record" or rec.rtype is None or not rec.rtype.period:
        raise call.fail("during() takes a record with a period first (a tenure, relation, kinship or "
                        "membership)")
    dates(call, "during", [day])
    start, end = rec.rtype.period
    v = q(rec.record)
    s = Val("date", f"{v}.{q(start + '__lo')}", f"{v}.{q(start + '__hi')}")
    e = Val("date", f"{v}.{q(end + '__lo')}", f"{v}.{q(end + '__hi')}")
    return Val("bool", f"({date_compare(s, '<=', day)} AND "
                       f"(CASE WHEN {e.lo} IS NULL THEN TRUE ELSE {date_compare(day, '<=', e)} END))")

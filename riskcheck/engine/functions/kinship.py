"""Functions about family links: whether a statute's list names a link, and how sure a link is."""

from __future__ import annotations

from riskcheck.engine.expr_types import Val
from riskcheck.engine.functions.base import Call, arity
from riskcheck.sqlio import lit, q
from riskcheck.grammar.relations import listed_sql


def listed(call: Call, args: list[Val]) -> Val:
    """listed(kin, $relations): the kinship link is one the statute's list names, read from either side;
    unknown for a vague kind (`in_law`, `relative`) some of whose meanings are listed, or one the list
    names as unsure (riskcheck.grammar.relations)."""
    arity(call, "listed", args, 2)
    kin, rel = args
    if kin.kind != "record" or kin.rtype is None or kin.rtype.name != "kinship":
        raise call.fail("listed() takes a kinship variable first, e.g. listed(kin, $close_relatives)")
    if rel.kind != "relations":
        raise call.fail("listed() takes a parameter of type `relations` second, e.g. listed(kin, $close_relatives)")
    call.scope.relation_uses.append((kin.record, rel.record))
    return Val("bool", listed_sql(q(kin.record), rel.sql))


def at_least(call: Call, args: list[Val]) -> Val:
    """at_least(status, minimum): a relation status is at least as strong as the minimum."""
    arity(call, "at_least", args, 2)
    if any(a.kind != "text" for a in args):
        raise call.fail("at_least() compares two relation statuses (texts)")
    statuses = ["inferred", *call.scope.schema.relation_statuses]

    def rank(s: str) -> str:
        return "(CASE " + s + " " + " ".join(f"WHEN {lit(x)} THEN {i}" for i, x in enumerate(statuses)) + " END)"

    # A kinship link's status is ranked as the link is read (`status_rank`, by the same order, never NULL):
    # comparing that number skips ranking the text of every one of a national registry's relations, a tenth
    # of a kinship rule's scan of them.
    var, fname = args[0].column or ("", "")
    kin = call.scope.variables.get(var)
    first = f"{q(var)}.status_rank" if fname == "status" and kin is not None and kin.name == "kinship" \
        else rank(args[0].sql)
    return Val("bool", f"({first} >= {rank(args[1].sql)})")

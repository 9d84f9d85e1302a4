"""Rule expressions compiled to SQL with three-valued logic over partial dates.

A date is an interval [lo, hi] (see riskcheck.registry.dates), so `a <= b` is true when every day
`a` may be is on or before every day `b` may be, false when no day is, and unknown (SQL NULL)
otherwise. SQL's AND/OR/NOT already follow Kleene's three-valued logic, so an unknown comparison
flows through a condition and the engine reports the finding as `undetermined` instead of guessing.

The compiler checks names as it goes: unknown variables, fields, parameters and functions, and
type mismatches are reported with the expression's text, before any data is touched.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from riskcheck.engine.expr_types import KIND_WORD, ExprError, Scope, Val, date_compare
from riskcheck.engine.functions import FUNCTIONS
from riskcheck.sqlio import lit, q

SHIFT_LIMITS = {"DAY": 3_660_000, "MONTH": 120_000, "YEAR": 10_000}
UNITS = {"day": "DAY", "days": "DAY", "month": "MONTH", "months": "MONTH", "year": "YEAR", "years": "YEAR"}

__all__ = ["ExprError", "Scope", "Val", "as_condition", "compile_expr", "date_compare", "parse"]


@cache
def _parser() -> Lark:
    return Lark(Path(__file__).with_name("expr.lark").read_text(), parser="lalr", maybe_placeholders=False)


def parse(text: str) -> Tree:
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        raise ExprError(f"cannot read {text!r} at column {exc.column}: "
                        f"{_near(text, exc.pos_in_stream)}") from exc
    except LarkError as exc:
        raise ExprError(f"cannot read {text!r}: {exc}") from exc


def _near(text: str, pos: int | None) -> str:
    if pos is None:
        return "unexpected end"
    return f"unexpected {text[pos:pos + 12]!r}"


def compile_expr(text: str, scope: Scope) -> Val:
    return _Compiler(scope, text).visit(parse(text))


def as_condition(val: Val, text: str) -> str:
    if val.kind != "bool":
        raise ExprError(f"{text!r} is a {KIND_WORD[val.kind]}, not a condition that is true or false")
    return val.sql


class _Compiler:
    """One expression's tree walked to SQL: a `v_` method per construct of the grammar (expr.lark); calls go
    to the table of functions, which get this compiler for its scope and its `fail`."""

    def __init__(self, scope: Scope, text: str):
        self.scope, self.text = scope, text

    def fail(self, message: str) -> ExprError:
        return ExprError(f"in {self.text!r}: {message}")

    def visit(self, tree) -> Val:
        method = getattr(self, "v_" + tree.data.rstrip("_"), None)
        if method is None:  # pragma: no cover - the grammar and this class are kept in step
            raise self.fail(f"unsupported construct {tree.data}")
        return method(*tree.children)

    # -- atoms ---------------------------------------------------------------------------------
    def v_number(self, tok: Token) -> Val:
        return Val("int", str(int(tok)))

    def v_string(self, tok: Token) -> Val:
        return Val("text", lit(tok[1:-1]))

    def v_list(self, *items) -> Val:
        vals = [self.visit(i) for i in items if i is not None]
        if any(v.kind not in ("text", "int") for v in vals):
            raise self.fail("a list may hold only texts and numbers")
        return Val("list", "[" + ", ".join(v.sql for v in vals) + "]::VARCHAR[]")

    def v_param(self, tok: Token) -> Val:
        name = str(tok)
        if name not in self.scope.params:
            known = ", ".join(f"${p}" for p in self.scope.params) or "none"
            raise self.fail(f"unknown parameter ${name} (declared: {known})")
        ptype = self.scope.params[name]
        ref = self.scope.param_ref(name)
        if ptype == "date":
            return Val("date", f"{ref}::DATE", f"{ref}::DATE")
        if ptype == "relations":
            return Val("relations", f"{ref}::VARCHAR[]", record=name)
        return Val({"int": "int", "list": "list", "bool": "bool"}.get(ptype, "text"),
                   ref + ("::BIGINT" if ptype == "int" else "::VARCHAR[]" if ptype == "list" else
                          "::BOOLEAN" if ptype == "bool" else "::VARCHAR"))

    def v_path(self, *toks: Token) -> Val:
        names = [str(t) for t in toks]
        head = names[0]
        if head == "as_of" and len(names) == 1:
            ref = self.scope.param_ref("as_of")
            return Val("date", f"{ref}::DATE", f"{ref}::DATE")
        if head in self.scope.lets and len(names) == 1:
            return self.scope.lets[head]
        if head not in self.scope.variables:
            known = ", ".join(list(self.scope.variables) + list(self.scope.lets)) or "none"
            raise self.fail(f"unknown name {head!r} (known here: {known}, as_of)")
        rtype = self.scope.variables[head]
        if len(names) == 1:
            return Val("record", f"{q(head)}.id", record=head, rtype=rtype)
        if len(names) > 2:
            raise self.fail(f"{'.'.join(names)}: follow a reference by binding its record in `match`")
        fname = names[1]
        field = rtype.fields.get(fname)
        if field is None:
            raise self.fail(f"{rtype.name} have no field {fname!r} (fields: {', '.join(rtype.fields)})")
        col = f"{q(head)}.{q(fname)}"
        if field.type == "date":
            return Val("date", f"{q(head)}.{q(fname + '__lo')}", f"{q(head)}.{q(fname + '__hi')}")
        if field.type == "int":
            return Val("int", col)
        if field.type == "bool":
            return Val("bool", col)
        if field.is_list:
            return Val("list", col)
        return Val("text", col, column=(head, fname))

    # -- calls --------------------------------------------------------------------------------
    def v_call(self, name: Token, *args) -> Val:
        """A function of the language (riskcheck.engine.functions), given this compiler as its call."""
        fname = str(name)
        fn = FUNCTIONS.get(fname)
        if fn is None:
            raise self.fail(f"unknown function {fname}() (functions: {', '.join(sorted(FUNCTIONS))})")
        return fn(self, [self.visit(a) for a in args if a is not None])

    # -- operators ------------------------------------------------------------------------------
    def v_compare(self, left, op_token: Token, right) -> Val:
        a, b = self.visit(left), self.visit(right)
        op = str(op_token)
        if a.kind == "date" or b.kind == "date":
            if a.kind != b.kind:
                raise self.fail(f"cannot compare a {KIND_WORD[a.kind]} with a {KIND_WORD[b.kind]} "
                                "(write a date as date('2019-12-10'))")
            return Val("bool", date_compare(a, op, b))
        if {a.kind, b.kind} & {"list", "bool"}:
            raise self.fail(f"cannot compare a {KIND_WORD[a.kind]} with {op}")
        if a.kind != b.kind and {a.kind, b.kind} != {"text", "record"}:
            raise self.fail(f"cannot compare a {KIND_WORD[a.kind]} with a {KIND_WORD[b.kind]}")
        return Val("bool", f"({a.sql} {'<>' if op == '!=' else op} {b.sql})")

    def v_in(self, item, collection) -> Val:
        a, b = self.visit(item), self.visit(collection)
        if b.kind == "relations":
            raise self.fail(f"${b.record} is a list of relations: write listed(kin, ${b.record}), which reads "
                            "it from both sides")
        if b.kind != "list" or a.kind not in ("text", "int", "record"):
            raise self.fail("`x in y` needs a text on the left and a list on the right")
        return Val("bool", f"(CASE WHEN {a.sql} IS NULL OR {b.sql} IS NULL THEN NULL "
                           f"ELSE list_contains({b.sql}, {a.sql}::VARCHAR) END)")

    def v_not_in(self, item, collection) -> Val:
        return Val("bool", f"(NOT {self.v_in(item, collection).sql})")

    def v_missing(self, item) -> Val:
        v = self.visit(item)
        return Val("bool", f"({v.sql} IS NULL)")

    def v_present(self, item) -> Val:
        v = self.visit(item)
        return Val("bool", f"({v.sql} IS NOT NULL)")

    def _bool(self, tree) -> str:
        v = self.visit(tree)
        if v.kind != "bool":
            raise self.fail(f"`and`, `or`, `not` and `if` need conditions, not a {KIND_WORD[v.kind]}")
        return v.sql

    def v_and(self, a, b) -> Val:
        return Val("bool", f"({self._bool(a)} AND {self._bool(b)})")

    def v_or(self, a, b) -> Val:
        return Val("bool", f"({self._bool(a)} OR {self._bool(b)})")

    def v_not(self, a) -> Val:
        return Val("bool", f"(NOT {self._bool(a)})")

    def v_if(self, cond, then, other) -> Val:
        c = self._bool(cond)
        a, b = self.visit(then), self.visit(other)
        if a.kind != b.kind:
            raise self.fail("both branches of if/then/else must be of one kind")
        if a.kind == "date":
            return Val("date", f"(CASE WHEN {c} THEN {a.lo} WHEN NOT {c} THEN {b.lo} END)",
                       f"(CASE WHEN {c} THEN {a.hi} WHEN NOT {c} THEN {b.hi} END)")
        return Val(a.kind, f"(CASE WHEN {c} THEN {a.sql} WHEN NOT {c} THEN {b.sql} END)")

    def _shift(self, base, amount, unit: Token, sign: str) -> Val:
        d, n = self.visit(base), self.visit(amount)
        if d.kind != "date" or n.kind != "int":
            raise self.fail(f"write date {sign} N days/months/years")
        unit_sql = UNITS[str(unit)]
        # A count beyond ten thousand years says "never" as well as any larger one, and keeps the interval
        # arithmetic from overflowing; the macro keeps open ends open and results inside 0001..9999.
        limit = SHIFT_LIMITS[unit_sql]
        count = f"greatest(-{limit}, least({limit}, CAST({n.sql} AS BIGINT)))"
        fn = "to_" + unit_sql.lower() + "s"
        delta = f"{fn}({'-' if sign == '-' else ''}{count})"
        return Val("date", f"pd_shift({d.lo}, {delta})", f"pd_shift({d.hi}, {delta})")

    def v_add(self, base, amount, unit) -> Val:
        return self._shift(base, amount, unit, "+")

    def v_subtract(self, base, amount, unit) -> Val:
        return self._shift(base, amount, unit, "-")


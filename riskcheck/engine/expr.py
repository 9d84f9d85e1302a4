"""Rule expressions compiled to SQL with three-valued logic over partial dates.

A date is an interval [lo, hi] (see riskcheck.registry.dates), so `a <= b` is true when every day
`a` may be is on or before every day `b` may be, false when no day is, and unknown (SQL NULL)
otherwise. SQL's AND/OR/NOT already follow Kleene's three-valued logic, so an unknown comparison
flows through a condition and the engine reports the finding as `undetermined` instead of guessing.

The compiler checks names as it goes: unknown variables, fields, parameters and functions, and
type mismatches are reported with the expression's text, before any data is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Callable

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from riskcheck.errors import RiskcheckError
from riskcheck.registry.dates import MAX_DAY, MIN_DAY, DateFormatError, parse_date
from riskcheck.registry.schema import RecordType, Schema
from riskcheck.sqlio import lit, q
from riskcheck.grammar.relations import lasting_sql, listed_sql

SHIFT_LIMITS = {"DAY": 3_660_000, "MONTH": 120_000, "YEAR": 10_000}
UNITS = {"day": "DAY", "days": "DAY", "month": "MONTH", "months": "MONTH", "year": "YEAR", "years": "YEAR"}
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

    @property
    def lo(self) -> str:
        return self.sql


@dataclass
class Scope:
    """What names mean while compiling one rule."""

    schema: Schema
    variables: dict[str, RecordType]  # variable name -> its record type, in binding order
    params: dict[str, str]  # parameter name -> its type (date, int, text, list, bool, status)
    lets: dict[str, Val]
    param_ref: Callable[[str], str]  # SQL for a parameter value (a prepared-statement placeholder)
    # (kinship variable, relations parameter) of every listed() compiled, so a finding can say why a vague link
    # could not be decided
    relation_uses: list[tuple[str, str]] = field(default_factory=list)


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
        raise ExprError(f"{text!r} is a {_KIND_WORD[val.kind]}, not a condition that is true or false")
    return val.sql


_KIND_WORD = {"date": "date", "bool": "condition", "text": "text", "int": "number", "list": "list",
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


def _null_if_any(vals: list[Val], expr: str) -> str:
    """A date bound that is unknown when any input is missing (SQL's greatest/least skip NULLs)."""
    checks = " OR ".join(f"{v.lo} IS NULL" for v in vals)
    return f"(CASE WHEN {checks} THEN NULL ELSE {expr} END)"


class _Compiler:
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
        return Val("text", col)

    # -- calls --------------------------------------------------------------------------------
    def v_call(self, name: Token, *args) -> Val:
        fname = str(name)
        fn = getattr(self, "f_" + fname, None)
        if fn is None:
            raise self.fail(f"unknown function {fname}() (functions: {', '.join(FUNCTIONS)})")
        return fn([self.visit(a) for a in args if a is not None])

    def _arity(self, fname: str, args: list[Val], n: int | None = None, least: int = 1) -> None:
        if (n is not None and len(args) != n) or len(args) < least:
            raise self.fail(f"{fname}() takes {n if n is not None else f'at least {least}'} argument(s)")

    def _dates(self, fname: str, args: list[Val]) -> None:
        for a in args:
            if a.kind != "date":
                raise self.fail(f"{fname}() works on dates, not on a {_KIND_WORD[a.kind]}")

    def f_date(self, args: list[Val]) -> Val:
        self._arity("date", args, 1)
        if args[0].kind != "text" or not args[0].sql.startswith("'"):
            raise self.fail("date() takes a quoted date, e.g. date('2019-12-10')")
        try:
            pd = parse_date(args[0].sql[1:-1].replace("''", "'"))
        except DateFormatError as exc:
            raise self.fail(str(exc)) from exc
        return Val("date", f"DATE '{pd.lo}'", f"DATE '{pd.hi}'")

    def f_during(self, args: list[Val]) -> Val:
        """during(record, date): the record's period (e.g. a tenure) covers the date; an absent end is open.
        during(kin, date, $relations): as the statute's list counts it (direct-line affinity may outlive the
        marriage: riskcheck.grammar.relations)."""
        if len(args) == 3:
            kin, day, rel = args
            if rel.kind != "relations" or kin.kind != "record" or kin.rtype is None or kin.rtype.name != "kinship":
                raise self.fail("during() with three arguments takes a kinship variable, a date and a parameter "
                                "of type `relations`: during(kin, tenure.start, $close_relatives)")
            held = self.f_during([kin, day])
            v = q(kin.record)
            begun = date_compare(Val("date", f"{v}.valid_from__lo", f"{v}.valid_from__hi"), "<=", day)
            return Val("bool", f"({held.sql} OR ({lasting_sql(v, rel.sql)} AND {begun}))")
        self._arity("during", args, 2)
        rec, day = args
        if rec.kind != "record" or not rec.rtype.period:
            raise self.fail("during() takes a record with a period first (a tenure, relation, kinship or "
                            "membership)")
        self._dates("during", [day])
        start, end = rec.rtype.period
        v = q(rec.record)
        s = Val("date", f"{v}.{q(start + '__lo')}", f"{v}.{q(start + '__hi')}")
        e = Val("date", f"{v}.{q(end + '__lo')}", f"{v}.{q(end + '__hi')}")
        return Val("bool", f"({date_compare(s, '<=', day)} AND "
                           f"(CASE WHEN {e.lo} IS NULL THEN TRUE ELSE {date_compare(day, '<=', e)} END))")

    def _extreme(self, fname: str, args: list[Val], fn: str) -> Val:
        self._arity(fname, args, least=2)
        self._dates(fname, args)
        lo = _null_if_any(args, f"{fn}({', '.join(a.lo for a in args)})")
        hi = _null_if_any(args, f"{fn}({', '.join(a.hi for a in args)})")
        return Val("date", lo, hi)

    def f_earliest(self, args: list[Val]) -> Val:
        return self._extreme("earliest", args, "least")

    def f_latest(self, args: list[Val]) -> Val:
        return self._extreme("latest", args, "greatest")

    def f_coalesce(self, args: list[Val]) -> Val:
        self._arity("coalesce", args, least=2)
        kinds = {a.kind for a in args}
        if kinds == {"date"}:
            lo = "CASE " + " ".join(f"WHEN {a.lo} IS NOT NULL THEN {a.lo}" for a in args) + " END"
            hi = "CASE " + " ".join(f"WHEN {a.lo} IS NOT NULL THEN {a.hi}" for a in args) + " END"
            return Val("date", f"({lo})", f"({hi})")
        if len(kinds) != 1 or kinds & {"record", "list"}:
            raise self.fail("coalesce() takes values of one kind (all dates, all texts or all numbers)")
        return Val(args[0].kind, f"coalesce({', '.join(a.sql for a in args)})")

    def f_pair(self, args: list[Val]) -> Val:
        """pair(a, b): the texts joined as 'a:b', missing if either is; a rule matches pairs a law lists
        (a head's post kind and a subordinate's) against a list parameter of such pairs."""
        self._arity("pair", args, 2)
        if any(a.kind != "text" for a in args):
            raise self.fail("pair() joins two texts (e.g. two post kinds)")
        return Val("text", f"({args[0].sql} || ':' || {args[1].sql})")

    def f_on_or_after(self, args: list[Val]) -> Val:
        """on_or_after(d): some day from d on (e.g. a verdict enters into force on or after its date)."""
        self._arity("on_or_after", args, 1)
        self._dates("on_or_after", args)
        return Val("date", args[0].lo, f"(CASE WHEN {args[0].lo} IS NOT NULL THEN {MAX_SQL} END)")

    def f_on_or_before(self, args: list[Val]) -> Val:
        self._arity("on_or_before", args, 1)
        self._dates("on_or_before", args)
        return Val("date", f"(CASE WHEN {args[0].hi} IS NOT NULL THEN {MIN_SQL} END)", args[0].hi)

    def f_listed(self, args: list[Val]) -> Val:
        """listed(kin, $relations): the kinship link is one the statute's list names, read from either side;
        unknown for a vague kind (`in_law`, `relative`) some of whose meanings are listed, or one the list
        names as unsure (riskcheck.grammar.relations)."""
        self._arity("listed", args, 2)
        kin, rel = args
        if kin.kind != "record" or kin.rtype is None or kin.rtype.name != "kinship":
            raise self.fail("listed() takes a kinship variable first, e.g. listed(kin, $close_relatives)")
        if rel.kind != "relations":
            raise self.fail("listed() takes a parameter of type `relations` second, e.g. listed(kin, $close_relatives)")
        self.scope.relation_uses.append((kin.record, rel.record))
        return Val("bool", listed_sql(q(kin.record), rel.sql))

    def f_at_least(self, args: list[Val]) -> Val:
        """at_least(status, minimum): a relation status is at least as strong as the minimum."""
        self._arity("at_least", args, 2)
        if any(a.kind != "text" for a in args):
            raise self.fail("at_least() compares two relation statuses (texts)")
        statuses = ["inferred", *self.scope.schema.relation_statuses]
        rank = lambda s: "(CASE " + s + " " + " ".join(f"WHEN {lit(x)} THEN {i}" for i, x in enumerate(statuses)) + " END)"
        return Val("bool", f"({rank(args[0].sql)} >= {rank(args[1].sql)})")

    # -- operators ------------------------------------------------------------------------------
    def v_compare(self, left, op: Token, right) -> Val:
        a, b = self.visit(left), self.visit(right)
        op = str(op)
        if a.kind == "date" or b.kind == "date":
            if a.kind != b.kind:
                raise self.fail(f"cannot compare a {_KIND_WORD[a.kind]} with a {_KIND_WORD[b.kind]} "
                                "(write a date as date('2019-12-10'))")
            return Val("bool", date_compare(a, op, b))
        if {a.kind, b.kind} & {"list", "bool"}:
            raise self.fail(f"cannot compare a {_KIND_WORD[a.kind]} with {op}")
        if a.kind != b.kind and {a.kind, b.kind} != {"text", "record"}:
            raise self.fail(f"cannot compare a {_KIND_WORD[a.kind]} with a {_KIND_WORD[b.kind]}")
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
            raise self.fail(f"`and`, `or`, `not` and `if` need conditions, not a {_KIND_WORD[v.kind]}")
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


FUNCTIONS = sorted(n[2:] for n in dir(_Compiler) if n.startswith("f_"))

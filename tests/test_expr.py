"""The expression language: three-valued comparisons of partial dates, and precise compile errors."""

import pytest

from riskcheck.engine.expr import ExprError, Scope, compile_expr
from riskcheck.registry.schema import load_schema
from riskcheck.registry.store import connect


def scope(**params) -> Scope:
    schema = load_schema()
    return Scope(schema, {"t": schema.types["tenures"], "kin": schema.derived["kinship"]},
                 params, {}, lambda name: "$" + name)


def truth(expr: str):
    """Evaluate a condition over constant dates: True, False or None (unknown)."""
    val = compile_expr(expr, scope())
    return connect().execute(f"SELECT {val.sql}").fetchall()[0][0]


@pytest.mark.parametrize("expr,expected", [
    ("date('2021-03-01') < date('2021-03-02')", True),
    ("date('2021-03-02') < date('2021-03-02')", False),
    ("date('2021-03') < date('2021-03-15')", None),        # some day in March: before the 15th or not
    ("date('2021-03') < date('2021-04-01')", True),
    ("date('2021') <= date('2021-12-31')", True),
    ("date('2021') = date('2021-06-01')", None),
    ("date('2020') = date('2021')", False),
    ("date('2021-03-01') + 10 days = date('2021-03-11')", True),
    ("date('2021-01-31') + 1 month = date('2021-02-28')", True),
    ("date('2021-03') + 10 days >= date('2021-03-20')", None),
    ("date('2016-09-01') >= date('2021-09-01') - 5 years", True),
    ("date('2016-08-31') >= date('2021-09-01') - 5 years", False),
    ("latest(date('2020'), date('2021-05-01')) = date('2021-05-01')", True),
    ("on_or_after(date('2021')) <= date('2021-10-15')", None),
    ("on_or_after(date('2021')) <= date('2020-10-15')", False),
    # Kleene logic: an unknown part decides nothing unless the other part does.
    ("date('2021-03') < date('2021-03-15') and date('2020') > date('2021')", False),
    ("date('2021-03') < date('2021-03-15') or date('2020') < date('2021')", True),
    ("not (date('2021-03') < date('2021-03-15'))", None),
    ("if date('2020') < date('2021') then 'a' = 'a' else 'a' = 'b'", True),
    # pair() joins two post kinds to match a law's list of pairs (a missing kind leaves it unknown: see the
    # resignation rule's undetermined_when_the_subordinates_post_records_no_kind).
    ("pair('minister', 'vice_minister') in ['minister:vice_minister']", True),
    ("pair('minister', 'adviser') in ['minister:vice_minister']", False),
])
def test_three_valued_date_logic(expr, expected):
    assert truth(expr) is expected


@pytest.mark.parametrize("expr,message", [
    ("x.start < as_of", "unknown name 'x'"),
    ("t.begin < as_of", "tenures have no field 'begin'"),
    ("t.start < $missing", "unknown parameter $missing"),
    ("frobnicate(t.start)", "unknown function frobnicate()"),
    ("t.start < '2021-01-01'", "cannot compare a date with a text"),
    ("t.start and t.end", "need conditions, not a date"),
    ("during(t.start, as_of)", "during() takes a record with a period"),
    ("t.start <", "cannot read"),
])
def test_compile_errors_say_what_is_wrong(expr, message):
    with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        compile_expr(expr, scope())


def test_an_unknown_function_lists_every_function_of_the_table():
    from riskcheck.engine.functions import FUNCTIONS

    with pytest.raises(ExprError) as info:
        compile_expr("frobnicate(t.start)", scope())
    assert "(functions: at_least, coalesce, date, during, earliest, latest, listed, on_or_after, on_or_before, " \
           "pair)" in str(info.value)
    assert sorted(FUNCTIONS) == ["at_least", "coalesce", "date", "during", "earliest", "latest", "listed",
                                 "on_or_after", "on_or_before", "pair"]


@pytest.mark.parametrize("expr,message", [
    ("date('2021', '2022') < as_of", "date() takes 1 argument(s)"),
    ("earliest(t.start) < as_of", "earliest() takes at least 2 argument(s)"),
    ("latest(t.start, 'x') < as_of", "latest() works on dates, not on a text"),
    ("pair('a') in ['a:b']", "pair() takes 2 argument(s)"),
    ("listed(t, $rel)", "listed() takes a kinship variable first"),
    ("at_least('reported') ", "at_least() takes 2 argument(s)"),
    ("coalesce(t.start, 'x') < as_of", "coalesce() takes values of one kind"),
    ("on_or_before('x') < as_of", "on_or_before() works on dates, not on a text"),
])
def test_each_function_checks_its_arguments_in_the_authors_words(expr, message):
    with pytest.raises(ExprError) as info:
        compile_expr(expr, scope(rel="relations"))
    assert message in str(info.value) and expr.strip() in str(info.value)

"""The one place that makes jinja2 environments: always sandboxed.

Rule authors write summary and explanation templates and case data fills them; neither is trusted.
A rule template can reach no Python internals and makes plain text, never markup: the page that
shows it escapes all of it, so a shared rule pack cannot add a tag, a refresh or an overlay to a
report. The `safe` filter is removed, and a template is compiled and its names checked when the
rule loads, so a typo is a problem of the rule file, not a crash halfway through a run.

A rule template also runs within budgets, so a shared pack cannot exhaust the machine: its text
(MAX_RENDERED_CHARS), the steps of its loops and the time it takes (even loops that print nothing), and
the size of what one operation may build ('x' * 100000 * 5000, a width of a billion). Nothing is computed
when the template compiles: jinja2's optimizer, which folds constant expressions at compile time, is off.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, TypeVar, cast

from jinja2 import (Environment, PackageLoader, StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta,
                    nodes, select_autoescape)
from jinja2.runtime import Context
from jinja2.exceptions import SecurityError
from jinja2.visitor import NodeTransformer
from jinja2.sandbox import ImmutableSandboxedEnvironment

from riskcheck.errors import RiskcheckError
from riskcheck.i18n import N_, _ as gettext, current, html_lang, ngettext
from riskcheck.registry.date_words import date_words
from riskcheck.registry.schema import load_schema
from riskcheck.textsafety import page_value

KINSHIP_WORDS = {
    "parent": N_("parent"), "child": N_("child"), "sibling": N_("sibling"), "half_sibling": N_("half-sibling"),
    "spouse": N_("spouse"), "partner": N_("partner (living together or in a civil union)"), "grandparent": N_("grandparent"), "grandchild": N_("grandchild"),
    "uncle_aunt": N_("uncle or aunt"), "nephew_niece": N_("nephew or niece"), "cousin": N_("cousin"),
    "parent_in_law": N_("parent-in-law"), "child_in_law": N_("child-in-law"), "sibling_in_law": N_("sibling-in-law"),
    "grandparent_in_law": N_("grandparent-in-law"), "grandchild_in_law": N_("grandchild-in-law"),
    "in_law": N_("in-law"), "step_parent": N_("stepparent"), "step_child": N_("stepchild"),
    "adoptive_parent": N_("adoptive parent"), "adopted_child": N_("adopted child"), "relative": N_("relative"),
    "great_grandparent": N_("great-grandparent"), "great_grandchild": N_("great-grandchild"),
    "grand_uncle_aunt": N_("great-uncle or great-aunt"), "grand_nephew_niece": N_("grand-nephew or grand-niece"),
}


def kinship_word(kind: str | None) -> str:
    """A kind of kinship as a noun in the language being written ('father-in-law' reads 'Relation: ...' well in
    every language, where 'X is the ... of Y' would need a case ending in Russian or Kazakh)."""
    known = KINSHIP_WORDS.get(kind or "")
    return gettext(known) if known else (kind or gettext("relative"))


def kinship_inverse_word(kind: str | None) -> str:
    """What the person is to the relative, where kinship_word says what the relative is to the person."""
    return kinship_word(load_schema().kinship.inverse.get(kind or "", kind))


def degree_words(kin: dict) -> str:
    """The civil-law reading of a kinship link: '3rd degree, collateral line', 'spouse'."""
    degree, line = kin.get("degree"), kin.get("line")
    if line == "spouse":
        return gettext("spouse, no degree")
    if line == "partner":
        return gettext("partner, no degree")
    line_words = gettext(LINE_WORDS[line]) if line in LINE_WORDS else line
    if degree is None:
        return (gettext("%(line)s line, degree not known from the record") % {"line": line_words} if line
                else gettext("degree and line not known from the record"))
    if current() != "en":  # an ordinal is a grammar of its own in each language: the number says it plainly
        return gettext("degree %(degree)d, %(line)s line") % {"degree": degree, "line": line_words}
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(degree if degree < 20 else degree % 10, "th")
    return f"{degree}{suffix} degree, {line} line"


LINE_WORDS = {"direct": N_("direct"), "collateral": N_("collateral"), "affinity": N_("affinity")}


FIELD_WORDS = {"start": N_("start date"), "end": N_("end date"), "admitted": N_("admission date"), "left": N_("date of leaving"),
               "submitted": N_("submission date"), "birth_date": N_("birth date")}


def _add_filters(env: Environment) -> None:
    env.filters["kinship"] = kinship_word
    env.filters["kinship_inverse"] = kinship_inverse_word
    env.filters["degree"] = degree_words
    env.filters["date"] = date_words


MAX_RENDERED_CHARS = 20_000  # a summary or explanation longer than this is a runaway template
MAX_LOOP_STEPS = 200_000  # steps of all loops in one render (a finding lists a few dozen records at most)
MAX_RENDER_SECONDS = 2.0  # one summary or explanation; a national run renders 30,000 of them in seconds
MAX_BUILT = 100_000  # characters or items one operation of a template may build, and the largest number argument


class RenderedTooLong(RiskcheckError):
    """A rule template produced more text than any finding needs."""


class RenderBudgetExceeded(RenderedTooLong):
    """A rule template looped, ran or built beyond its budget."""


class _Budget(threading.local):
    steps = 0
    deadline: float | None = None  # time.monotonic() at which the render in progress stops


_BUDGET = _Budget()


def _spend(steps: int = 1) -> None:
    _BUDGET.steps += steps
    if _BUDGET.steps > MAX_LOOP_STEPS:
        raise RenderBudgetExceeded(f"a template looped more than {MAX_LOOP_STEPS:,} steps")
    if _BUDGET.deadline is not None and _BUDGET.steps % 1000 == 0 and time.monotonic() > _BUDGET.deadline:
        raise RenderBudgetExceeded(f"a template ran longer than {MAX_RENDER_SECONDS:g} s")


_Item = TypeVar("_Item")


def budgeted_loop(iterable: Iterable[_Item]) -> Iterator[_Item]:
    """What a template's {% for %} iterates (put there when it compiles): each step counted against the budget."""
    for item in iterable:
        _spend()
        yield item


def budgeted_concat(*parts: object) -> str:
    """A template's `~`, refusing to build a text beyond MAX_BUILT."""
    texts = [str(p) for p in parts]
    if sum(map(len, texts)) > MAX_BUILT:
        raise SecurityError(f"a template joined texts of more than {MAX_BUILT:,} characters")
    return "".join(texts)


# A field width of a million or more in a %-format or a str.format field, or a width taken from an argument
# (`%*s`, `{:{}}`): the arguments are then checked as widths.
_WIDE = re.compile(r"%[-+ #0]*\d{6,}|\{[^{}]*:[^{}]*?\d{6,}[^{}]*\}")
_WIDTH_FROM_ARGUMENT = re.compile(r"%[-+ #0]*\*|\{[^{}]*\{")
WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})  # str methods whose number is a size
WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "truncate"})


def _check_widths(values: Iterable[object]) -> None:
    """Numbers that set the size of what is built (a width, a count of slices) stay within MAX_BUILT."""
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_BUILT:
            raise SecurityError(f"a template asked for a width or count of {value:,}; at most {MAX_BUILT:,}")
        if isinstance(value, (tuple, list)) and len(value) <= 100:
            _check_widths(value)


def _check_format(text: str, args: Iterable[object]) -> None:
    """A format string (% or str.format) names no width of a million, nor takes one from its arguments."""
    if _WIDE.search(text):
        raise SecurityError("a template's format names a width of a million or more")
    if _WIDTH_FROM_ARGUMENT.search(text):
        _check_widths(args)


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:  # a filter takes any values
    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        value_and_args = args[1:] if getattr(function, "jinja_pass_arg", None) else args
        if name in WIDTH_FILTERS:
            _check_widths([*value_and_args[1:], *kwargs.values()])
        elif name == "format" and value_and_args and isinstance(value_and_args[0], str):
            _check_format(value_and_args[0], [*value_and_args[1:], *kwargs.values()])
        result = function(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_BUILT:
            raise SecurityError(f"the filter {name} built more than {MAX_BUILT:,} characters")
        return result
    return bounded


def _bounded_size(result_size: int, what: str) -> None:
    if result_size > MAX_BUILT:
        raise SecurityError(f"a template's {what} would build more than {MAX_BUILT:,} characters or items")


class _BudgetTransformer(NodeTransformer):
    """Every loop iterates through budgeted_loop, every `~` goes through budgeted_concat."""

    def visit_For(self, node: nodes.For) -> nodes.For:
        self.generic_visit(node)
        node.iter = nodes.Call(nodes.ImportedName("riskcheck.templating.budgeted_loop"), [node.iter], [], None, None,
                               lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Call:
        self.generic_visit(node)
        return nodes.Call(nodes.ImportedName("riskcheck.templating.budgeted_concat"), node.nodes, [], None, None,
                          lineno=node.lineno)


_DICT_ATTRIBUTES = frozenset(dir(dict))  # what `d.name` finds on a plain dict before its keys: its methods


class Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, remembering its verdict on each (type, attribute) pair.

    The sandbox's checks (a private or internal attribute, a method that changes a list or dict) depend
    only on the object's type and the attribute's name, never on the value, so one verdict holds for every
    object of the type. Checked anew on every access, they were a third of the time to write a national
    registry's reports.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # as jinja2 Environment takes them
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def getattr(self, obj: Any, attribute: str) -> Any:  # as jinja2 declares it
        """`record.field` on a dict that has no attribute of the name (a record's field, never a method) is
        looked up as a key at once, as jinja2's getattr does after the attribute lookup fails: raising and
        catching that failure was a fifth of the sandbox's time on a national case's pages. Every other
        name, and every name with an underscore first, goes through jinja2's checks as before."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and not attribute.startswith("_"):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:  # as jinja2 declares it
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict


class TextSandbox(Sandbox):
    """The sandbox for rule templates, within budgets (see the module's docstring)."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _BudgetTransformer().visit(super()._parse(source, name, filename))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:  # as jinja2 declares it
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                    _bounded_size(len(seq) * times, "repetition")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            _bounded_size(max(left.bit_length(), 1) * right // 3, "power")  # about a decimal digit per 3.3 bits
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _bounded_size(len(left) + len(right), "sum")
        elif operator == "%" and isinstance(left, str):
            _check_format(left, [right])
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - jinja2's signature
        if __obj is budgeted_loop or __obj is budgeted_concat:
            return __obj(*args)  # riskcheck's own, put there when the template compiled
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        text, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
        if isinstance(text, str):
            if name in WIDTH_METHODS:
                _check_widths([*args, *kwargs.values()])
            if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
                count = len(text) + 1 if args[0] == "" else text.count(args[0])
                _bounded_size(len(text) + count * len(args[1]), "replace")
            if name in ("format", "format_map"):
                _check_format(text, [*args, *kwargs.values()])
        return super().call(__context, __obj, *args, **kwargs)


def text_environment() -> ImmutableSandboxedEnvironment:
    """For rule templates (summaries, explanations): plain text out, strict about names, no `safe`, within budgets,
    and no constant folded when a template compiles."""
    env = TextSandbox(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      optimized=False)
    _add_filters(env)
    env.filters.pop("safe", None)
    for name, function in list(env.filters.items()):
        env.filters[name] = _bounded_filter(name, function)
    return env


DICT_METHODS = frozenset({"get", "items", "keys", "values"})  # what a template may call on a record (a dict)


def template_problems(env: ImmutableSandboxedEnvironment, source: str, names: set[str],
                      fields: dict[str, tuple[str, frozenset[str]]] | None = None) -> list[tuple[int, str]]:
    """(line within the template, message) for each problem a rule template would meet at run time.

    `fields` gives, for each name that is a record, how to say it lacks a field ("appointee (a persons record)
    has no field") and the fields it has: `appointee.nmae` is found here, when the rule loads, not once per
    finding mid-run. Remembered per template for the process: `riskcheck serve` and the test suite load the same
    rules many times, and parsing and compiling their templates was most of a pack's loading time.
    """
    frozen = tuple(sorted(fields.items())) if fields else None
    return list(_template_problems(env, source, frozenset(names), frozen))


@lru_cache(maxsize=4096)
def _template_problems(env: ImmutableSandboxedEnvironment, source: str, names: frozenset[str],
                       frozen: tuple[tuple[str, tuple[str, frozenset[str]]], ...] | None) -> tuple[tuple[int, str], ...]:
    fields = dict(frozen) if frozen else None
    try:
        tree = env.parse(source)
        env.compile(tree)  # compiling also finds unknown filters and tests (the tree, not the text parsed again)
    except TemplateSyntaxError as exc:
        return ((exc.lineno or 1, f"template error: {exc.message}"),)
    except TemplateError as exc:
        return ((1, f"template error: {exc.message}"),)
    unknown = sorted(meta.find_undeclared_variables(tree) - names)
    out = [(1, f"the template names {name!r}, which the rule does not define (it can use "
               f"{', '.join(sorted(names))})") for name in unknown]
    if fields:
        assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
        for found in tree.find_all((nodes.Getattr, nodes.Getitem)):
            node = cast("nodes.Getattr | nodes.Getitem", found)  # find_all yields only the node types asked for
            if not isinstance(node.node, nodes.Name) or node.node.name in assigned or node.node.name not in fields:
                continue
            if isinstance(node, nodes.Getattr):
                attr = node.attr
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                attr = node.arg.value
            else:
                continue
            what, known = fields[node.node.name]
            if attr not in known and not (isinstance(node, nodes.Getattr) and attr in DICT_METHODS):
                out.append((node.lineno, f"the template names {node.node.name}.{attr}, but {what} {attr!r} (it has "
                                         f"{', '.join(sorted(known)) or 'none'})"))
    return tuple(sorted(set(out)))


def render_text(template: Template, context: dict) -> str:
    """Render a rule template, stopping once it passes MAX_RENDERED_CHARS, MAX_LOOP_STEPS or MAX_RENDER_SECONDS."""
    parts: list[str] = []
    size = 0
    _BUDGET.steps, _BUDGET.deadline = 0, time.monotonic() + MAX_RENDER_SECONDS
    try:
        for part in template.generate(context):
            size += len(part)
            if size > MAX_RENDERED_CHARS:
                raise RenderedTooLong(f"a template produced more than {MAX_RENDERED_CHARS:,} characters")
            if len(parts) % 64 == 63 and time.monotonic() > _BUDGET.deadline:
                raise RenderBudgetExceeded(f"a template ran longer than {MAX_RENDER_SECONDS:g} s")
            parts.append(part)
    finally:
        _BUDGET.deadline = None
    return "".join(parts)


_RULE_TEXT = text_environment()


@lru_cache(maxsize=256)
def _rule_template(source: str) -> Template:
    return _RULE_TEXT.from_string(source)


def render_rule_text(source: str, context: dict) -> str:
    """A rule's summary or explanation as one line of plain text (each template compiled once per run,
    not once per finding)."""
    return " ".join(render_text(_rule_template(source), context).split())


def page_environment() -> ImmutableSandboxedEnvironment:
    """For the report's own page templates, in the language being written (riskcheck.i18n): `{% trans %}` and
    `_()` with gettext's new style (named %(placeholders)s, escaped like any value), `html_lang()` for the page."""
    env = Sandbox(
        loader=PackageLoader("riskcheck.report", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        finalize=page_value, extensions=["jinja2.ext.i18n"],
    )
    # The callables look up the language each time, so one environment serves every case and reviewer.
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]  # the i18n extension's
    env.globals["html_lang"] = html_lang
    env.globals["language"] = current
    _add_filters(env)
    return env

"""The one place that makes jinja2 environments: always sandboxed.

Rule authors write summary and explanation templates and case data fills them; neither is trusted.
A rule template can reach no Python internals and makes plain text, never markup: the page that
shows it escapes all of it, so a shared rule pack cannot add a tag, a refresh or an overlay to a
report. The `safe` filter is removed, and a template is compiled and its names checked when the
rule loads, so a typo is a problem of the rule file, not a crash halfway through a run.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import PackageLoader, StrictUndefined, TemplateError, TemplateSyntaxError, meta, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from riskcheck.registry.dates import DateFormatError, parse_date
from riskcheck.registry.schema import load_schema
from riskcheck.textsafety import page_value

KINSHIP_WORDS = {
    "parent": "parent", "child": "child", "sibling": "sibling", "half_sibling": "half-sibling",
    "spouse": "spouse", "grandparent": "grandparent", "grandchild": "grandchild",
    "uncle_aunt": "uncle or aunt", "nephew_niece": "nephew or niece", "cousin": "cousin",
    "parent_in_law": "parent-in-law", "child_in_law": "child-in-law", "sibling_in_law": "sibling-in-law",
    "grandparent_in_law": "grandparent-in-law", "grandchild_in_law": "grandchild-in-law",
    "in_law": "in-law", "step_parent": "step-parent", "step_child": "step-child",
    "adoptive_parent": "adoptive parent", "adopted_child": "adopted child", "relative": "relative",
    "great_grandparent": "great-grandparent", "great_grandchild": "great-grandchild",
    "grand_uncle_aunt": "great-uncle or great-aunt", "grand_nephew_niece": "grand-nephew or grand-niece",
}


def kinship_word(kind: str | None) -> str:
    return KINSHIP_WORDS.get(kind or "", kind or "relative")


def kinship_inverse_word(kind: str | None) -> str:
    """What the person is to the relative, where kinship_word says what the relative is to the person."""
    return kinship_word(load_schema().kinship.inverse.get(kind or "", kind))


def degree_words(kin: dict) -> str:
    """The civil-law reading of a kinship link: '3rd degree, collateral line', 'spouse'."""
    degree, line = kin.get("degree"), kin.get("line")
    if line == "spouse":
        return "spouse, no degree"
    if degree is None:
        return f"{line} line, degree not known from the record" if line else "degree and line not known from the record"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(degree if degree < 20 else degree % 10, "th")
    return f"{degree}{suffix} degree, {line} line"


FIELD_WORDS = {"start": "start date", "end": "end date", "admitted": "admission date", "left": "date of leaving",
               "submitted": "submission date", "birth_date": "birth date"}


def date_words(text: str | None) -> str:
    """A recorded date as a reader should see it: a full day as written, a partial one as what it allows
    ('some day in 2021', 'some day between 2021-10-15 and 2025-10-15')."""
    if not text:
        return "date not recorded"
    try:
        pd = parse_date(text)
    except DateFormatError:
        return text
    if pd.exact:
        return text
    if pd.open_start and pd.open_end:
        return "unknown"
    if "/" not in text:
        return f"some day in {text}"
    if pd.open_start:
        return f"some day on or before {pd.hi.isoformat()}"
    if pd.open_end:
        return f"some day on or after {pd.lo.isoformat()}"
    return f"some day between {pd.lo.isoformat()} and {pd.hi.isoformat()}"


def _add_filters(env) -> None:
    env.filters["kinship"] = kinship_word
    env.filters["kinship_inverse"] = kinship_inverse_word
    env.filters["degree"] = degree_words
    env.filters["date"] = date_words


MAX_RENDERED_CHARS = 20_000  # a summary or explanation longer than this is a runaway template


class RenderedTooLong(Exception):
    """A rule template produced more text than any finding needs."""


class Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox, remembering its verdict on each (type, attribute) pair.

    The sandbox's checks (a private or internal attribute, a method that changes a list or dict) depend
    only on the object's type and the attribute's name, never on the value, so one verdict holds for every
    object of the type. Checked anew on every access, they were a third of the time to write a national
    registry's reports.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        key = (type(obj), attr)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = super().is_safe_attribute(obj, attr, value)
        return verdict


def text_environment() -> ImmutableSandboxedEnvironment:
    """For rule templates (summaries, explanations): plain text out, strict about names, no `safe`."""
    env = Sandbox(autoescape=False, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
    _add_filters(env)
    env.filters.pop("safe", None)
    return env


def template_problems(env: ImmutableSandboxedEnvironment, source: str, names: set[str]) -> list[tuple[int, str]]:
    """(line within the template, message) for each problem a rule template would meet at run time."""
    try:
        tree = env.parse(source)
        env.from_string(source)  # compiling also finds unknown filters and tests
    except TemplateSyntaxError as exc:
        return [(exc.lineno or 1, f"template error: {exc.message}")]
    except TemplateError as exc:
        return [(1, f"template error: {exc.message}")]
    unknown = sorted(meta.find_undeclared_variables(tree) - names)
    return [(1, f"the template names {name!r}, which the rule does not define (it can use "
                f"{', '.join(sorted(names))})") for name in unknown]


def render_text(template, context: dict) -> str:
    """Render a rule template, stopping once it passes MAX_RENDERED_CHARS."""
    parts, size = [], 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_RENDERED_CHARS:
            raise RenderedTooLong(f"a template produced more than {MAX_RENDERED_CHARS:,} characters")
        parts.append(part)
    return "".join(parts)


_RULE_TEXT = text_environment()


@lru_cache(maxsize=256)
def _rule_template(source: str):
    return _RULE_TEXT.from_string(source)


def render_rule_text(source: str, context: dict) -> str:
    """A rule's summary or explanation as one line of plain text (each template compiled once per run,
    not once per finding)."""
    return " ".join(render_text(_rule_template(source), context).split())


def page_environment() -> ImmutableSandboxedEnvironment:
    """For the report's own page templates."""
    env = Sandbox(
        loader=PackageLoader("riskcheck.report", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        finalize=page_value,
    )
    _add_filters(env)
    return env

"""The one place that makes jinja2 environments: always sandboxed, always autoescaping.

Rule authors write explanation templates and case data fills them; neither is trusted, so a
template can reach no Python internals and every value is HTML-escaped unless it is Markup.
"""

from __future__ import annotations

from jinja2 import PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment

from riskcheck.registry.dates import DateFormatError, parse_date

KINSHIP_WORDS = {
    "parent": "parent", "child": "child", "sibling": "sibling", "half_sibling": "half-sibling",
    "spouse": "spouse", "grandparent": "grandparent", "grandchild": "grandchild",
    "uncle_aunt": "uncle or aunt", "nephew_niece": "nephew or niece", "cousin": "cousin",
    "parent_in_law": "parent-in-law", "child_in_law": "child-in-law", "sibling_in_law": "sibling-in-law",
    "grandparent_in_law": "grandparent-in-law", "grandchild_in_law": "grandchild-in-law",
    "in_law": "in-law", "step_parent": "step-parent", "step_child": "step-child",
    "adoptive_parent": "adoptive parent", "adopted_child": "adopted child", "relative": "relative",
}


def kinship_word(kind: str | None) -> str:
    return KINSHIP_WORDS.get(kind or "", kind or "relative")


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
    env.filters["date"] = date_words


def text_environment() -> ImmutableSandboxedEnvironment:
    """For rule templates (summaries, explanations): autoescaped Markup out, strict about names."""
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
    _add_filters(env)
    return env


def page_environment() -> ImmutableSandboxedEnvironment:
    """For the report's own page templates."""
    env = ImmutableSandboxedEnvironment(
        loader=PackageLoader("riskcheck.report", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    _add_filters(env)
    return env

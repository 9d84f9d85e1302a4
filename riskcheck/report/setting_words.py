"""A rule's settings in a reader's words, for the report's "Rules applied" tables and the rule pages alike.

A rule file names its settings as a machine does (`parent_in_law, step_child`, `organization.region`,
`true`, `minister:vice_minister`); a journalist reads "parent-in-law, stepchild", "the region of the body",
"yes", "minister over vice minister". The rule file's own spelling stays in the rule authors' detail beside
the table (`<details class="formula">`), so nothing an author needs is lost.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from markupsafe import Markup

from riskcheck.grammar.relations import undecided
from riskcheck.i18n import DEFAULT, N_, _, current, format_number
from riskcheck.registry.date_words import day_words
from riskcheck.templating import KINSHIP_WORDS

# The record types a rule's field reference names, as a reader names them.
RECORD_WORDS = {"organization": N_("the body"), "position": N_("the post"), "person": N_("the person"),
                "tenure": N_("the tenure"), "relation": N_("the family link"), "verdict": N_("the verdict")}
# Fields a rule's settings name, where the field's name with spaces would not do.
FIELD_WORDS = {"filled_by": N_("how the post is filled"), "government_level": N_("level of government"),
               "kind": N_("kind"), "region": N_("region"), "rank": N_("rank"), "settlement": N_("settlement"),
               "sector": N_("sector"), "category": N_("category"), "jurisdiction": N_("jurisdiction")}
# Words a rule's settings use as values, where the value with spaces would not do.
VALUE_WORDS = {"true": N_("yes"), "false": N_("no"), "surname_and_patronymic": N_("surname and patronymic"),
               "confirmed": N_("confirmed"), "reported": N_("reported"), "alleged": N_("alleged"),
               "inferred": N_("inferred")}  # a family link's status, as the finding's steps name it

_FIELD_REF = re.compile(r"(organization|position|person|tenure|relation|verdict)\.([a-z][a-z0-9_]*)")
_PAIR = re.compile(r"([a-z][a-z0-9_]*):([a-z][a-z0-9_]*)")
_CODE = re.compile(r"`([^`]+)`")
_CODE_ASIDE = re.compile(r"\s*\(`[^`]+`(?: of the body)?\)")  # "Post kinds (`kind`)": the aside is for authors


def word(value: str) -> str:
    """One machine word as a reader reads it: a kinship kind, a field of a record, a pair of post kinds, or
    any other name with its underscores as spaces."""
    if value in KINSHIP_WORDS:
        return _(KINSHIP_WORDS[value])
    if value in VALUE_WORDS:
        return _(VALUE_WORDS[value])
    if m := _FIELD_REF.fullmatch(value):
        field = _(FIELD_WORDS[m[2]]) if m[2] in FIELD_WORDS else m[2].replace("_", " ")
        return _("the %(field)s of %(record)s") % {"field": field, "record": _(RECORD_WORDS[m[1]])}
    if m := _PAIR.fullmatch(value):
        return _("%(upper)s over %(lower)s") % {"upper": word(m[1]), "lower": word(m[2])}
    return value.replace("_", " ")


def word_is_english(value: str) -> bool:
    """Whether `word` gives the value's own English for want of a table entry (a post kind, a body's kind): the
    page then marks it as English, as it marks a rule text not yet translated."""
    return not (value in KINSHIP_WORDS or value in VALUE_WORDS or _FIELD_REF.fullmatch(value)
                or _PAIR.fullmatch(value)) and current() != DEFAULT


def setting_markup(value: Any) -> Markup:
    """`setting_words` for a page: a value worded in English for want of a translation is marked `lang="en"`."""
    if isinstance(value, str) and word_is_english(value):
        return Markup('<span lang="en">%s</span>') % word(value)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return Markup(", ").join(setting_markup(v) for v in value)
    return Markup("%s") % setting_words(value)


def relations_words(value: dict) -> str:
    """A statute's list of relations in one line: 'parent, sibling, parent-in-law (each read from both sides;
    adoption as birth); undetermined: in-law, relative'."""
    notes = [_("each read from both sides")] + ([_("adoption as birth")] if value.get("adoption_as_birth", True) else [])
    out = ", ".join(word(k) for k in value["listed"]) + " (" + "; ".join(notes) + ")"
    unsure = list(undecided(value))
    if unsure:
        out += "; " + _("undetermined:") + " " + ", ".join(word(k) for k in unsure)
    if value.get("through_partner"):
        out += "; " + _("in-laws through a partner count")
    if value.get("direct_affinity_outlives_marriage"):
        out += "; " + _("direct-line affinity outlives the marriage")
    return out


def setting_words(value: Any) -> str:
    """A setting's value as a reader reads it."""
    if isinstance(value, dict) and "listed" in value:
        return relations_words(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(setting_words(v) for v in value) if value else _("none")
    if isinstance(value, float):  # a share or a threshold: 0,5 in Russian (an int may be a year: left as is)
        return format_number(value)
    if isinstance(value, date):
        return day_words(value)
    if isinstance(value, str):
        return word(value)
    return str(value)


def description_words(text: str) -> str:
    """A setting's description without the rule file's spelling: an aside naming a field in backticks
    ('Post kinds (`kind`)') is left out, a field or value in backticks is worded."""
    text = _CODE_ASIDE.sub("", " ".join(text.split()))
    return _CODE.sub(lambda m: word(m[1]), text)


def setting_source(value: Any) -> str:
    """A setting's value as the rule file writes it, for the rule authors' detail."""
    if isinstance(value, dict) and "listed" in value:
        return ", ".join(value["listed"])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

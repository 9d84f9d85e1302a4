"""A rule's texts in other languages, written in the rule file by its author, and how a finding reads them.

    translations:
      ru:
        title: Близкий родственник в прямом подчинении
        summary: "{{ official.name }} ..."
        parameters: {max_months: Сколько месяцев даёт закон, чтобы устранить подчинённость}
        means:
          the relative serves directly under the official: родственник служит в прямом подчинении должностного лица

A language is one riskcheck writes (riskcheck.i18n.LANGUAGES; pt and uz stand for pt_BR and uz_Latn). `means`
maps a rule's own English wording (a condition's, a scope limit's or an exemption's `means`, a contested
exemption's `reason`, an exclusion, a legal basis's title or note) to its translation, so a translator works beside the English and no
position in a list can slip. Every key is checked when the rule loads: an unknown language, text, parameter or
English wording is a problem of the rule file with its line. What a language leaves out is shown in English,
and the page says so. Legal quotes stay as published (they are quotes): there is no key for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from riskcheck.grammar.strict import Strict
from riskcheck.i18n import DEFAULT, UnknownLanguage, language

if TYPE_CHECKING:
    from riskcheck.grammar.model import Rule, RuleCommon, UnitRule

# The texts of a rule a finding or a rule page shows, in the order a translator meets them in the file.
TEXT_FIELDS = ("title", "description", "rationale", "summary", "explanation", "what_it_cannot_show")


class RuleTranslation(Strict):
    """One language's texts of a rule. Every key is optional: what is missing is shown in English."""

    title: str | None = None
    description: str | None = None
    rationale: str | None = None
    summary: str | None = None
    explanation: str | None = None
    what_it_cannot_show: str | None = None
    parameters: dict[str, str] = {}  # parameter name -> its description
    means: dict[str, str] = {}  # the rule's English wording -> its translation


def language_keys(v: Any) -> Any:
    """The languages of a `translations:` mapping, as riskcheck names them (pt -> pt_BR)."""
    if not isinstance(v, dict):
        return v
    out: dict[str, Any] = {}
    for key, texts in v.items():
        try:
            lang = language(key)
        except UnknownLanguage as exc:
            raise ValueError(str(exc)) from None
        if lang == DEFAULT:
            raise ValueError("the rule's own texts are its English ones: translations are of other languages")
        if lang in out:
            raise ValueError(f"{key!r} and another key both name {lang}")
        out[lang] = texts
    return out


def words(text: str | None) -> str:
    """A wording compared as a reader sees it: whitespace and line breaks of the YAML aside."""
    return " ".join((text or "").split())


def english_wordings(rule: "Rule | UnitRule") -> set[str]:
    """Every English wording of a rule a `means:` translation may name."""
    found: list[str | None] = list(rule.exclusions)
    for part in ("scope", "exemptions", "where", "status"):
        for item in getattr(rule, part, []):
            found += [getattr(item, "means", None), getattr(item, "reason", None), getattr(item, "law", None)]
    found += [name.replace("_", " ").capitalize() for name in getattr(rule, "let", {})]  # a value's label
    for basis in getattr(rule, "legal_basis", None) or []:  # a law's title and note, as the rule renders them
        found += [basis.title, basis.note]
    for binding in getattr(rule, "match", {}).values():
        found.append(binding.means)
        found += [c.means for c in binding.where]
    return {words(t) for t in found if t}


def translation_problems(rule: "Rule | UnitRule") -> list[tuple[tuple, str]]:
    """(place in the rule file, message) for each key of a language that names nothing the rule has."""
    known = english_wordings(rule)
    out: list[tuple[tuple, str]] = []
    for lang, t in rule.translations.items():
        if t.what_it_cannot_show is not None and rule.kind != "unit_indicator":
            out.append((("translations", lang, "what_it_cannot_show"), "only a unit indicator has this text"))
        for name in t.parameters:
            if name not in rule.parameters:
                out.append((("translations", lang, "parameters", name),
                            f"the rule has no parameter {name!r} (it has {', '.join(rule.parameters) or 'none'})"))
        for english in t.means:
            if words(english) not in known:
                out.append((("translations", lang, "means", english),
                            f"{words(english)[:80]!r} is not a wording of this rule (a `means`, a contested "
                            "exemption's `reason` or an exclusion, as the rule writes it)"))
    return out


def rule_text(rule: "Rule | UnitRule", field: str, lang: str) -> tuple[str, bool]:
    """A text of the rule in `lang`, and whether it is the English one because the language lacks it."""
    english = getattr(rule, field)
    if lang == DEFAULT:
        return english, False
    given = getattr(rule.translations.get(lang), field, None) if lang in rule.translations else None
    return (given, False) if given else (english, True)


def means_text(rule: "RuleCommon", english: str | None, lang: str) -> str | None:
    """A wording of the rule (a `means`, a reason, an exclusion) in `lang`, else as written."""
    if english is None or lang == DEFAULT or lang not in rule.translations:
        return english
    return rule.means_tables().get(lang, {}).get(words(english), english)


def parameter_text(rule: "Rule | UnitRule", name: str, lang: str) -> tuple[str, bool]:
    """A parameter's description in `lang`, and whether it fell back to English."""
    english = rule.parameters[name].description
    t = rule.translations.get(lang)
    if lang == DEFAULT:
        return english, False
    return (t.parameters[name], False) if t and name in t.parameters else (english, True)


def basis_text(rule: "RuleCommon", english: str, lang: str) -> tuple[str, bool]:
    """A legal basis's title or note in `lang` (from the rule's `means:`), and whether it is the English one."""
    if lang == DEFAULT:
        return english, False
    given = rule.means_tables().get(lang, {}).get(words(english))
    return (given, False) if given else (english, True)


def means_tables(translations: dict[str, RuleTranslation]) -> dict[str, dict[str, str]]:
    """Each language's `means:` keyed by the English as a reader sees it, made once per rule."""
    return {lang: {words(k): words(v) for k, v in t.means.items()} for lang, t in translations.items()}


def finding_texts(rule: "Rule | UnitRule", lang: str) -> tuple[dict[str, str], list[str]]:
    """The texts a finding of the rule takes from it (its title, summary and explanation templates, and a unit
    indicator's limits) in `lang`, and the names of those shown in English for want of a translation."""
    fields = ("title", "summary", "explanation") + (("what_it_cannot_show",) if rule.kind == "unit_indicator" else ())
    texts, english = {}, []
    for name in fields:
        texts[name], fell_back = rule_text(rule, name, lang)
        if fell_back:
            english.append(name)
    return texts, english

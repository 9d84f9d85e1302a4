"""A statute's list of relations between two people, and how a kinship link is read against it.

Laws name relations, not directions: "parents, children, spouses, and the parents, brothers and sisters of
spouses" bars a son-in-law under his father-in-law as much as a father-in-law under his son-in-law. A rule
states its list once (a parameter of type `relations`), in kinship kinds; riskcheck reads every item from
both sides (`parent_in_law` also matches `child_in_law`), counts adoption as birth unless the list says
otherwise, and answers in three values through `listed(kin, $param)`:

- true: the link's kind is on the list, from either side;
- unknown: the link's kind is vague (`in_law`, `relative`) and some of what it may be is on the list, or the
  rule names the kind as one the law may or may not count (`unsure`, with the reason in words): the finding
  is `undetermined`, and says why;
- false: anything else, and an in-law through a partner unless the list says the law counts them.

The list is bound to the rule's query as plain texts (`tokens`), so the SQL never changes with the list and
parameters stay prepared-statement values.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from riskcheck.registry.schema import load_schema

# Kinds that do not say how two people are related, and every kind each may stand for.
IN_LAW_KINDS = ("parent_in_law", "child_in_law", "sibling_in_law", "grandparent_in_law", "grandchild_in_law",
                "step_parent", "step_child")
VAGUE = {"in_law": IN_LAW_KINDS, "relative": None}  # None: any kind at all

# Adoption makes kin as birth does (Russia's Family Code Art. 137, Kazakhstan's and Ukraine's codes alike):
# a list naming parents and children names adopters and adoptees too.
BY_ADOPTION = {"parent": "adoptive_parent", "child": "adopted_child"}

# What each kind is, in the words a reader of a statute uses: who the relative is to the person.
MEANING = {
    "spouse": "husband or wife",
    "partner": "partner: living together as a family without marriage, or in a civil union",
    "parent": "father or mother", "child": "son or daughter",
    "adoptive_parent": "adoptive father or mother", "adopted_child": "adopted son or daughter",
    "sibling": "brother or sister", "half_sibling": "half-brother or half-sister",
    "grandparent": "grandfather or grandmother", "grandchild": "grandson or granddaughter",
    "great_grandparent": "great-grandparent", "great_grandchild": "great-grandchild",
    "uncle_aunt": "uncle or aunt", "nephew_niece": "nephew or niece", "cousin": "first cousin",
    "grand_uncle_aunt": "great-uncle or great-aunt", "grand_nephew_niece": "grand-nephew or grand-niece",
    "parent_in_law": "the spouse's father or mother", "child_in_law": "a child's husband or wife",
    "sibling_in_law": "the spouse's brother or sister, or a brother's or sister's spouse",
    "grandparent_in_law": "the spouse's grandparent", "grandchild_in_law": "a grandchild's husband or wife",
    "step_parent": "stepfather or stepmother (a parent's spouse)", "step_child": "stepson or stepdaughter (the spouse's child)",
    "in_law": "an in-law, not saying which", "relative": "a relative, not saying how",
}


class RelationList(BaseModel):
    """A statute's list: the kinds it counts (each read from both sides), what it may or may not count, and
    whether it counts in-laws through a partner and adoption as birth."""

    model_config = ConfigDict(extra="forbid")

    listed: list[str]
    unsure: dict[str, str] = {}
    through_partner: bool = False
    adoption_as_birth: bool = True
    # Whether affinity in the direct line (a spouse's parent or child, a child's spouse ...) outlives the
    # marriage that made it (Brazil's Civil Code Art. 1.595 § 2); read by during(kin, day, $relations).
    direct_affinity_outlives_marriage: bool = False

    @field_validator("listed")
    @classmethod
    def known_kinds(cls, v: list[str]) -> list[str]:
        _check_kinds(v)
        return list(v)

    @field_validator("unsure")
    @classmethod
    def known_unsure(cls, v: dict[str, str]) -> dict[str, str]:
        _check_kinds(list(v))
        for kind, reason in v.items():
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"unsure {kind}: say in words why the law may or may not count it")
        return v


def _check_kinds(kinds: list[str]) -> None:
    known = set(load_schema().kinship.degrees)
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))}: not a kinship kind ({', '.join(sorted(known))})")


def coerce_relations(value: Any) -> dict:
    """A `relations` parameter's value from a rule file, a test or `--param` (`parent,spouse`: a plain list),
    checked, as the plain mapping reports print."""
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list):
        value = {"listed": value}
    if not isinstance(value, dict):
        raise ValueError("must be a list of kinship kinds, or a mapping with `listed` (and `unsure`, "
                         "`through_partner`, `adoption_as_birth`)")
    try:
        rel = RelationList.model_validate(value)
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    both = sorted(set(_both_ways(rel.listed, rel.adoption_as_birth)) & set(_both_ways(list(rel.unsure), False)))
    if both:
        raise ValueError(f"{', '.join(both)}: both listed and unsure (from one side or the other)")
    return rel.model_dump()


def _both_ways(kinds: list[str], adoption_as_birth: bool) -> list[str]:
    inverse = load_schema().kinship.inverse
    out = []
    for kind in kinds:
        for k in (kind, inverse.get(kind, kind)):
            out.append(k)
            if adoption_as_birth and k in BY_ADOPTION:
                out.append(BY_ADOPTION[k])
    return list(dict.fromkeys(out))


def matched(value: dict) -> list[str]:
    """Every kind the list counts, from both sides."""
    return _both_ways(value["listed"], value.get("adoption_as_birth", True))


def undecided(value: dict) -> dict[str, str]:
    """Kinds that make a link undetermined, each with the reason in words."""
    counted = matched(value)
    out: dict[str, str] = {}
    for kind, reason in value.get("unsure", {}).items():
        for k in _both_ways([kind], False):
            out[k] = " ".join(reason.split())
    for kind, meanings in VAGUE.items():
        if kind in counted:
            continue
        some = [k for k in counted if meanings is None or k in meanings]
        if not some:
            continue
        if kind == "in_law":
            out[kind] = ("the link is recorded only as `in_law`, not saying which in-law; the law counts some "
                         f"({', '.join(MEANING.get(k, k) for k in some)}) but not every one: find out how the "
                         "two are related")
        else:
            out[kind] = ("the link is recorded only as `relative`, not saying how the two are related; the law "
                         "counts only the relations it lists: find out which it is")
    return out


def tokens(value: dict) -> list[str]:
    """What the rule's query is given: each counted kind, `?kind` for an undecided one, and `+partner` when
    in-laws through a partner count."""
    out = matched(value) + ["?" + k for k in undecided(value)]
    if value.get("through_partner"):
        out.append("+partner")
    if value.get("direct_affinity_outlives_marriage"):
        out.append("+lasting")
    return out


# Affinity in the direct line: the spouse's ascendants and descendants, and (the other side) the spouses of
# one's own; a sibling-in-law is affinity in the collateral line.
DIRECT_AFFINITY = ("parent_in_law", "child_in_law", "grandparent_in_law", "grandchild_in_law", "step_parent",
                   "step_child")


def lasting_sql(var: str, ref: str) -> str:
    """SQL: the list keeps this link after the marriage ends (direct-line affinity, where the law says so)."""
    kinds = ", ".join(f"'{k}'" for k in DIRECT_AFFINITY)
    return f"(list_contains({ref}, '+lasting') AND {var}.kind IN ({kinds}))"


def listed_sql(var: str, ref: str) -> str:
    """Three-valued SQL for `listed(var, $param)`, over the kinship variable `var` and the bound tokens."""
    return (f"(CASE WHEN {var}.affinity_via = 'partner' AND NOT list_contains({ref}, '+partner') THEN FALSE "
            f"WHEN list_contains({ref}, {var}.kind) THEN TRUE "
            f"WHEN list_contains({ref}, '?' || {var}.kind) THEN NULL ELSE FALSE END)")


def reason(value: dict, kind: str | None) -> str | None:
    """Why a link of this kind cannot be decided against the list, in words."""
    return undecided(value).get(kind or "")


def table(value: dict) -> list[tuple[str, str, str]]:
    """The list as relations between two people, both directions: (one, the other, how it counts)."""
    inverse = load_schema().kinship.inverse
    rows, seen = [], set()

    def add(kind: str, how: str) -> None:
        other = inverse.get(kind, kind)
        if kind in seen:
            return
        seen.update({kind, other})
        rows.append((MEANING.get(kind, kind), MEANING.get(other, other), how))

    for kind in value["listed"]:
        add(kind, "counted")
        if value.get("adoption_as_birth", True):
            for k in (kind, inverse.get(kind, kind)):
                if k in BY_ADOPTION:
                    add(BY_ADOPTION[k], "counted: adoption makes kin as birth does")
    for kind, why in undecided(value).items():
        add(kind, "undetermined: " + why)
    return rows

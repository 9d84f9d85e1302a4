"""What two person records say for and against being one human: birth dates, identifiers, sources, names.

Each answer is worded as a reviewer reads it (the explanation lines of a PairResult); the resolver
(riskcheck.names.resolve) decides with them.
"""

from __future__ import annotations

from riskcheck.names.compare import NameComparison, compare_parsed
from riskcheck.names.parse import ParsedName
from riskcheck.names.records import PersonNames


def birth_relation(a: PersonNames, b: PersonNames) -> str:
    """agrees (same full date), year (same year, not both full), compatible, conflicts or unknown."""
    if a.birth_lo is None or b.birth_lo is None or a.birth_hi is None or b.birth_hi is None:
        return "unknown"
    if a.birth_hi < b.birth_lo or b.birth_hi < a.birth_lo:
        return "conflicts"
    if a.birth_day and a.birth_day == b.birth_day:
        return "agrees"
    if a.birth_lo.year == a.birth_hi.year == b.birth_lo.year == b.birth_hi.year:
        return "year"
    return "compatible"


BIRTH_WORDS = {"agrees": "birth date agrees", "year": "birth year agrees",
               "compatible": "birth dates overlap but are not both known to the day",
               "conflicts": "birth dates differ", "unknown": "a birth date is not recorded"}


def explain(a: PersonNames, b: PersonNames, c: NameComparison, birth: str) -> list[str]:
    """The lines a reviewer reads for a pair: how alike the names are, part by part, birth and gender."""
    lines = [f"names alike at {c.score:.0%}"] + [p.words() for p in c.parts]
    lines.append(BIRTH_WORDS[birth])
    if a.gender and b.gender:
        lines.append("gender agrees" if a.gender == b.gender else "genders differ")
    return lines


def identifier(text: str) -> tuple[str, str]:
    """(scheme, value) of a `scheme:value` identifier, as compared: KZ-IIN: 880703... = kz-iin:880703..."""
    scheme, _, value = text.strip().lower().partition(":")
    return scheme.strip(), value.strip()


def independence(a: PersonNames, b: PersonNames) -> str | None:
    """Why two records' sources cannot show two independent sightings of one human, or None."""
    if not a.sources or not b.sources:
        return "a record cites no source, so the two cannot be shown to come from different sources"
    if set(a.sources) & set(b.sources):
        return "both records come from one source, which is presumed to list two people"
    return None


def best_score(a: tuple[ParsedName, ...], b: tuple[ParsedName, ...]
                ) -> tuple[float, tuple[ParsedName, ParsedName], NameComparison]:
    """The best score over the two records' ways of writing their names, the pair of forms, its comparison."""
    pair, found = (a[0], b[0]), None
    for pa in a:
        for pb in b:
            c = compare_parsed(pa, pb, explain=False)
            if found is None or c.score > found.score:
                pair, found = (pa, pb), c
    assert found is not None
    return found.score, pair, found

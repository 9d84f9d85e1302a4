"""Dates and intervals in a reader's words: the one place that words them.

A recorded date may be a day, a month, a year or an interval with open ends (`2021-10-15/2025-10-15`,
`../2021`, `..`); a rule's computed date is an interval of days. A reader sees neither notation: they read
"15 October 2021", "some day in 2021", "some day between 15 October 2021 and 15 October 2025", "some day in
or before 2021", "on a date not recorded". The findings.json keeps the notation as data for machines; every
page, caveat and sentence of a finding words it here.

The sentence words sit in one table of phrases per locale (PHRASES), and a day or a month is formatted by
Babel's locale data, so that a translation of the reports changes a table, not the code. Each function
takes the locale, "en" unless told.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date, format_skeleton

from riskcheck.registry.dates import MAX_DAY, MIN_DAY, DateFormatError, _point, parse_date

# The sentence words around a date, by locale. {day}, {when}, {lo} and {hi} are worded dates.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "none": "date not recorded",  # no date at all ("in force date not recorded")
        "open": "a date not recorded",  # `..`: "appointed on a date not recorded"
        "in": "some day in {when}",  # a month or a year
        "between": "some day between {lo} and {hi}",
        "in_or_before": "some day in or before {when}",  # `../2021`
        "on_or_before": "some day on or before {day}",
        "in_or_after": "some day in or after {when}",  # `2021/..`
        "on_or_after": "some day on or after {day}",
        # A computed interval (a deadline, a date in force), which has no written precision.
        "interval_on_or_before": "on or before {day}",
        "interval_on_or_after": "on or after {day}",
        "interval_between": "between {lo} and {hi}",
        "interval_unknown": "on a date the data does not give",
    },
}

# How a single day is written in a locale where Babel's "long" form is not the one readers expect.
_DAY_PATTERNS = {"en": "d MMMM y"}  # "15 October 2021", not the US "October 15, 2021"


def _phrase(key: str, locale: str, **values: str) -> str:
    table = PHRASES.get(locale) or PHRASES.get(locale.split("_")[0]) or PHRASES["en"]
    return table[key].format(**values)


def day_words(day: date, locale: str = "en") -> str:
    """One day: '15 October 2021'."""
    return format_date(day, _DAY_PATTERNS.get(locale, "long"), locale=locale)


def _written_words(text: str, locale: str) -> str:
    """One end of a date as written, at its precision: '2021', 'October 2021' or '15 October 2021'."""
    lo, _ = _point(text)
    if len(text) == 4:
        return str(lo.year)
    if len(text) == 7:
        return format_skeleton("yMMMM", lo, locale=locale)
    return day_words(lo, locale)


def date_words(text: str | date | None, locale: str = "en") -> str:
    """A recorded date as a reader should see it: a full day as a day ('15 October 2021'), a partial one as
    what it allows ('some day in 2021', 'some day between 15 October 2021 and 15 October 2025', 'some day in
    or before 2021'), `..` as 'a date not recorded'. Text that is no date is shown as written."""
    if isinstance(text, date):
        return day_words(text, locale)
    if not text or not text.strip():
        return _phrase("none", locale)
    try:
        pd = parse_date(text)
    except DateFormatError:
        return text
    if pd.open_start and pd.open_end:
        return _phrase("open", locale)
    if pd.exact:
        return day_words(pd.lo, locale)
    if "/" not in pd.text:
        return _phrase("in", locale, when=_written_words(pd.text.strip(), locale))
    left, _, right = (part.strip() for part in pd.text.partition("/"))
    if pd.open_start:
        if len(right) == 10:
            return _phrase("on_or_before", locale, day=day_words(pd.hi, locale))
        return _phrase("in_or_before", locale, when=_written_words(right, locale))
    if pd.open_end:
        if len(left) == 10:
            return _phrase("on_or_after", locale, day=day_words(pd.lo, locale))
        return _phrase("in_or_after", locale, when=_written_words(left, locale))
    return _phrase("between", locale, lo=day_words(pd.lo, locale), hi=day_words(pd.hi, locale))


def interval_words(lo: date | None, hi: date | None, locale: str = "en") -> str:
    """An interval a rule computed (a deadline from a partial date): '15 October 2021', 'on or after 1 March
    2020', 'between 11 March 2021 and 10 April 2021'."""
    if lo is None or hi is None or (lo <= MIN_DAY and hi >= MAX_DAY):
        return _phrase("interval_unknown", locale)
    if lo == hi:
        return day_words(lo, locale)
    if lo <= MIN_DAY:
        return _phrase("interval_on_or_before", locale, day=day_words(hi, locale))
    if hi >= MAX_DAY:
        return _phrase("interval_on_or_after", locale, day=day_words(lo, locale))
    return _phrase("interval_between", locale, lo=day_words(lo, locale), hi=day_words(hi, locale))

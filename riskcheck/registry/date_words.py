"""Dates and intervals in a reader's words: the one place that words them.

A recorded date may be a day, a month, a year or an interval with open ends (`2021-10-15/2025-10-15`,
`../2021`, `..`); a rule's computed date is an interval of days. A reader sees neither notation: they read
"15 October 2021", "some day in 2021", "some day between 15 October 2021 and 15 October 2025", "some day in
or before 2021", "on a date not recorded". The findings.json keeps the notation as data for machines; every
page, caveat and sentence of a finding words it here.

The sentence words sit in one table of phrases per locale (PHRASES), and a day or a month is formatted by
Babel's locale data, so that a translation of the reports changes a table, not the code. Each function
takes the locale; unless told, the language being written (riskcheck.i18n: English unless a case or a run
chose another).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date, format_skeleton

from riskcheck.i18n import current
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
    "ru": {
        "none": "дата не записана", "open": "дата не записана", "in": "в какой-то день: {when}",
        "between": "в какой-то день между {lo} и {hi}", "in_or_before": "в какой-то день не позднее: {when}",
        "on_or_before": "в какой-то день не позднее {day}", "in_or_after": "в какой-то день не ранее: {when}",
        "on_or_after": "в какой-то день не ранее {day}", "interval_on_or_before": "не позднее {day}",
        "interval_on_or_after": "не ранее {day}", "interval_between": "между {lo} и {hi}",
        "interval_unknown": "в день, который данные не указывают",
    },
    "kk": {
        "none": "күні жазылмаған", "open": "күні жазылмаған", "in": "белгісіз бір күн: {when}",
        "between": "белгісіз бір күн: {lo} мен {hi} аралығында", "in_or_before": "белгісіз бір күн: {when} немесе одан бұрын",
        "on_or_before": "белгісіз бір күн: {day} немесе одан бұрын", "in_or_after": "белгісіз бір күн: {when} немесе одан кейін",
        "on_or_after": "белгісіз бір күн: {day} немесе одан кейін", "interval_on_or_before": "{day} немесе одан бұрын",
        "interval_on_or_after": "{day} немесе одан кейін", "interval_between": "{lo} мен {hi} аралығында",
        "interval_unknown": "деректер көрсетпейтін күні",
    },
    "uk": {
        "none": "дату не записано", "open": "дату не записано", "in": "якийсь день: {when}",
        "between": "якийсь день між {lo} і {hi}", "in_or_before": "якийсь день не пізніше: {when}",
        "on_or_before": "якийсь день не пізніше {day}", "in_or_after": "якийсь день не раніше: {when}",
        "on_or_after": "якийсь день не раніше {day}", "interval_on_or_before": "не пізніше {day}",
        "interval_on_or_after": "не раніше {day}", "interval_between": "між {lo} і {hi}",
        "interval_unknown": "у день, якого дані не вказують",
    },
    "pt_BR": {
        "none": "data não registrada", "open": "uma data não registrada", "in": "algum dia em {when}",
        "between": "algum dia entre {lo} e {hi}", "in_or_before": "algum dia em ou antes de {when}",
        "on_or_before": "algum dia em ou antes de {day}", "in_or_after": "algum dia em ou depois de {when}",
        "on_or_after": "algum dia em ou depois de {day}", "interval_on_or_before": "em ou antes de {day}",
        "interval_on_or_after": "em ou depois de {day}", "interval_between": "entre {lo} e {hi}",
        "interval_unknown": "numa data que os dados não dão",
    },
    "uz_Latn": {
        "none": "sana yozilmagan", "open": "sana yozilmagan", "in": "noma’lum bir kun: {when}",
        "between": "noma’lum bir kun: {lo} va {hi} oralig‘ida", "in_or_before": "noma’lum bir kun: {when} yoki undan oldin",
        "on_or_before": "noma’lum bir kun: {day} yoki undan oldin", "in_or_after": "noma’lum bir kun: {when} yoki undan keyin",
        "on_or_after": "noma’lum bir kun: {day} yoki undan keyin", "interval_on_or_before": "{day} yoki undan oldin",
        "interval_on_or_after": "{day} yoki undan keyin", "interval_between": "{lo} va {hi} oralig‘ida",
        "interval_unknown": "ma’lumotlar ko‘rsatmagan kunda",
    },
}

# How a single day is written in a locale where Babel's "long" form is not the one readers expect.
_DAY_PATTERNS = {"en": "d MMMM y"}  # "15 October 2021", not the US "October 15, 2021"


def _phrase(key: str, locale: str, **values: str) -> str:
    table = PHRASES.get(locale) or PHRASES.get(locale.split("_")[0]) or PHRASES["en"]
    return table[key].format(**values)


def day_words(day: date, locale: str | None = None) -> str:
    """One day: '15 October 2021'."""
    return _day_words(day, locale or current())


@lru_cache(maxsize=65536)
def _day_words(day: date, locale: str) -> str:
    """Babel reads its locale data anew on every call; a national case's findings and pages write tens of
    thousands of dates, most of them the same few thousand days."""
    return format_date(day, _DAY_PATTERNS.get(locale, "long"), locale=locale)


def _written_words(text: str, locale: str) -> str:
    """One end of a date as written, at its precision: '2021', 'October 2021' or '15 October 2021'."""
    lo, _ = _point(text)
    if len(text) == 4:
        return str(lo.year)
    if len(text) == 7:
        return format_skeleton("yMMMM", lo, locale=locale)
    return day_words(lo, locale)


def date_words(text: str | date | None, locale: str | None = None) -> str:
    """A recorded date as a reader should see it: a full day as a day ('15 October 2021'), a partial one as
    what it allows ('some day in 2021', 'some day between 15 October 2021 and 15 October 2025', 'some day in
    or before 2021'), `..` as 'a date not recorded'. Text that is no date is shown as written."""
    locale = locale or current()
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


def interval_words(lo: date | None, hi: date | None, locale: str | None = None) -> str:
    """An interval a rule computed (a deadline from a partial date): '15 October 2021', 'on or after 1 March
    2020', 'between 11 March 2021 and 10 April 2021'."""
    locale = locale or current()
    if lo is None or hi is None or (lo <= MIN_DAY and hi >= MAX_DAY):
        return _phrase("interval_unknown", locale)
    if lo == hi:
        return day_words(lo, locale)
    if lo <= MIN_DAY:
        return _phrase("interval_on_or_before", locale, day=day_words(hi, locale))
    if hi >= MAX_DAY:
        return _phrase("interval_on_or_after", locale, day=day_words(lo, locale))
    return _phrase("interval_between", locale, lo=day_words(lo, locale), hi=day_words(hi, locale))

"""The languages riskcheck writes in, and the one place that knows which one is being written.

A case states its language (`language: ru` in case.yaml), a run may override it (`--lang`), and the review
app remembers a reviewer's choice; whichever applies is set for the time a case is judged and written
(`speaking`), and every word riskcheck produces asks `current()`: the interface strings through gettext
(`_`, `ngettext`, and `N_` to mark a word in a table that is translated where it is shown), dates and numbers
through Babel's locale data, never hand-written month names.

The catalogs are gettext's (riskcheck/locale/<language>/LC_MESSAGES/riskcheck.po, compiled to .mo beside it
and installed with the package; docs/translating.md says how to extract, update and compile them). English
is the language the strings are written in, so it needs no catalog, and a string missing from a catalog is
shown in English rather than not at all.

This module sits below every other layer: it knows languages, not findings.
"""

from __future__ import annotations

import gettext as _gettext
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from babel.dates import format_date as _babel_format_date
from babel.numbers import format_decimal as _babel_format_decimal, format_percent as _babel_format_percent

DEFAULT = "en"
# Babel's locale ids, in the order a language switch lists them.
LANGUAGES = ("en", "ru", "kk", "uk", "pt_BR", "uz_Latn")
# Each language in its own words, for a language switch.
NATIVE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша", "uk": "Українська", "pt_BR": "Português",
                "uz_Latn": "Oʻzbekcha"}
# Shorter names a case file or a command line may use; the page's lang attribute uses BCP 47 (pt-BR, uz-Latn).
ALIASES = {"pt": "pt_BR", "pt-br": "pt_BR", "pt_br": "pt_BR", "uz": "uz_Latn", "uz-latn": "uz_Latn",
           "uz_latn": "uz_Latn"}
HTML_LANG = {"en": "en", "ru": "ru", "kk": "kk", "uk": "uk", "pt_BR": "pt-BR", "uz_Latn": "uz-Latn"}
DOMAIN = "riskcheck"
LOCALE_DIR = Path(__file__).parent / "locale"

_CURRENT: ContextVar[str] = ContextVar("riskcheck_language", default=DEFAULT)


class UnknownLanguage(ValueError):
    """A language riskcheck does not write; the message lists the ones it does."""

    def __init__(self, given: object):
        super().__init__(f"{given!r} is not a language riskcheck writes (one of {', '.join(LANGUAGES)}; "
                         "pt and uz stand for pt_BR and uz_Latn)")


def language(given: object) -> str:
    """The language id a case file, a rule file or a command line names: ru, kk, pt (pt_BR), uz (uz_Latn) ..."""
    if isinstance(given, str):
        text = given.strip()
        if text in LANGUAGES:
            return text
        if text.lower() in ALIASES:
            return ALIASES[text.lower()]
        if text.lower() in LANGUAGES:
            return text.lower()
    raise UnknownLanguage(given)


def current() -> str:
    """The language being written now."""
    return _CURRENT.get()


def html_lang(lang: str | None = None) -> str:
    """The language as a page's `lang` attribute names it (BCP 47: pt-BR, uz-Latn)."""
    return HTML_LANG[lang or current()]


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Write in `lang` (English when None) until the block ends, in this thread or task only."""
    chosen = language(lang) if lang else DEFAULT
    token = _CURRENT.set(chosen)
    try:
        yield chosen
    finally:
        _CURRENT.reset(token)


@lru_cache(maxsize=None)
def translations(lang: str) -> _gettext.NullTranslations:
    """A language's compiled catalog; English (the strings' own language) has none."""
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)


def _(message: str) -> str:
    """A string riskcheck writes, in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted string the current language needs for `n` (Russian has three, Kazakh one)."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """A string whose translation depends on where it stands (a status as a badge, a step word)."""
    return translations(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a string for the catalogs where it is defined; `_` translates it where it is shown."""
    return message


def format_date(value: date, form: str = "long") -> str:
    """A day in the current language's own form (Babel's locale data): 15 октября 2021 г., 2021 ж. 15 қазан."""
    return _babel_format_date(value, form, locale=current())


def format_number(value: int | float) -> str:
    """A number with the current language's separators: 12,345 / 12 345."""
    return _format_number(value, current())


@lru_cache(maxsize=4096, typed=True)  # typed: 1 and 1.0 are written apart
def _format_number(value: int | float, lang: str) -> str:
    """Babel reads its locale data anew on every call, and a national case's pages write the same few counts
    tens of thousands of times."""
    return _babel_format_decimal(value, locale=lang)


def format_percent(share: float) -> str:
    """A share as a whole percentage in the current language's form: 87%, 87 %, %87."""
    return _babel_format_percent(round(share, 2), locale=current())

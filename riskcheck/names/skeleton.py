"""Latin skeletons of name words: one spelling for the many that sources use for the same name.

A court register writes "Тоқаев", the press "Tokayev", a passport "Tokaev". anyascii turns every
Cyrillic script (with the Kazakh letters Ә Ғ Қ Ң Ө Ұ Ү Һ І, and the Uzbek and Kyrgyz ones) into Latin,
close to the Kazakh national romanization (Қ -> Q, Ң -> Ng, Ұ -> U); the folds below then merge the
variants transliteration schemes disagree on (zh/j, kh/h/x, q/k, y/i, doubled letters...). A skeleton
is for comparing, never for showing: the report always shows names as written.

Each fold has a short label, so that an explanation can say *why* two spellings are the same
("q/k, ye/e"). Everything is cached per word: registries repeat the same few thousand words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable

from anyascii import anyascii

# (label, pattern, replacement), applied in order to a lower-case ASCII word.
FOLDS: tuple[tuple[str, re.Pattern, str | Callable[[re.Match], str]], ...] = tuple(
    (label, re.compile(pattern), repl) for label, pattern, repl in (
        ("dzh/j", r"dzh|dj", "j"),
        ("zh/j", r"zh", "j"),
        ("kh/h", r"kh", "h"),
        ("x/h", r"^x", "h"),      # Uzbek Latin Xolmatov = Kholmatov
        ("x/ks", r"x", "ks"),     # English Alexei = Aleksei
        ("gh/g", r"gh", "g"),
        ("q/k", r"q|ck", "k"),
        ("w/v", r"w", "v"),
        ("ph/f", r"ph", "f"),
        ("ng/n", r"ng", "n"),
        ("ou/u", r"ou", "u"),
        ("ye/e", r"^ye", "e"),
        ("aye/ae", r"(?<=[aeiou])y(?=[aeiou])", ""),
        ("Latvian -s", r"(?<=..[a-z][a-z][bcdfgjklmnprtvz])s$", ""),  # Sergejs Lavrovs
        ("yj/i", r"([iye])j$", lambda m: "i" if m.group(1) in "iy" else "ei"),  # Selenskyj, Sergej
        ("y/i", r"y", "i"),
        ("double letters", r"([a-z])\1+", r"\1"),
    )
)

_CAMEL = re.compile(r"(?<=[a-zа-яёәғқңөұүһі])(?=[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])")
_SPLIT = re.compile(r"[\s,;/()\[\]\"]+|(?<!\w)-|-(?!\w)")
_LEET = str.maketrans("0134579", "oieastg")
_NOT_LETTER = re.compile(r"[^a-z]")
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit: what str.isalnum() accepts


@lru_cache(maxsize=200_000)
def latin(word: str) -> str:
    """A word in lower-case ASCII letters: 'Тоқаев' -> 'toqaev', "O'g'li" -> 'ogli'."""
    text = anyascii(unicodedata.normalize("NFC", word)).lower()
    if any(c.isalpha() for c in text):
        text = text.translate(_LEET)  # Ig0r Sech1n
    return _NOT_LETTER.sub("", text)


@lru_cache(maxsize=200_000)
def fold(word: str) -> tuple[str, tuple[str, ...]]:
    """The skeleton of one word and the labels of the folds that changed it."""
    text = latin(word)
    labels = []
    for label, pattern, repl in FOLDS:
        new = pattern.sub(repl, text)
        if new != text:
            labels.append(label)
            text = new
    return text, tuple(labels)


def skeleton(word: str) -> str:
    return fold(word)[0]


def words(text: str) -> list[str]:
    """Split a written name into words: spaces, commas and joined capitals ('AlisherUsmanov').

    Hyphens inside a word are kept ('Kassym-Jomart'); the parser decides what a hyphen joins.
    """
    text = _CAMEL.sub(" ", text.strip())
    return [w for w in _SPLIT.split(text) if _ALNUM.search(w)]

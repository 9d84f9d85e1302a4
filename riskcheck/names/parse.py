"""Reading a written name into its parts: surname, given names, patronymic, initials.

Names come in every order: Russian official lists write "Surname Given Patronymic", the press
"Given Surname", sanction lists "SURNAME, Given". The parser uses what a word looks like (a patronymic
or surname ending, capitals, a comma) before its position, and records each part's key: the skeleton
a comparison uses. The keys carry the equivalences Kazakh names need:

- a patronymic's key is the father's name: Kemelevich, Kemeluly and Кемелұлы all have the key `kemel`;
- a surname's key drops the gendered ending: Satybaldy, Satybaldyuly and Satybaldiyev have `satibaldi`,
  and the ending's gender is kept apart, so Nazarbayev and Nazarbayeva share a key but not a gender.
"""

from __future__ import annotations

from typing import NamedTuple
from functools import lru_cache

from riskcheck.names.skeleton import fold, latin, words

# Written words that are not part of a name (titles, honorifics, company forms), compared in latin().
NOISE = frozenset("mr mrs ms miss dr prof sir madam madame monsieur mme herr frau gospodin gospozha "
                  "llc ltd inc jr sr hon al el ad ud de da di del van von der den la le president minister general "
                  "sheikh shaikh".split())
# A particle that makes the next word a father's name (Arabic nasab).
NASAB = frozenset({"bin", "ibn", "ben", "bint"})
# A particle written apart that makes the previous word a patronymic: Kemel uly, Alisher o'g'li.
PATRONYMIC_PARTICLES = {"uly": "m", "uli": "m", "ulu": "m", "uulu": "m", "ugli": "m", "ogli": "m",
                        "ogly": "m", "oglu": "m", "kyzy": "f", "kizi": "f", "qizi": "f", "qyzy": "f",
                        "gyzy": "f", "kyz": "f"}

# Endings are matched on the latin form (before folding, so that Serikkyzy keeps its k); the key is the
# folded rest. (ending, gender), longest first.
_PATRONYMIC_ENDINGS = (
    ("ovitch", "m"), ("evitch", "m"), ("ovich", "m"), ("evich", "m"), ("ovych", "m"), ("evych", "m"),
    ("ilyich", "m"), ("ilich", "m"), ("itich", "m"), ("ukich", "m"), ("omich", "m"), ("zmich", "m"),
    ("ovna", "f"), ("evna", "f"), ("ichna", "f"), ("ivna", "f"),
    # Turkic: Kazakh -uly/-qyzy (Cyrillic -ұлы/-қызы), Kyrgyz -uulu/-kyzy, Uzbek -o'g'li/-qizi.
    ("uly", "m"), ("uulu", "m"), ("ugli", "m"), ("ogli", "m"), ("ogly", "m"),
    ("kyzy", "f"), ("qyzy", "f"), ("qizi", "f"), ("kizi", "f"), ("gyzy", "f"),
)
# (ending, gender, what the key keeps after the stem). Strong endings decide which word is the surname.
_SURNAME_STRONG = (("yeva", "f", ""), ("yev", "m", ""), ("ova", "f", ""), ("eva", "f", ""), ("ov", "m", ""),
                   ("ev", "m", ""), ("uly", "m", ""), ("kyzy", "f", ""), ("qyzy", "f", ""),
                   ("skaya", "f", "ski"), ("skaia", "f", "ski"), ("skiy", "m", "ski"), ("skii", "m", "ski"),
                   ("sky", "m", "ski"), ("ski", "m", "ski"))
_SURNAME_WEAK = (("ina", "f", "in"), ("in", "m", "in"), ("yn", "m", "in"), ("enko", None, "enko"),
                 ("yan", None, "ian"), ("ian", None, "ian"))


class NamePart(NamedTuple):
    role: str          # surname | given | patronymic | initial
    written: str       # the word as written
    key: str           # what comparisons use (see the module docstring)
    skeleton: str      # the whole word's skeleton
    folds: tuple[str, ...]
    gender: str | None = None  # what the word's form says: m, f or None


class ParsedName(NamedTuple):
    written: str
    parts: tuple[NamePart, ...]
    # Precomputed for comparing, which runs millions of times.
    core: tuple[NamePart, ...] = ()         # every part but patronymics, in written order
    patronymics: tuple[NamePart, ...] = ()
    gender: str | None = None               # m or f when the forms say so and agree

    @classmethod
    def of_parts(cls, written: str, parts: list[NamePart] | tuple[NamePart, ...]) -> ParsedName:
        core: list[NamePart] = []
        patronymics: list[NamePart] = []
        gender, clash = None, False
        for p in parts:
            (patronymics if p.role == "patronymic" else core).append(p)
            if p.gender:
                clash |= gender is not None and gender != p.gender
                gender = p.gender
        return cls(written, tuple(parts), tuple(core), tuple(patronymics), None if clash else gender)

    def of(self, role: str) -> list[NamePart]:
        return [p for p in self.parts if p.role == role]

    @property
    def patronymic(self) -> NamePart | None:
        return self.patronymics[0] if self.patronymics else None

    @property
    def surname(self) -> NamePart | None:
        found = self.of("surname")
        return found[0] if found else None


@lru_cache(maxsize=100_000)
def patronymic_key(word: str) -> tuple[str, str] | None:
    """(father's name key, gender) when the word has a patronymic ending, else None.

    Kemelevich, Kemeluly and Кемелұлы all give ('kemel', 'm').
    """
    low = latin(word)
    if word.endswith("ulı"):  # Kazakh Latin of 2021: Kemelulı
        low = low[:-3] + "uly"
    for ending, gender in _PATRONYMIC_ENDINGS:
        if low.endswith(ending) and len(low) - len(ending) >= 2:
            return fold(low[:-len(ending)])[0], gender
    return None


@lru_cache(maxsize=100_000)
def surname_form(word: str) -> tuple[str, str | None, bool] | None:
    """(key, gender, strong) when the word has a surname ending, else None.

    The key is the stem, so that the bare stem, stem+ov/ev and stem+uly agree: Satybaldy,
    Satybaldyuly and Satybaldiyev give 'satibaldi'; Tokay, Tokayev and Toqaev give 'tokai'.
    """
    low = latin(word)
    for table, strong in ((_SURNAME_STRONG, True), (_SURNAME_WEAK, False)):
        for ending, gender, keep in table:
            if low.endswith(ending) and len(low) - len(ending) >= 3:
                stem = low[:-len(ending)]
                # Tokay + ev is written Tokayev or Tokaev: the stem's final y is part of the name.
                if ending in ("ev", "eva", "yev", "yeva") and stem[-1] in "aeiou":
                    stem += "y"
                return fold(stem + keep)[0], gender, strong
    return None


def given_key(skel: str) -> str:
    """The key that matches a given name to a patronymic made from it: Sergei ~ Serge(evich), Ilia ~ Il(ich)."""
    return skel.rstrip("aeiu") or skel


@lru_cache(maxsize=200_000)
def _part(role: str, word: str, key: str | None = None, gender: str | None = None) -> NamePart:
    skel, folds = fold(word)
    return NamePart(role, word, key if key is not None else skel, skel, folds, gender)


@lru_cache(maxsize=100_000)
def _surname_part(word: str) -> NamePart:
    form = surname_form(word)
    if form:
        return _part("surname", word, form[0], form[1])
    return _part("surname", word)


def _field_words(text: str) -> list[str]:
    if not text:
        return []
    return [text] if text.isalpha() else words(text)


@lru_cache(maxsize=300_000)
def parse_name(text: str, surname: str = "", given: str = "", patronymic: str = "") -> ParsedName:
    """Parse a written name; structured fields, when a record has them, are taken as they are."""
    if surname or given or patronymic:
        parts = field_parts("surname", surname) + field_parts("given", given) + \
            field_parts("patronymic", patronymic)
        return ParsedName.of_parts(text or " ".join(x for x in (surname, given, patronymic) if x), parts)
    return ParsedName.of_parts(text, _parse_words(text))


@lru_cache(maxsize=100_000)
def field_parts(role: str, text: str) -> tuple[NamePart, ...]:
    """The parts of one structured field (surname, given_name or patronymic), cached: registries repeat them."""
    if role == "surname":
        return tuple(_surname_part(w) for w in _field_words(text))
    if role == "given":
        return tuple(_part("given", w) for g in _field_words(text) for w in g.split("-") if latin(w))
    return tuple(_patronymic_part(w) for w in _field_words(text))


@lru_cache(maxsize=100_000)
def _patronymic_part(word: str, gender: str | None = None) -> NamePart:
    """A patronymic keyed by the father's name ("Kemel uly" as written apart too); a father's name with
    no patronymic ending (Arabic nasab: bin Salman) is its own key."""
    pk = patronymic_key(word.replace(" ", ""))
    return _part("patronymic", word, pk[0] if pk else fold(word.split()[0])[0], gender or (pk[1] if pk else None))


# A name's parse depends on its words only through what the parser asks of each (its Latin form's length,
# capitals, endings, whether it is a particle or noise...), on the comma and on the case of the whole
# text. Registries write hundreds of thousands of distinct full names from a few hundred distinct words,
# in a handful of shapes: the roles are found once per shape (_plan) and each name is then put together
# from its own words (_build), so a million names cost what their shapes and words cost.
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=200_000)
def _piece_shape(piece: str) -> tuple:
    low = latin(piece)
    form = surname_form(piece)
    return (min(len(low), 4), piece.isupper(), bool(set(low) & _VOWELS), piece.endswith("."),
            patronymic_key(piece) is not None, low.endswith(("ch", "na")), form and form[2])


@lru_cache(maxsize=200_000)
def _pieces(word: str) -> tuple[str, ...]:
    """A hyphen joins two names (Kassym-Jomart, Alisher-Usmanov) or a particle (al-Assad)."""
    pieces = [p for p in word.split("-") if latin(p) and latin(p) not in NOISE] if len(word) > 2 else [word]
    return tuple(pieces or [word])


@lru_cache(maxsize=200_000)
def _word_shape(word: str) -> tuple:
    """Everything _plan reads of one word: the word itself (in Latin) only when it is a particle, noise or
    nothing, else what it looks like."""
    low = latin(word)
    special = None if not low else low if low in NASAB or low in PATRONYMIC_PARTICLES or low in NOISE else ""
    return (special, len(low) > 1, word == word.upper(), word.endswith("."),
            tuple(map(_piece_shape, _pieces(word))))


def key_parts(text: str) -> list[NamePart]:
    """The parts of a written name, its patronymics last: what blocking and hints key on (parse_name's
    ParsedName.core + .patronymics, without building a ParsedName for each of a registry's names)."""
    parts = _parse_words(text)
    return [p for p in parts if p.role != "patronymic"] + [p for p in parts if p.role == "patronymic"]


def _parse_words(text: str) -> list[NamePart]:
    head, comma, _ = text.partition(",")
    comma_words = len(words(head)) if comma else 0
    mixed_case = text != text.upper() and text != text.lower()
    ws = words(text)
    return _build(ws, _plan(tuple(map(_word_shape, ws)), comma_words, mixed_case))


def _build(ws: list[str], plan: tuple) -> list[NamePart]:
    """The parts of a name whose words are `ws`, from its shape's plan."""
    parts: list[NamePart] = []
    for role, i, k, c, joined, gender in plan:
        word = _pieces(ws[i])[k] if k is not None else ws[i]
        if joined:
            word = " ".join([word, *(ws[j] for j in joined)])
        if role == "patronymic":
            parts.append(_patronymic_part(word, gender))
        elif role == "surname":
            parts.append(_surname_part(word))
        elif role == "initial":
            if c is not None:
                word = latin(word)[c]
            parts.append(_part(role, word, fold(word)[0][:1]))
        else:
            parts.append(_part("given", word))
    return parts


@lru_cache(maxsize=100_000)
def _plan(shapes: tuple, comma_words: int, mixed_case: bool) -> tuple:
    """Which word (and hyphenated piece, and letter of an initial) becomes which part, for names of these
    word shapes: (role, word index, piece index, letter index, words joined to it, gender)."""
    # [shape of the piece, role, gender, word index, piece index, letter index, words joined]
    items: list[list] = []
    nasab = False
    for i, shape in enumerate(shapes):
        special, longer, upper, dotted, pieces = shape
        if special is None:
            continue  # no letter at all
        if special in NASAB:
            nasab = True
            continue
        if special in PATRONYMIC_PARTICLES and items and items[-1][1] is None:
            items[-1][6] = items[-1][6] + (i,)
            items[-1][1], items[-1][2] = "patronymic", PATRONYMIC_PARTICLES[special]
            continue
        if special in NOISE:
            continue
        role = None
        if nasab:
            role, nasab = "patronymic", False
        elif i < comma_words or (mixed_case and longer and upper and not dotted):
            role = "surname"
        for k, piece in enumerate(pieces):
            items.append([piece, role, None, i, k, None, ()])

    # Initials: one letter, a short word ending in a dot, or capitals with no vowel (JC = J. C.).
    expanded = []
    for it in items:
        size, upper, vowel, dotted = it[0][:4]
        if it[1] is None and 1 < size <= 3 and upper and not vowel:
            expanded += [[it[0], "initial", None, it[3], it[4], c, ()] for c in range(size)]
            continue
        if it[1] is None and (size == 1 or (dotted and size <= 2)):
            it[1] = "initial"
        expanded.append(it)
    items = expanded
    # A patronymic by its ending, in a name of three words or more (a two-word "Roman Abramovich" is a
    # given name and a surname). The last candidate wins: official lists end with the patronymic.
    full = [it for it in items if it[1] is None]
    if len(full) + sum(1 for it in items if it[1] == "surname") >= 3 \
            and not any(it[1] == "patronymic" for it in items):
        candidates = [it for it in full[1:] if it[0][4]]
        if candidates:
            strong = [it for it in candidates if it[0][5]]
            chosen = (strong or candidates)[-1]
            chosen[1] = "patronymic"
    # A surname: a strong ending decides, then a weak one, then the position.
    if not any(it[1] == "surname" for it in items):
        rest = [it for it in items if it[1] is None]
        strong = [it for it in rest if it[0][6]]
        weak = [it for it in rest if it[0][6] is not None]
        if strong:
            strong[0][1] = "surname"
        elif len(weak) == 1 and len(rest) > 1:
            weak[0][1] = "surname"
        elif len(rest) >= 2:
            roles = [it[1] for it in items]
            # Surname Given Patronymic when the patronymic comes last; otherwise Given ... Surname.
            if roles and roles[-1] == "patronymic" and len(rest) == 2:
                rest[0][1] = "surname"
            else:
                rest[-1][1] = "surname"
    return tuple((it[1] or "given", it[3], it[4], it[5], it[6], it[2]) for it in items)

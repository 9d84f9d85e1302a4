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


def _patronymic_part(word: str, gender: str | None = None) -> NamePart:
    """A patronymic keyed by the father's name ("Kemel uly" as written apart too); a father's name with
    no patronymic ending (Arabic nasab: bin Salman) is its own key."""
    pk = patronymic_key(word.replace(" ", ""))
    return _part("patronymic", word, pk[0] if pk else fold(word.split()[0])[0], gender or (pk[1] if pk else None))


def _parse_words(text: str) -> list[NamePart]:
    head, comma, _ = text.partition(",")
    comma_words = len(words(head)) if comma else 0
    mixed_case = text != text.upper() and text != text.lower()
    # (word, latin form, forced role, gender)
    items: list[list] = []
    nasab = False
    for i, w in enumerate(words(text)):
        low = latin(w)
        if not low:
            continue
        if low in NASAB:
            nasab = True
            continue
        if low in PATRONYMIC_PARTICLES and items and items[-1][2] is None:
            items[-1][0] = items[-1][0] + " " + w
            items[-1][2], items[-1][3] = "patronymic", PATRONYMIC_PARTICLES[low]
            continue
        if low in NOISE:
            continue
        role = None
        if nasab:
            role, nasab = "patronymic", False
        elif i < comma_words or (mixed_case and len(low) > 1 and w == w.upper() and not w.endswith(".")):
            role = "surname"
        # A hyphen joins two names (Kassym-Jomart, Alisher-Usmanov) or a particle (al-Assad).
        pieces = [p for p in w.split("-") if latin(p) and latin(p) not in NOISE] if len(w) > 2 else [w]
        for piece in pieces or [w]:
            items.append([piece, latin(piece), role, None])

    # Initials: one letter, a short word ending in a dot, or capitals with no vowel (JC = J. C.).
    expanded = []
    for it in items:
        if it[2] is None and 1 < len(it[1]) <= 3 and it[0].isupper() and not set(it[1]) & set("aeiouy"):
            expanded += [[c, c, "initial", None] for c in it[1]]
            continue
        if it[2] is None and (len(it[1]) == 1 or (it[0].endswith(".") and len(it[1]) <= 2)):
            it[2] = "initial"
        expanded.append(it)
    items = expanded
    # A patronymic by its ending, in a name of three words or more (a two-word "Roman Abramovich" is a
    # given name and a surname). The last candidate wins: official lists end with the patronymic.
    full = [it for it in items if it[2] is None]
    if len(full) + sum(1 for it in items if it[2] == "surname") >= 3 \
            and not any(it[2] == "patronymic" for it in items):
        candidates = [it for it in full[1:] if patronymic_key(it[0])]
        if candidates:
            strong = [it for it in candidates if latin(it[0]).endswith(("ch", "na"))]
            chosen = (strong or candidates)[-1]
            chosen[2] = "patronymic"
    # A surname: a strong ending decides, then a weak one, then the position.
    if not any(it[2] == "surname" for it in items):
        rest = [it for it in items if it[2] is None]
        strong = [it for it in rest if (f := surname_form(it[0])) and f[2]]
        weak = [it for it in rest if surname_form(it[0])]
        if strong:
            strong[0][2] = "surname"
        elif len(weak) == 1 and len(rest) > 1:
            weak[0][2] = "surname"
        elif len(rest) >= 2:
            roles = [it[2] for it in items]
            # Surname Given Patronymic when the patronymic comes last; otherwise Given ... Surname.
            if roles and roles[-1] == "patronymic" and len(rest) == 2:
                rest[0][2] = "surname"
            else:
                rest[-1][2] = "surname"

    parts: list[NamePart] = []
    for word, low, role, gender in items:
        role = role or "given"
        if role == "patronymic":
            parts.append(_patronymic_part(word, gender))
        elif role == "surname":
            parts.append(_surname_part(word))
        elif role == "initial":
            parts.append(_part(role, word, fold(word)[0][:1]))
        else:
            parts.append(_part("given", word))
    return parts

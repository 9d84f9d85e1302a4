"""How alike two names are, in 0..1, with the reason for every part.

The score is built to be read: each part says what it compared and what it found ("surname Toqaev ~
Tokayev: q/k, aye/ae"; "patronymic Kemelevich = Kemeluly"). Words are paired in any order, because
sources disagree on order, but a patronymic is only ever compared with a patronymic: Zhandos
Bakhytbekovich Imanaliev is not Bakhytbek Imanaliev, his father.

What weighs against: a different patronymic (Ivan Petrovich is not Ivan Sergeevich), a different
gender (Nazarbayev is not Nazarbayeva), and words of the shorter name that have no partner. Extra
words in the longer name (a middle name, a second given name) weigh less.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import OSA

from riskcheck.names.parse import NamePart, ParsedName, given_key, parse_name

DEFAULT_THRESHOLD = 0.7

_WORD_FLOOR = 0.3        # a pair of words less alike than this is no pair
_EXTRA_WEIGHT = 0.2      # an unpaired word of the longer name counts this much
_INITIAL_WEIGHT = 0.5
_INITIAL_SIM = 0.75
_PATRONYMIC_AGREES = 0.3  # how much of the remaining distance an agreeing patronymic closes
_PATRONYMIC_DIFFERS = 0.5
_GENDER_CAP = 0.35
_WEAKEST_FLOOR = 0.8
_INITIALS_CAP = 0.6


@dataclass(frozen=True)
class PartResult:
    role: str
    left: str
    right: str
    similarity: float | None  # None when only one name has the part
    note: str

    def words(self) -> str:
        """The comparison of this part as a reporter would say it."""
        role = _ROLE_WORDS.get(self.role, self.role)
        if self.role == "gender":
            return f"{role}: {self.note}"
        if self.similarity is None:
            return f"{role} {self.left or self.right!r} is in one record only"
        return f"{role} {self.left!r} and {self.right!r}: {_note_words(self.note)}"

    def line(self) -> str:
        shown = f"{self.left or '-'} ~ {self.right or '-'}"
        sim = "" if self.similarity is None else f"{self.similarity:.2f}"
        return f"{self.role:<11} {shown:<44} {sim:>4}  {self.note}".rstrip()


_ROLE_WORDS = {"given": "given name", "surname": "surname", "patronymic": "patronymic", "name": "name",
               "extra": "extra word", "gender": "gender"}


def _note_words(note: str) -> str:
    """The matcher's note on a pair of words in plain words (the CLI shows the notes themselves)."""
    if note == "same as written":
        return "written the same"
    if note.startswith("same skeleton"):
        return "the same name in another spelling or script"
    if note.startswith("same stem"):
        return "the same name with another ending (such as -ov and -ova, or -uly)"
    if note in ("initial", "other initial"):
        return "an initial that fits the name" if note == "initial" else "initials that differ"
    if note == "sounds alike":
        return "names that sound alike"
    if note.endswith("apart"):
        return f"spellings {note}"
    return note or "compared"


@dataclass
class NameComparison:
    score: float
    parts: list[PartResult] = field(default_factory=list)
    gender_conflict: bool = False
    patronymic_conflict: bool = False
    weakest: float = 0.0  # the least alike pair of full words (1.0: every word the same but for spelling)

    def explain(self) -> list[str]:
        return [p.line() for p in self.parts]


_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")
_SAME_SOUND = ({"s", "z"}, {"c", "k"}, {"c", "s"}, {"g", "k"}, {"v", "f"}, {"d", "t"}, {"b", "p"})


def word_similarity(a: str, b: str) -> float:
    """Likeness of two skeletons, counted in edits: one letter off in a long word is a typo (0.85),
    two or more is most often another name (Albano is not Albanese). Words that sound alike
    (jellyfish's metaphone) keep at least 0.7: Schulze ~ Scholz."""
    if a == b:
        return 1.0
    edits = OSA.distance(a, b)
    if a[:1] != b[:1] and {a[:1], b[:1]} <= _CONSONANTS and {a[:1], b[:1]} not in _SAME_SOUND:
        edits += 1  # a name is seldom mistyped in its first consonant: Serik and Berik are two names
    longest = max(len(a), len(b))
    if edits == 1:
        sim = 0.85 if longest >= 6 else 0.7 if longest == 5 else 0.6
    elif edits == 2:
        sim = max(0.0, 1 - 2.5 * edits / longest)
    else:
        sim = max(0.0, 1 - 2 * edits / longest)
    if sim < 0.7 and edits * 3 <= longest and _metaphone(a) == _metaphone(b):
        sim = 0.7
    return sim


@lru_cache(maxsize=200_000)
def _metaphone(s: str) -> str:
    return jellyfish.metaphone(s) if s else ""


def _fold_note(a: NamePart, b: NamePart) -> str:
    differing = [f for f in dict.fromkeys(a.folds + b.folds) if (f in a.folds) != (f in b.folds)]
    return ", ".join(differing)


_PAIRS: dict[tuple[str, str, str, str, str, str], float] = {}


def _pair(a: NamePart, b: NamePart) -> float:
    """Similarity of two words of two names (any roles but patronymic)."""
    # The result depends on the role, the skeleton and the key (a surname's stem, an initial's letter).
    key = (a.role, a.skeleton, a.key, b.role, b.skeleton, b.key)
    sim = _PAIRS.get(key)
    if sim is None:
        if len(_PAIRS) > 500_000:
            _PAIRS.clear()
        sim = _PAIRS[key] = _pair_uncached(a, b)
    return sim


def _pair_uncached(a: NamePart, b: NamePart) -> float:
    if a.role == "initial" or b.role == "initial":
        full, init = (b, a) if a.role == "initial" else (a, b)
        if full.role == "initial":
            return 1.0 if a.key == b.key else 0.0
        return _INITIAL_SIM if full.skeleton.startswith(init.key) else 0.0
    if a.skeleton == b.skeleton or (a.role == b.role == "surname" and a.key == b.key):
        return 1.0
    return word_similarity(a.skeleton, b.skeleton)


def _pair_note(a: NamePart, b: NamePart, sim: float) -> str:
    if "initial" in (a.role, b.role):
        return "initial" if sim else "other initial"
    if a.skeleton == b.skeleton:
        if a.written.lower() == b.written.lower():
            return "same as written"
        note = _fold_note(a, b)
        return "same skeleton" + (f" {a.skeleton!r}: {note}" if note else f" {a.skeleton!r}")
    if sim == 1.0:
        return f"same stem {a.key!r}, other ending"
    edits = OSA.distance(a.skeleton, b.skeleton)
    if edits == 1:
        return "one letter apart"
    return "sounds alike" if sim >= 0.7 else f"{edits} letters apart"


def _gender_clash(a: NamePart, b: NamePart) -> bool:
    if a.gender and b.gender and a.gender != b.gender:
        return True
    # Aleksandr / Aleksandra, Evgeni / Evgenia: a given name and its feminine form.
    if a.role == b.role == "given" and a.skeleton != b.skeleton:
        return a.skeleton + "a" == b.skeleton or b.skeleton + "a" == a.skeleton
    return False


def compare_parsed(a: ParsedName, b: ParsedName, explain: bool = True, fold_gender: bool = False) -> NameComparison:
    """Compare two parsed names; `explain=False` skips the wording (for scoring millions of pairs)."""
    out = NameComparison(0.0)
    results: list[PartResult] = []
    left, right = a.core, b.core
    if not left or not right:
        if explain:
            out.parts = [PartResult("name", a.written, b.written, 0.0, "nothing to compare")]
        return out

    total, weight, weakest, only_initials, used_l, used_r = _pair_words(left, right, out, results, explain)
    weight, weakest = _unpaired_words(left, right, used_l, used_r, weight, weakest, results, explain)
    # The least alike pair of words bounds the whole: Marat Sarsenov is not Murat Sarsenov, however
    # alike the rest.
    score = (total / weight) * (_WEAKEST_FLOOR + (1 - _WEAKEST_FLOOR) * weakest) if used_l else 0.0
    out.weakest = weakest if used_l and not only_initials else 0.0
    if used_l and only_initials:
        score = min(score, _INITIALS_CAP)  # N. N. is not enough to name anyone
    if len(a.parts) != len(b.parts):
        score = _word_breaks(a, b, score, results, explain)
    score = _patronymics(a, b, score, out, results, explain)
    if a.gender and b.gender and a.gender != b.gender:
        out.gender_conflict = True
    if out.gender_conflict and not fold_gender:  # a search folds it: "Zhaksybekov" finds Dana Zhaksybekova
        score = min(score, _GENDER_CAP)
        if explain:
            results.append(PartResult("gender", a.gender or "", b.gender or "", None,
                                      "the name forms say another gender"))
    out.score = round(min(max(score, 0.0), 1.0), 4)
    if explain:
        out.parts = sorted(results, key=lambda r: _ORDER.get(r.role.split("/")[0], 9))
    return out


def _pair_words(left: tuple[NamePart, ...], right: tuple[NamePart, ...], out: NameComparison,
                results: list[PartResult], explain: bool
                ) -> tuple[float, float, float, bool, set[int], set[int]]:
    """Pair the two names' words greedily, most alike first (same roles first among equals); a handful of
    words makes this as good as an optimal assignment. Marks a gender clash in `out`.

    Returns the weighted sum of the pairs' similarity, its weight, the weakest pair of full words, whether
    only initials paired, and the indexes of the words paired on each side.
    """
    scored = []
    for i, x in enumerate(left):
        for j, y in enumerate(right):
            sim = _pair(x, y)
            if sim >= _WORD_FLOOR:
                scored.append((-sim, x.role != y.role, i, j))
    scored.sort()
    used_l: set[int] = set()
    used_r: set[int] = set()
    total = weight = 0.0
    weakest = 1.0
    only_initials = True
    for neg, _, i, j in scored:
        if i in used_l or j in used_r:
            continue
        used_l.add(i)
        used_r.add(j)
        x, y = left[i], right[j]
        sim = -neg
        if x.role == "initial" or y.role == "initial":
            total += sim * _INITIAL_WEIGHT
            weight += _INITIAL_WEIGHT
        else:
            total += sim
            weight += 1.0
            weakest = min(weakest, sim)
            only_initials = False
        clash = _gender_clash(x, y)
        out.gender_conflict |= clash
        if explain:
            note = _pair_note(x, y, sim) + ("; other gender" if clash else "")
            role = x.role if x.role == y.role else f"{x.role}/{y.role}"
            results.append(PartResult(role, x.written, y.written, round(sim, 2), note))
    return total, weight, weakest, only_initials, used_l, used_r


def _unpaired_words(left: tuple[NamePart, ...], right: tuple[NamePart, ...], used_l: set[int], used_r: set[int],
                    weight: float, weakest: float, results: list[PartResult], explain: bool) -> tuple[float, float]:
    """Weigh the words left without a partner: a word of the shorter name counts fully against the match
    (and is the weakest pair), the longer name's extra words lightly. Returns (weight, weakest)."""
    short_is_left = len(left) <= len(right)
    short, long_ = (left, right) if short_is_left else (right, left)
    used_short, used_long = (used_l, used_r) if short_is_left else (used_r, used_l)
    excess = len(long_) - len(short)
    for i, p in enumerate(short):
        if i not in used_short:
            if p.role == "initial":
                weight += _INITIAL_WEIGHT
            else:
                weight += 1.0
                weakest = 0.0  # a word of the shorter name with no partner
            if explain:
                results.append(_unpaired(p, short_is_left, "no partner"))
    for i, p in enumerate(long_):
        if i not in used_long:
            extra = excess > 0
            excess -= 1
            weight += _EXTRA_WEIGHT if extra else 1.0
            if explain:
                results.append(_unpaired(p, not short_is_left, "extra word" if extra else "no partner"))
    return weight, weakest


def _word_breaks(a: ParsedName, b: ParsedName, score: float, results: list[PartResult], explain: bool) -> float:
    """The score raised where the words run together or split apart (Ramimakhlouf, Patr ushev) and the
    letters joined are alike."""
    joined_a = "".join(p.skeleton for p in a.core)
    joined_b = "".join(p.skeleton for p in b.core)
    joined = word_similarity(joined_a, joined_b) if min(len(joined_a), len(joined_b)) >= 8 else 0.0
    if joined >= 0.85 and joined * 0.95 > score:
        score = joined * 0.95
        if explain:
            results.append(PartResult("name", a.written, b.written, round(joined, 2),
                                      "same letters, other word breaks"))
    return score


def _patronymics(a: ParsedName, b: ParsedName, score: float, out: NameComparison, results: list[PartResult],
                 explain: bool) -> float:
    """The score after the patronymics, paired in order (a father's name, then a grandfather's in Arabic
    nasab chains): raised where they agree, cut where they differ (marked in `out`)."""
    pats_a, pats_b = a.patronymics, b.patronymics
    for pa, pb in zip(pats_a, pats_b):
        if pa.gender and pb.gender and pa.gender != pb.gender:
            out.gender_conflict = True
        sim = 1.0 if given_key(pa.key) == given_key(pb.key) else word_similarity(pa.key, pb.key)
        agrees = sim >= 0.7
        if agrees:
            score += (1 - score) * _PATRONYMIC_AGREES * sim
        else:
            out.patronymic_conflict = True
            score *= _PATRONYMIC_DIFFERS
        if explain:
            note = (("same father's name" + ("" if pa.skeleton == pb.skeleton else f" {pa.key!r}, other form"))
                    if agrees else "other father's name")
            results.append(PartResult("patronymic", pa.written, pb.written, round(sim, 2), note))
    if explain:
        for p in pats_a[len(pats_b):]:
            results.append(_unpaired(p, True, "only one name has it"))
        for p in pats_b[len(pats_a):]:
            results.append(_unpaired(p, False, "only one name has it"))
    return score


_ORDER = {"surname": 0, "given": 1, "initial": 2, "patronymic": 3, "gender": 5}


def _unpaired(p: NamePart, on_left: bool, note: str) -> PartResult:
    return PartResult(p.role, p.written if on_left else "", "" if on_left else p.written, None, note)


def compare_names(a: str, b: str) -> NameComparison:
    return compare_parsed(parse_name(a), parse_name(b))


def score_names(a: str, b: str) -> float:
    return compare_parsed(parse_name(a), parse_name(b), explain=False).score

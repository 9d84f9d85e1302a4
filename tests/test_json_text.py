"""findings.json's writer gives exactly the bytes of json.dumps(ensure_ascii=False, indent=2), and its errors."""

import json
import random

import pytest

from riskcheck.report.json_text import indented_json


def _dumps(value):
    return json.dumps(value, ensure_ascii=False, indent=2)


TEXT = 'aЖ"\\\n\t\x00\x1f\u2028\U0001f600 <>&'  # characters a string is made of
SCALARS = (None, True, False)
FLOATS = (1e-05, 1e16, 0.1, -0.0, 5e-324, float("nan"), float("inf"), -float("inf"))
LEAVES = ("", 0, 1.5)
KEYS = ("id", "ключ", 3, 2.5, True, None, "", 'a"b')


def random_value(rng: random.Random, depth: int = 0, text: str = TEXT, scalars: tuple = SCALARS,
                 floats: tuple = FLOATS, leaves: tuple = LEAVES, keys: tuple = KEYS):
    """A random document of nested lists, tuples and dicts, of the values given (tests/test_reuse_text.py gives
    others)."""
    options = {"text": text, "scalars": scalars, "floats": floats, "leaves": leaves, "keys": keys}
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return "".join(rng.choice(text) for _ in range(rng.randrange(6)))
    if kind == 1:
        return rng.choice(list(scalars))
    if kind == 2:
        return rng.randrange(-2**70, 2**70)
    if kind == 3:
        return rng.choice([*floats, rng.random() * 10 ** rng.randrange(-12, 25)])
    if kind in (4, 5):
        return rng.choice(list(leaves))
    if kind == 6:
        return [random_value(rng, depth + 1, **options) for _ in range(rng.randrange(4))]
    if kind == 7:
        return tuple(random_value(rng, depth + 1, **options) for _ in range(rng.randrange(3)))
    return {rng.choice(keys): random_value(rng, depth + 1, **options) for _ in range(rng.randrange(5))}


def test_the_same_text_as_json_dumps_for_any_plain_document():
    rng = random.Random(29)
    for _ in range(2000):
        value = random_value(rng)
        assert indented_json(value) == _dumps(value)


def test_a_document_json_cannot_write_fails_as_json_dumps_does():
    for value in ({(1, 2): "tuple key"}, {"a": {1, 2}}, [object()]):
        with pytest.raises(TypeError) as ours:
            indented_json(value)
        with pytest.raises(TypeError) as theirs:
            _dumps(value)
        assert str(ours.value) == str(theirs.value)

"""The YAML reader keeps values as written, knows lines, and refuses hostile documents."""

import pytest

from riskcheck.errors import ProblemError
from riskcheck.yamlio import load_yaml_text


def test_scalars_stay_text_and_lines_are_kept():
    doc = load_yaml_text("a: no\nb: 2021-10\nc:\nitems:\n  - x\n  - 10\n")
    assert doc == {"a": "no", "b": "2021-10", "c": None, "items": ["x", "10"]}
    assert doc.line_of("b") == 2
    assert doc["items"].lines == [5, 6]


def test_alias_bomb_is_refused_after_bounded_work(monkeypatch):
    """A billion values by aliases: refused once the budget of expanded values is spent, not after."""
    import riskcheck.yamlio as yamlio

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for level in "bcdefghi":
        bomb += f"{level}: &{level} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = level
    monkeypatch.setattr(yamlio, "MAX_NODES", 10_000)
    visited = []
    convert = yamlio._convert

    def counting(*args):
        visited.append(1)
        return convert(*args)
    monkeypatch.setattr(yamlio, "_convert", counting)
    with pytest.raises(ProblemError, match="more than 10000 values once aliases are expanded"):
        load_yaml_text(bomb, "bomb.yaml")
    assert len(visited) == 10_001


def test_python_object_tags_are_refused():
    with pytest.raises(ProblemError, match="not allowed"):
        load_yaml_text("x: !!python/object/apply:os.system ['echo hi']\n")


def test_duplicate_keys_and_syntax_errors_name_the_line():
    with pytest.raises(ProblemError, match="line 2: the key 'a' appears twice"):
        load_yaml_text("a: 1\na: 2\n", "f.yaml")
    with pytest.raises(ProblemError, match=r"f.yaml line \d+: not valid YAML"):
        load_yaml_text("a: [1, 2\nb: 3\n", "f.yaml")

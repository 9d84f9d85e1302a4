"""findings.json's text: exactly what `json.dumps(doc, ensure_ascii=False, indent=2)` writes, written faster.

Python's json module writes an indented document through its pure-Python encoder (its C encoder does not
indent), a generator per nested list and dict; a national case's findings.json (15 MB, a million values) took
longer to write than its findings took to find. Here each value is appended to one list by a plain recursive
function, with the json module's own C function for strings and the same number forms (`int.__repr__`,
`float.__repr__`, NaN and Infinity as json writes them), so the bytes are the same: a document holding anything
else (a set, a date, a key that is not text or a number) is handed to `json.dumps` as it is, which writes it or
raises exactly as before.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C function json.dumps uses (ensure_ascii=False)
from typing import Any, Callable

INDENT = "  "


class _NotPlain(Exception):
    """A value json.dumps would write in its own way (or refuse): the whole document goes to json.dumps."""


def indented_json(doc: Any) -> str:
    """`json.dumps(doc, ensure_ascii=False, indent=2)`, byte for byte."""
    parts: list[str] = []
    try:
        _write(doc, "\n", parts.append)
    except (_NotPlain, RecursionError):
        return json.dumps(doc, ensure_ascii=False, indent=2)
    return "".join(parts)


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A dict key as json.dumps turns it into text."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _number(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise _NotPlain


def _write(value: Any, newline: str, out: Callable[[str], None]) -> None:
    """`value` at the depth whose line break and indent is `newline`."""
    if isinstance(value, str):
        out(encode_basestring(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, float):
        out(_number(value))
    elif isinstance(value, (list, tuple)):
        if not value:
            out("[]")
            return
        inner = newline + INDENT
        out("[" + inner)
        first = True
        for item in value:
            if not first:
                out("," + inner)
            first = False
            _write(item, inner, out)
        out(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out("{}")
            return
        inner = newline + INDENT
        out("{" + inner)
        first = True
        for key, item in value.items():
            if not first:
                out("," + inner)
            first = False
            out(encode_basestring(_key(key)) + ": ")
            _write(item, inner, out)
        out(newline + "}")
    else:
        raise _NotPlain

"""Safe YAML reading that keeps line numbers and refuses hostile input.

Every scalar comes back as text (or None for an empty value), so YAML's implicit typing never
changes a value behind the author's back (`no` stays "no", `2021-10` stays a partial date), and
every mapping and list remembers the line each entry stood on, so errors can name file, line and
field. Documents are composed with PyYAML's safe loader (no object construction); aliases are
expanded under a node budget, so an alias bomb is refused in milliseconds instead of eating memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from riskcheck.errors import Problem, ProblemError

MAX_BYTES = 64 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_EXPANDED_CHARS = MAX_BYTES  # text once aliases are expanded: no more than a file may hold
MAX_DEPTH = 64

_SAFE_TAG_PREFIX = "tag:yaml.org,2002:"
_STANDARD_TAGS = {_SAFE_TAG_PREFIX + t for t in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp")}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YMap(dict):
    """A mapping that knows the line of each key (1-based) and its own line."""

    line: int = 0
    lines: dict[str, int]
    origin: int = 0  # the same for every copy an alias makes of one written mapping (unique within a document)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class YList(list):
    """A list that knows the line of each item and its own line."""

    line: int = 0
    lines: list[int]


class _Budget:
    """Counts what aliases expand to: values and characters, so neither many small aliases of many
    nodes nor a few aliases of one long string can turn a small file into gigabytes."""

    def __init__(self) -> None:
        self.nodes = 0
        self.chars = 0


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    """Read one YAML document from `path`; raise ProblemError naming the file and line on failure."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ProblemError([Problem(name, None, f"cannot read the file: {exc.strerror}")]) from exc
    if size > MAX_BYTES:
        raise ProblemError([Problem(name, None, f"the file is {size} bytes; the limit is {MAX_BYTES}")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError([Problem(name, None, f"not UTF-8 text (byte {exc.start})")]) from exc
    return load_yaml_text(text, name)


def load_yaml_text(text: str, name: str = "<text>") -> Any:
    """Parse YAML text into YMap/YList/str/None values."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ProblemError([Problem(name, line, f"not valid YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise ProblemError([Problem(name, None, f"not valid YAML: {exc}")]) from exc
    if node is None:
        return None
    return _convert(node, name, _Budget(), 0)


def _convert(node: yaml.Node, name: str, budget: _Budget, depth: int) -> Any:
    budget.nodes += 1
    line = node.start_mark.line + 1
    if budget.nodes > MAX_NODES:
        raise ProblemError([Problem(name, line, f"more than {MAX_NODES} values once aliases are expanded "
                                                "(an alias bomb?); refused")])
    if depth > MAX_DEPTH:
        raise ProblemError([Problem(name, line, f"nested deeper than {MAX_DEPTH} levels (a recursive alias?)")])
    if node.tag not in _STANDARD_TAGS:
        raise ProblemError([Problem(name, line, f"the tag {node.tag!r} is not allowed")])
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _SAFE_TAG_PREFIX + "null":
            return None
        budget.chars += len(node.value)
        if budget.chars > MAX_EXPANDED_CHARS:
            raise ProblemError([Problem(name, line, f"more than {MAX_EXPANDED_CHARS:,} characters of text once "
                                                    "aliases are expanded (an alias bomb?); refused")])
        return node.value
    if isinstance(node, yaml.SequenceNode):
        out = YList()
        out.line, out.lines = line, []
        for item in node.value:
            out.append(_convert(item, name, budget, depth + 1))
            out.lines.append(item.start_mark.line + 1)
        return out
    mapping = YMap()
    mapping.line, mapping.lines = line, {}
    mapping.origin = id(node)
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1
        if key_node.tag == _SAFE_TAG_PREFIX + "merge":
            raise ProblemError([Problem(name, key_line, "merge keys (<<) are not supported")])
        if not isinstance(key_node, yaml.ScalarNode):
            raise ProblemError([Problem(name, key_line, "a key must be plain text")])
        key = key_node.value
        if key in mapping:
            raise ProblemError([Problem(name, key_line, f"the key {key!r} appears twice")])
        mapping[key] = _convert(value_node, name, budget, depth + 1)
        mapping.lines[key] = key_line
    return mapping

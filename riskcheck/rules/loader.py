"""Loading rule files: YAML -> pydantic model -> compiled SQL, with every problem located by line.

The file stem is the rule id (as in semgrep-rules), so a rule is found by its name on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from riskcheck.engine.compile import CompiledRule, compile_rule
from riskcheck.errors import Problem, ProblemError
from riskcheck.indicators.compile import CompiledIndicator, compile_indicator
from riskcheck.registry.schema import Schema, load_schema
from riskcheck.grammar.errors import RuleError, validation_problem
from riskcheck.grammar.model import Rule, UnitRule, rule_model
from riskcheck.grammar.translations import translation_problems
from riskcheck.i18n import UnknownLanguage, language
from riskcheck.templating import template_problems, text_environment
from riskcheck.yamlio import YList, YMap, load_yaml_file


@dataclass
class LoadedRule:
    rule: Rule | UnitRule
    compiled: CompiledRule | CompiledIndicator
    path: Path
    document: YMap  # the parsed file, for locating test problems

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def is_unit_indicator(self) -> bool:
        return isinstance(self.rule, UnitRule)


def rule_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ProblemError([Problem(str(path), None, "is not a rules folder or rule file")])
    return sorted(p for p in path.rglob("*.yaml") if not any(part.startswith(("_", ".")) for part in
                                                              p.relative_to(path).parts))


def load_rules(paths: Path | list[Path], schema: Schema | None = None) -> list[LoadedRule]:
    """Load every rule under `paths` (folders or files); raise ProblemError listing all problems in all files.

    A file reached twice (a pack given both as part of a folder and on its own) is read once; two
    different files with one rule id are an error naming both.
    """
    paths = [paths] if isinstance(paths, Path) else list(paths)
    schema = schema or load_schema()
    loaded: list[LoadedRule] = []
    problems: list[Problem] = []
    files: dict[Path, Path] = {}
    for path in paths:
        for file in rule_files(path):
            files.setdefault(file.resolve(), file)
    for file in files.values():
        try:
            loaded.append(load_rule(file, schema))
        except ProblemError as exc:
            problems += exc.problems
    seen: dict[str, Path] = {}
    for item in loaded:
        if item.id in seen:
            problems.append(Problem(str(item.path), item.document.line_of("id"),
                                    f"rule id {item.id!r} is used already by {seen[item.id]}", field="id"))
        seen[item.id] = item.path
    if problems:
        raise ProblemError(problems)
    if not loaded:
        raise ProblemError([Problem(", ".join(map(str, paths)), None, "holds no rule files (*.yaml)")])
    return sorted(loaded, key=lambda r: r.id)


def load_rule(file: Path, schema: Schema) -> LoadedRule:
    shown = str(file)
    doc = load_yaml_file(file, shown)
    if not isinstance(doc, YMap):
        raise ProblemError([Problem(shown, 1, "a rule file is a mapping (id, title, kind, ...)")])
    try:
        rule = rule_model(doc).model_validate(doc)
    except ValidationError as exc:
        raise ProblemError([_pydantic_problem(shown, doc, err) for err in exc.errors()]) from None
    problems = []
    if rule.id != file.stem:
        problems.append(Problem(shown, doc.line_of("id"), f"the rule id {rule.id!r} must equal the file name "
                                                          f"{file.stem!r}", field="id"))
    try:
        compiled = compile_indicator(rule, schema) if isinstance(rule, UnitRule) else compile_rule(rule, schema)
    except RuleError as exc:
        problems += [Problem(shown, locate(doc, loc), msg, field=".".join(map(str, loc)))
                     for loc, msg in exc.problems]
        raise ProblemError(problems) from None
    problems += _template_problems(rule, compiled, schema, doc, shown)
    problems += [Problem(shown, locate(doc, _as_written(doc, loc)), msg, field=".".join(map(str, loc)))
                 for loc, msg in translation_problems(rule)]
    if problems:
        raise ProblemError(problems)
    return LoadedRule(rule, compiled, file, doc)


_TEMPLATES = text_environment()
TEMPLATE_NAMES = {"status", "params", "as_of", "rule"}  # besides the rule's own variables
UNIT_TEMPLATE_NAMES = {"unit", "m"}  # a unit indicator's: the organization, and its figures


def _template_problems(rule: Rule | UnitRule, compiled, schema: Schema, doc: YMap, shown: str) -> list[Problem]:
    """Compile the summary and explanation now, so a typo is found by `riskcheck rules`, not mid-run: every name
    the rule defines, and every field of a record or parameter the template names."""
    unit = isinstance(rule, UnitRule)
    names = (UNIT_TEMPLATE_NAMES if isinstance(rule, UnitRule) else set(rule.match) | set(rule.let)) | TEMPLATE_NAMES
    var_types = {"unit": "organizations"} if unit else dict(compiled.var_types)
    fields: dict[str, tuple[str, frozenset[str]]] = {}
    for var, type_name in var_types.items():
        rtype = schema.record_type(type_name)
        if rtype is not None:
            fields[var] = (f"{var} (a {type_name} record) has no field", frozenset(rtype.fields))
    fields["params"] = ("the rule has no parameter", frozenset(rule.parameters))
    fields["rule"] = ("the rule has no field", frozenset(type(rule).model_fields))
    out = []
    texts: list[tuple[tuple[str, ...], str]] = [((key,), getattr(rule, key)) for key in ("summary", "explanation")]
    texts += [(("translations", lang, key), text) for lang, t in rule.translations.items()
              for key in ("summary", "explanation") if (text := getattr(t, key))]
    for loc, text in texts:
        for line, message in template_problems(_TEMPLATES, text, names, fields):
            out.append(Problem(shown, locate(doc, _as_written(doc, loc)), f"{message} (line {line} of the template)"
                               if line > 1 else message, field=".".join(loc)))
    return out


def _as_written(doc: YMap, loc: tuple) -> tuple:
    """A place under `translations` with the language as the file writes it (pt for pt_BR), to find its line."""
    if len(loc) < 2 or loc[0] != "translations" or not isinstance(doc.get("translations"), YMap):
        return loc
    for key in doc["translations"]:
        try:
            if language(key) == loc[1]:
                return (loc[0], key, *loc[2:])
        except UnknownLanguage:
            continue
    return loc


def locate(doc: Any, loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that the YAML document has."""
    line = getattr(doc, "line", None)
    node = doc
    for part in loc:
        if isinstance(node, YMap) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, YList) and isinstance(part, int) and part < len(node):
            line, node = node.lines[part], node[part]
        else:
            break
    return line


def _pydantic_problem(shown: str, doc: YMap, err: ErrorDetails) -> Problem:
    loc, message = validation_problem(err)
    loc = tuple("from" if p == "from_" else p for p in loc)
    return Problem(shown, locate(doc, loc), message, field=".".join(map(str, loc)) or None)

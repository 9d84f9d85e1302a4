"""Where the rules that ship with riskcheck are: installed in the package, or in a source checkout.

A wheel holds them as riskcheck/shipped_rules/ (pyproject.toml maps the repository's rules/ there); a
source checkout, or an editable install of one, reads the repository's rules/ itself. Either way
`riskcheck run` finds them from any working directory.
"""

from __future__ import annotations

from pathlib import Path

import riskcheck

_PACKAGE = Path(riskcheck.__file__).resolve().parent


def shipped_rules_dir() -> Path:
    installed = _PACKAGE / "shipped_rules"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "rules"


def shown_rule_path(path: Path) -> str:
    """A rule file as a rule author finds it in the repository (`rules/kz/x.yaml`), else as given."""
    root = shipped_rules_dir()
    try:
        return "rules/" + path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)

"""The package's layers hold beyond what import-linter checks: no module reads another package's private name.

(The layers themselves are pyproject.toml's [tool.importlinter] contract, run by `lint-imports` in CI.)"""

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "riskcheck"


def _package_of(module: str) -> str:
    """riskcheck.report.render -> report; riskcheck.errors -> errors; riskcheck -> riskcheck."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def private_imports_across_packages() -> list[str]:
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(file.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("riskcheck")):
                continue
            for alias in node.names:
                # `_` alone is gettext's translate-this marker (riskcheck.i18n), public by convention.
                private = alias.name.startswith("_") and not alias.name.startswith("__") and alias.name != "_"
                if private and _package_of(node.module) != _package_of(module):
                    found.append(f"{module} line {node.lineno}: {alias.name} from {node.module}")
    return found


def test_no_module_imports_a_private_name_of_another_package():
    assert private_imports_across_packages() == []


def test_the_check_sees_a_private_import_across_packages(tmp_path, monkeypatch):
    fake = tmp_path / "riskcheck"
    (fake / "serve").mkdir(parents=True)
    (fake / "serve" / "app.py").write_text("from riskcheck.report.render import _env\n")
    (fake / "report").mkdir()
    (fake / "report" / "render.py").write_text("from riskcheck.report.pages import _page\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert private_imports_across_packages() == ["riskcheck.serve.app line 1: _env from riskcheck.report.render"]

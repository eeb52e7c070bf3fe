"""The house's layers (STYLE.md): grids ← disputes, legal_services ← governance. Every module's
imports are parsed (including imports inside functions), so an upward import fails here before it
makes a cycle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("grids", "disputes", "legal_services", "governance")
FORBIDDEN = {
    "grids": {"disputes", "legal_services", "governance"},
    "disputes": {"governance", "legal_services"},
    "legal_services": {"governance", "disputes"},
    "governance": set(),
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(top-level project app, line) for every absolute import in the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in APPS}
    return found


def modules(app: str) -> list[Path]:
    return sorted((ROOT / app).rglob("*.py"))


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_upwards_or_sideways(app):
    assert modules(app), f"no modules found for {app}"
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for path in modules(app)
        for other, line in sorted(imported_apps(path))
        if other in FORBIDDEN[app]
    ]
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from governance.celery import app\n    import disputes.models\n")
    assert imported_apps(module) == {("governance", 2), ("disputes", 3)}

"""The shape of the code: the core (console/, but for the users app inside it) imports no app;
apps reach it only through the registry and the shared mechanisms."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("agents", "knowledge", "deployments", "audit", "performance", "console.users")


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _is_app(module: str) -> bool:
    return any(module == app or module.startswith(app + ".") for app in APPS)


def test_the_core_imports_no_app():
    core = [
        path
        for path in (ROOT / "console").rglob("*.py")
        if "users" not in path.relative_to(ROOT / "console").parts[:1]
    ]
    assert core, "no core modules found"
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in core
        for line, module in _imports(path)
        if _is_app(module)
    ]
    assert offending == []

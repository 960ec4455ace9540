"""The alerts package decides and sends; every SQL statement about alerts is the store's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import driftwatch.alerts

ALERTS = Path(driftwatch.alerts.__file__).parent
STORE = ALERTS.parent / "store"


def _runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports outside ``if TYPE_CHECKING:`` blocks (annotations only)."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted(ALERTS.glob("*.py")), ids=lambda p: p.name)
def test_alerts_modules_hold_no_sql(path: Path) -> None:
    imports = _runtime_imports(path)
    assert not {m for m in imports if m.split(".")[0] == "sqlalchemy"}
    assert "driftwatch.store.models" not in imports


@pytest.mark.parametrize("name", ["alerts.py", "outbox.py"])
def test_the_alert_stores_import_nothing_from_alerts(name: str) -> None:
    tree = ast.parse((STORE / name).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in modules if m.startswith("driftwatch.alerts")}

"""The house rules, checked on the import graph of ``driftwatch/``.

The graph is built from every ``import`` statement in the package's source — module level, inside
functions (lazy imports) and under ``TYPE_CHECKING`` alike — because a lazy arrow is still an
arrow: it is what makes a change in one layer break another. Importing ``a.b.c`` also imports the
packages ``a`` and ``a.b`` (their ``__init__`` runs first), so those edges count too, except to the
importer's own enclosing packages, which Python has already begun importing by the time it runs.

Rules (DESIGN.md §2, issue 10): no import cycle; the engine (numpy, and scipy.special where a
function needs it) imports only ``errors``; the store knows nothing of how results are made or
sent; config knows nothing of the scheduler; alerts know nothing of the monitor; the low layer
imports nothing above it; no module is over 600 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "driftwatch"
MAX_LINES = 600

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))


@cache
def import_graph() -> Graph:
    """Module → the package modules it imports (any import statement, anywhere in the file)."""
    modules = {module_name(p): p for p in source_files()}

    def resolve(name: str) -> str | None:
        # `from driftwatch.engine import Histogram` names a module or an attribute of one.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                else:
                    base = node.module or ""
                # `from pkg import submodule` imports the submodule; `from pkg import name`
                # imports pkg itself.
                submodules = [
                    f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules
                ]
                attributes = len(submodules) < len(node.names)
                candidates = [*([base] if attributes else []), *submodules]
            else:
                continue
            for candidate in candidates:
                if candidate == "driftwatch" or candidate.startswith("driftwatch."):
                    resolved = resolve(candidate)
                    if resolved is not None:
                        targets.update(_with_packages(resolved, name, modules))
        targets.discard(name)
        graph[name] = targets
    return graph


def _with_packages(target: str, importer: str, modules: dict[str, Path]) -> set[str]:
    """``target`` and the packages above it that importing it runs, except ``importer``'s own."""
    own = set(_enclosing(importer))
    return {target} | {p for p in _enclosing(target) if p in modules and p not in own}


def _enclosing(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def edges(graph: Graph) -> Iterator[tuple[str, str]]:
    for source, targets in graph.items():
        for target in targets:
            yield source, target


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    # A guard for the guard: if these arrows vanished, the graph builder would be blind.
    graph = import_graph()
    assert "driftwatch.engine" in graph
    assert any(in_layer(t, "driftwatch.engine") for t in graph["driftwatch.results"])


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_graph_counts_the_packages_an_import_runs() -> None:
    # `runs` imports `driftwatch.alerts._apply`, which runs `driftwatch/alerts/__init__.py` first.
    graph = import_graph()
    assert {"driftwatch.alerts._apply", "driftwatch.alerts"} <= graph["driftwatch.runs"]
    assert "driftwatch.engine" not in graph["driftwatch.engine.binning"]  # its own package


def test_only_the_cli_and_the_api_import_the_commands() -> None:
    """The command layer is the top: everything else is below it (DESIGN.md §2)."""
    callers = ("driftwatch.cli", "driftwatch.commands", "driftwatch.api")
    broken = sorted(
        f"{source} → {target}"
        for source, target in edges(import_graph())
        if (in_layer(target, "driftwatch.commands") or target == "driftwatch.api")
        and source != "driftwatch"  # the package's lazy public names
        and not any(in_layer(source, c) for c in callers)
    )
    assert broken == []


def test_cycle_detection_finds_a_planted_cycle() -> None:
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(planted) == [["a", "b", "c"]]


# (importer layer, layers it must not import, why)
FORBIDDEN = [
    pytest.param(
        "driftwatch.engine",
        ["driftwatch"],
        "the engine is numpy and scipy.special: errors only",
        id="engine-imports-only-errors",
    ),
    pytest.param(
        "driftwatch.store",
        [
            "driftwatch.monitor",
            "driftwatch.sources",
            "driftwatch.evaluate",
            "driftwatch.thresholds",
            "driftwatch.alerts",
            "driftwatch.cli",
            "driftwatch.scheduler",
            "driftwatch.api",
        ],
        "the store stores; it does not make or send results",
        id="store-knows-no-upper-layer",
    ),
    pytest.param(
        "driftwatch.config",
        ["driftwatch.scheduler", "driftwatch.sources", "driftwatch.store", "driftwatch.cli"],
        "config validates the file; it drives nothing",
        id="config-imports-no-scheduler",
    ),
    pytest.param(
        "driftwatch.alerts",
        ["driftwatch.monitor", "driftwatch.cli", "driftwatch.scheduler", "driftwatch.api"],
        "alerts react to stored outcomes",
        id="alerts-import-no-monitor",
    ),
    pytest.param(
        "driftwatch.results",
        [
            "driftwatch.config",
            "driftwatch.sources",
            "driftwatch.store",
            "driftwatch.alerts",
            "driftwatch.monitor",
            "driftwatch.cli",
        ],
        "the low layer imports nothing above it",
        id="results-is-low",
    ),
    pytest.param(
        "driftwatch.timeutil",
        ["driftwatch"],
        "the low layer imports nothing above it",
        id="timeutil-is-low",
    ),
    pytest.param(
        "driftwatch.bounded_tasks",
        ["driftwatch"],
        "the low layer imports nothing above it",
        id="bounded-tasks-is-low",
    ),
    pytest.param(
        "driftwatch.text",
        ["driftwatch"],
        "the low layer imports nothing above it",
        id="text-is-low",
    ),
    pytest.param(
        "driftwatch.escaping",
        ["driftwatch"],
        "the low layer imports nothing above it: every edge that shows data escapes with it",
        id="escaping-is-low",
    ),
    pytest.param(
        "driftwatch.name_lengths",
        ["driftwatch"],
        "the store's column lengths: config and store share them without importing each other",
        id="limits-imports-nothing",
    ),
    pytest.param(
        "driftwatch._version",
        ["driftwatch"],
        "any module may import the version",
        id="version-imports-nothing",
    ),
    pytest.param(
        "driftwatch.sources",
        ["driftwatch.store", "driftwatch.monitor", "driftwatch.alerts", "driftwatch.cli"],
        "sources read data; they store and send nothing",
        id="sources-know-no-store",
    ),
]

ALLOWED = {
    "driftwatch.engine": {"driftwatch.errors"},
    "driftwatch.timeutil": set(),
    "driftwatch.bounded_tasks": set(),
    "driftwatch.text": set(),
    "driftwatch.escaping": set(),
    "driftwatch.name_lengths": set(),
    "driftwatch._version": set(),
}


@pytest.mark.parametrize(("layer", "forbidden", "why"), FORBIDDEN)
def test_layer_rules(layer: str, forbidden: list[str], why: str) -> None:
    allowed = ALLOWED.get(layer, set())
    broken = sorted(
        f"{source} → {target}"
        for source, target in edges(import_graph())
        if in_layer(source, layer)
        and not in_layer(target, layer)
        and target not in allowed
        and any(in_layer(target, f) for f in forbidden)
    )
    assert broken == [], why


@pytest.mark.parametrize("path", list(source_files()), ids=lambda p: module_name(p))
def test_no_module_is_over_the_line_limit(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, (
        f"{module_name(path)} has {lines} lines: split it along the data flow"
    )

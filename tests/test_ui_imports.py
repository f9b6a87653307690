"""The kiosk UI's modules import one way: the app owns state and services and imports the
screens and staff pages; they read the running app through kiosk.ui.context, never by
importing the app module. Every import counts here, type-checking ones included."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.pysource import parse

UI = Path(__file__).resolve().parents[1] / "kiosk" / "ui"


def module_name(path: Path) -> str:
    parts = ("kiosk", "ui", *path.relative_to(UI).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def ui_imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in UI.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_the_ui_modules_import_each_other_without_a_cycle():
    graph = ui_imports()
    assert "kiosk.ui.staff.stock" in graph and "kiosk.ui.screens" in graph
    assert cycles(graph) == []


def test_nothing_in_the_ui_imports_the_app():
    graph = ui_imports()
    assert {m for m, deps in graph.items() if "kiosk.ui.app" in deps} == set()
    assert {"kiosk.ui.screens", "kiosk.ui.staff"} <= graph["kiosk.ui.app"]


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]

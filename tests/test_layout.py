"""The layout's promises (DESIGN section 2 and 9): who may import whom.

The ledger imports from ``kiosk`` only what both sides share, never the UI or the
scanner; the kiosk imports from ``sync`` only the agent. Checked on the source, so a
lazy import inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from tests.pysource import parse

ROOT = Path(__file__).resolve().parents[1]
SHARED_KIOSK = (
    "kiosk.core",
    "kiosk.logs",
    "kiosk.tomlconfig",
    "kiosk.sqlite_migrate",
    "kiosk.clock",
    "kiosk.private",
)


def imports_of(path: Path) -> set[str]:
    tree = parse(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


def _within(name: str, allowed: tuple[str, ...]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("path", modules("sync.ledger"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_ledger_imports_only_the_shared_part_of_kiosk(path):
    wrong = {
        m
        for m in imports_of(path)
        if (m == "kiosk" or m.startswith("kiosk."))
        and not _within(m, SHARED_KIOSK)
        and m not in ("kiosk", "kiosk.__version__")  # the package itself: its version
    }
    wrong |= {m for m in imports_of(path) if m.split(".")[0] in ("kivy", "cv2", "pyzbar")}
    assert not wrong, (
        f"{path.name} imports {sorted(wrong)}: code both sides use lives in {SHARED_KIOSK}"
        " (see sync/ledger/__init__.py)"
    )


# Dev tooling that builds demo ledgers (the screenshot maker) lives in devtools/, outside.
@pytest.mark.parametrize("path", modules("kiosk"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_kiosk_imports_only_the_agent_from_sync(path):
    wrong = {
        m
        for m in imports_of(path)
        if (m == "sync" or m.startswith("sync.")) and not _within(m, ("sync.agent",))
    }
    assert not wrong, (
        f"{path.name} imports {sorted(wrong)}: the kiosk talks to sync only through"
        f" sync.agent; code both sides use lives in {SHARED_KIOSK}"
    )


@pytest.mark.parametrize("path", modules("sync.agent"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_agent_never_imports_the_ledger(path):
    wrong = {m for m in imports_of(path) if _within(m, ("sync.ledger",))}
    assert not wrong, f"{path.name} imports {sorted(wrong)}"


@pytest.mark.parametrize("path", modules("kiosk.core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_stays_pure(path):
    # No Kivy, database, network or clock reads in the domain core (GUIDE: Code).
    banned = ("kivy", "cv2", "sqlite3", "sqlite_utils", "requests", "socket", "kiosk.store")
    wrong = {m for m in imports_of(path) if _within(m, banned) or m.startswith("kiosk.ui")}
    assert not wrong, f"{path.name} imports {sorted(wrong)}"


def test_the_ledger_exports_its_public_names():
    import sync.ledger

    for name in sync.ledger.__all__:
        assert getattr(sync.ledger, name) is not None, name
    with pytest.raises(AttributeError):
        sync.ledger.no_such_name  # noqa: B018


def test_every_ledger_module_imports():
    # A module left behind by a move (an import of an old path) fails here, not in production.
    for path in modules("sync.ledger"):
        rel = path.relative_to(ROOT).with_suffix("")
        if rel.name == "__main__":
            continue
        importlib.import_module(".".join(rel.parts).removesuffix(".__init__"))


_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|WITH)\b")


def _sql_strings(path: Path) -> list[str]:
    """String constants that read like SQL statements (docstrings aside)."""
    tree = parse(path)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value.strip()[:60]
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and _SQL.match(node.value)
    ]


@pytest.mark.parametrize(
    "path",
    [p for p in modules("sync.ledger") if "db" not in p.relative_to(ROOT / "sync/ledger").parts],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_sql_outside_the_storage_package(path):
    # DESIGN section 9: db/ is the only place with SQL, so a second backend is a second db/.
    assert not _sql_strings(path), f"{path.name} holds SQL: move it behind sync.ledger.db"


def test_the_sql_check_finds_sql():
    assert _sql_strings(ROOT / "sync/ledger/db/sqlite/store.py")


_LOAD_THE_LEDGER = """
import importlib, json, pkgutil, sys
import sync.ledger
banned = ("kivy", "cv2", "pyzbar", "zxingcpp", "kiosk.ui", "kiosk.scanner", "kiosk.store",
          "kiosk.service", "sync.agent")
for m in pkgutil.walk_packages(sync.ledger.__path__, "sync.ledger."):
    if not m.name.endswith("__main__"):
        importlib.import_module(m.name)
print(json.dumps(sorted(n for n in sys.modules if n.startswith(banned))))
import kiosk.store  # what a kiosk module brings in, to show the check can fail
print(json.dumps(sorted(n for n in sys.modules if n.startswith(banned))))
"""


def test_loading_every_ledger_module_loads_no_kiosk_ui_camera_or_scanner():
    # The static checks above read the source; this loads the ledger as a server does, so an
    # import chain through a shared module (kiosk.logs -> ... -> kivy) is caught as well.
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _LOAD_THE_LEDGER],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ledger_alone, with_a_kiosk_module = map(json.loads, out.stdout.strip().splitlines()[-2:])
    assert ledger_alone == []
    assert "kiosk.store" in with_a_kiosk_module

"""The kiosk wheel carries the product only: dev tooling (synthetic frames and videos,
the UI driver) lives in devtools/, which the wheel leaves out and the product never imports."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from setuptools import find_packages

from tests.pysource import parse

REPO = Path(__file__).resolve().parents[1]


def test_wheel_packages_leave_devtools_out():
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"][
        "find"
    ]
    packages = find_packages(str(REPO), include=find["include"])
    assert "kiosk.scanner" in packages and "sync" in packages
    assert not [p for p in packages if p.split(".")[0] == "devtools"]
    assert (REPO / "devtools" / "synth.py").is_file()
    assert not (REPO / "kiosk" / "scanner" / "synth.py").exists()
    for tool in ("driver.py", "screenshots.py"):
        assert (REPO / "devtools" / tool).is_file() and not (REPO / "kiosk" / "ui" / tool).exists()


def test_every_kv_file_is_shipped():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["kiosk"]
    kv = sorted(p.relative_to(REPO / "kiosk") for p in (REPO / "kiosk").rglob("*.kv"))
    assert kv and all(any(k.match(pat) for pat in patterns) for k in kv), kv


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(parse(path)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_product_never_imports_devtools():
    offenders = [
        str(p.relative_to(REPO))
        for top in ("kiosk", "sync")
        for p in (REPO / top).rglob("*.py")
        if "devtools" in _imports(p)
    ]
    assert offenders == []

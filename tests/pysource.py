"""Our own source read as syntax trees, for the tests that hold the layout's promises.

CPython 3.11 up to 3.11.7 (Debian's) keeps one AST-building depth counter per interpreter,
not per thread. A garbage collection inside ``ast.parse`` can run a finaliser, the
finaliser can hand the GIL to another thread, and a parse there resets the counter, so the
first parse fails with "SystemError: AST constructor recursion depth mismatch"
(python/cpython#106905). xdist workers carry threads other tests started, so the layout
tests failed now and then on nothing in the code. Parsing with the collector paused leaves
no Python code to run in the middle of a parse; one retry covers a collection that was
already under way when we paused it.
"""

from __future__ import annotations

import ast
import functools
import gc
from pathlib import Path


def _parse_paused(source: str, name: str) -> ast.Module:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=name)
    finally:
        if was_enabled:
            gc.enable()


@functools.cache
def parse(path: Path) -> ast.Module:
    source = path.read_text(encoding="utf-8")
    try:
        return _parse_paused(source, str(path))
    except SystemError:
        return _parse_paused(source, str(path))

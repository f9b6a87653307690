"""Each benchmark's figures, for one summary at the end of `make bench`.

A benchmark calls ``report`` for every figure that has a target (and may for others);
when run by bench/run_all.py (``BENCH_FIGURES`` names a file) the figure is appended
there as one JSON line, otherwise nothing happens: the script prints its own table.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

OPS = {"<=": lambda v, t: v <= t, ">=": lambda v, t: v >= t}


def verdict(value: float, target: tuple[str, float] | None) -> str:
    if target is None:
        return "info"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "MISSED"
    op, limit = target
    return "ok" if OPS[op](value, limit) else "MISSED"


def report(
    bench: str,
    name: str,
    value: float,
    unit: str,
    *,
    target: tuple[str, float] | None = None,
    reference: str = "",
) -> dict[str, Any]:
    """One figure: ``target`` is ("<=", 66.0) or (">=", 20000); ``reference`` says what it
    compares with in the same run (the raw engine, the single decoder, the machine's load)."""
    row = {
        "bench": bench,
        "name": name,
        "value": value,
        "unit": unit,
        "target": list(target) if target else None,
        "reference": reference,
        "verdict": verdict(value, target),
    }
    path = os.environ.get("BENCH_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row

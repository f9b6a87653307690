"""Option types for the ``kiosk`` and ``kiosk-ledger`` commands: a number that is finite
and within its bounds, or a one-line error naming the option (``nan``, ``1e12`` and
``-5`` are all a person's typing mistakes, never a traceback or an expired code)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def bounded(kind: type, lo: float, hi: float, what: str = "") -> Callable[[str], float | int]:
    """An argparse ``type=``: ``kind`` (int or float) with ``lo <= value <= hi``; ``what``
    is the unit, Chinese/English (``小时/hours``)."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(
                f"{text[:20]!r} 不是{'整数' if kind is int else '数字'} / not {'a whole number' if kind is int else 'a number'}"
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text[:20]!r} 不是有限的数字 / not a finite number")
        if not lo <= value <= hi:
            zh, _, en = what.partition("/")
            raise argparse.ArgumentTypeError(
                f"{text[:20]} 超出范围，应在 {lo:g} 到 {hi:g} {zh}之间"
                f" / out of range: from {lo:g} to {hi:g}{' ' + en if en else ''}"
            )
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse

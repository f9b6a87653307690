"""What commits with the next write transaction: a console change's audit entry is written
in the transaction of the change it records, as pretix writes ``log_action`` inside the
change's atomic block, so the journal never lacks a change nor lists one that rolled back.

A console view wraps the change in ``with_next_write(fn)``; the next write transaction
any backend opens in that context (the staff tool's, even in a worker thread: contextvars
follow ``run_in_threadpool``) calls ``fn`` with a ``ConsoleWrite`` on its own connection
just before it commits, once. A change that wrote nothing leaves ``fn`` pending: the view
then commits it on its own (``flush``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_NEXT: ContextVar[list[Callable[[Any], None]] | None] = ContextVar(
    "ledger_next_write", default=None
)


@contextmanager
def with_next_write(fn: Callable[[Any], None]) -> Iterator[list[Callable[[Any], None]]]:
    """``fn(console_write)`` runs inside the next write transaction opened in this block;
    the list yielded is empty once it has been committed."""
    box = [fn]
    token = _NEXT.set(box)
    try:
        yield box
    finally:
        _NEXT.reset(token)


def before_commit(console: Callable[[], Any]) -> list[Callable[[Any], None]] | None:
    """Called by a backend's write transaction just before COMMIT; returns the box to
    ``after_commit`` (None when nothing is pending)."""
    box = _NEXT.get()
    if not box:
        return None
    fn = box[0]
    box.clear()  # a write fn itself opens is not given fn again
    try:
        fn(console())
    except BaseException:
        box.append(fn)  # the transaction rolls back: still pending (PostgreSQL retries)
        raise
    box.append(fn)
    return box


def after_commit(box: list | None) -> None:
    if box is not None:
        box.clear()

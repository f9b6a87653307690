"""Raw SQL on a test's ledger database, whichever backend: for tests that check what the
storage interface hides (a token is stored hashed, the journal refuses UPDATE). Product
code never does this; SQL lives in sync/ledger/db/ only."""

from __future__ import annotations

import sqlite3

from sync.ledger.db import sqlite_path


def rows(store, sql: str, params: tuple = ()) -> list[tuple]:
    """``sql`` with ``?`` parameters, in a transaction of its own, committed."""
    path = sqlite_path(store.url)
    if path is not None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(store.url, autocommit=True) as conn:
        cur = conn.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []


def refused(store, sql: str) -> bool:
    """Whether the database refuses ``sql`` (a trigger, a constraint)."""
    import psycopg

    try:
        rows(store, sql)
    except (sqlite3.DatabaseError, psycopg.DatabaseError):
        return True
    return False

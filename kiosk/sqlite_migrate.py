"""Forward-only SQLite migrations, shared by the kiosk store and the ledger's SQLite backend.

``PRAGMA user_version`` holds how many migrations have run. Each migration runs in its
own ``BEGIN IMMEDIATE`` transaction with the version bump, so a crash mid-upgrade
leaves the file at the last complete version.
"""

from __future__ import annotations

import sqlite3


class SchemaTooNew(RuntimeError):
    pass


def run_migrations(conn: sqlite3.Connection, migrations: list[str], label: str) -> int:
    """Run the migrations not yet run; return the version reached."""
    target = len(migrations)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > target:
        raise SchemaTooNew(
            f"{label} schema version {version} is newer than this program ({target})"
        )
    for number in range(version, target):
        apply_step(conn, number + 1, migrations[number])
    return target


def apply_step(conn: sqlite3.Connection, version: int, script: str) -> None:
    """Run one migration's script and set ``user_version`` to ``version``, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in split_statements(script):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {int(version)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def split_statements(script: str) -> list[str]:
    """Statements of a migration, keeping trigger bodies whole."""
    statements, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        candidate = "\n".join(buf).strip()
        if candidate and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        statements.append(rest)
    return statements

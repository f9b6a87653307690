"""The PostgreSQL backend (psycopg 3 and its pool): ``open_postgres(url)``."""

from sync.ledger.db.postgres.store import PostgresLedger, open_postgres

__all__ = ["PostgresLedger", "open_postgres"]

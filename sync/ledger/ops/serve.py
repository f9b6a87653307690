"""``kiosk-ledger serve --workers N``: N API processes on one port (uvicorn's supervisor
starts them and shares the listening socket), each with its own connection pool.

Every process holds only what the database holds (the API keeps no state of its own), so
any number of them, on one host or several behind one address, give the same answers; the
database orders what they write (db/base.py). The clock of each process is the system's,
or ``KIOSK_CLOCK`` (kiosk/clock.py), the same for all.
"""

from __future__ import annotations

import argparse
import json
import os

_ENV = "KIOSK_LEDGER_SERVE"  # what the supervisor tells each worker: database and options


def run_workers(db: str, options: dict, args: argparse.Namespace) -> int:
    import uvicorn

    os.environ[_ENV] = json.dumps({"db": db, "options": options})
    uvicorn.run(
        "sync.ledger.ops.serve:worker_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
    )
    return 0


def worker_app():
    """The app of one worker process (called by uvicorn in each)."""
    from kiosk.clock import system_clock
    from kiosk.logs import setup_logging
    from sync.ledger.app import create_app
    from sync.ledger.db import open_db
    from sync.ledger.ops.config import load_ledger_config

    cfg = load_ledger_config(os.environ.get("KIOSK_LEDGER_CONFIG") or None)
    setup_logging(cfg.log_level, cfg.log_target)
    spec = json.loads(os.environ[_ENV])
    store = open_db(spec["db"], **spec["options"])
    store.start_maintenance()
    return create_app(store, system_clock())

"""The ``kiosk-ledger`` command. Every subcommand takes ``--db FILE`` (default:
``$KIOSK_LEDGER_DB``, else ``ledger.db`` in the platform's user data folder)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.clock import Clock, ClockError, system_clock
from kiosk.core.codes import KeyPair, generate_keypair, public_key_of
from kiosk.core.version import VERSION
from sync.ledger import db as ledger_db
from sync.ledger.db import LedgerDB, open_db
from sync.ledger.db.sqlite.files import new_feed_epoch
from sync.ledger.ops import backup as backup_mod
from sync.ledger.ops.cli_types import bounded
from sync.ledger.ops.config import (
    LedgerConfig,
    LedgerConfigError,
    default_ledger_db,
    load_ledger_config,
)
from sync.ledger.security import new_token


def key_path_for(db: str | Path) -> Path:
    """The card signing key's file: ``$KIOSK_LEDGER_KEY`` if set; else beside a SQLite
    ledger; for a server database, ``<database name>.signing-key`` in the user data folder
    (each API host that issues cards needs the file, or ``KIOSK_LEDGER_KEY`` pointing at it)."""
    if os.environ.get("KIOSK_LEDGER_KEY"):
        return Path(os.environ["KIOSK_LEDGER_KEY"])
    path = ledger_db.sqlite_path(db)
    if path is None:
        name = urlsplit(str(db)).path.strip("/") or "ledger"
        folder = default_ledger_db({k: v for k, v in os.environ.items() if k != "KIOSK_LEDGER_DB"})
        path = folder.with_name(name)
    return path.with_name(path.name + ".signing-key")


def build_parser(cfg: LedgerConfig | None = None) -> argparse.ArgumentParser:
    cfg = cfg or LedgerConfig()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=None,
        help="the ledger database: a file, or postgresql://... (default: $KIOSK_LEDGER_DB,"
        " else ledger.db in the user data folder)",
    )
    parser = argparse.ArgumentParser(
        prog="kiosk-ledger", description="Central ledger for volunteer kiosks"
    )
    parser.add_argument("--version", action="version", version=f"kiosk-ledger {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "init", parents=[common], help="create the database, signing keys and the staff token"
    )
    p.add_argument("--new-admin-token", action="store_true", help="replace the staff (admin) token")
    p = sub.add_parser("serve", parents=[common], help="run the HTTP service")
    p.add_argument("--host", default=cfg.host)
    p.add_argument("--port", type=bounded(int, 1, 65535), default=cfg.port)
    p.add_argument(
        "--synchronous",
        default=cfg.synchronous,
        choices=["NORMAL", "FULL"],
        help="SQLite durability: FULL survives power loss with every acknowledged batch",
    )
    p.add_argument("--log-level", default="warning")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="API processes sharing the port (for a PostgreSQL ledger: several processes,"
        " or several hosts, may serve one database)",
    )
    p = sub.add_parser(
        "enroll-code", parents=[common], help="print a one-time enrollment code for a site"
    )
    p.add_argument("--site", required=True)
    p.add_argument(
        "--ttl-hours",
        type=bounded(float, 0.05, 24 * 31, "小时/hours"),
        default=cfg.enrollment_code_hours,
        help="how long the code can be used (default from the config; at most a month)",
    )
    p = sub.add_parser(
        "demo-data", parents=[common], help="load demo people, activities and catalog"
    )
    p.add_argument("--out", type=Path, required=True, help="folder for roster.json and card images")
    p.add_argument("--day", default=None, help="YYYY-MM-DD for today's activities (default: today)")
    p.add_argument("--no-cards", action="store_true", help="skip the card PNGs (faster, for tests)")
    p = sub.add_parser(
        "backup", parents=[common], help="online backup of the database, with retention"
    )
    backup_mod.add_backup_arguments(p)
    p = sub.add_parser(
        "restore", parents=[common], help="restore a backup (stop the service first)"
    )
    backup_mod.add_restore_arguments(p)
    p = sub.add_parser(
        "poster", parents=[common], help="the volunteers' A4 poster to hang beside a kiosk (PDF)"
    )
    p.add_argument(
        "--out", type=Path, default=Path("志愿者海报.pdf"), help="the PDF (default 志愿者海报.pdf)"
    )
    p.add_argument("--site", default=None, help="the kiosk's site, id or name: its name is printed")
    p.add_argument(
        "--community",
        default=None,
        help="the organisation's name (default: the ledger's org_name setting)",
    )
    p.add_argument(
        "--contact",
        default=None,
        help="whom to ask (default: the ledger's org_contact and org_phone settings)",
    )
    from sync.ledger.ops import staff_cli

    staff_cli.add_parsers(sub, common)
    from sync.ledger.ops import accounts_cli

    accounts_cli.add_parsers(sub, common)
    return parser


_NOT_FILE = (
    "{db} is a database server: `kiosk-ledger {what}` copies a SQLite file; back a server up"
    " with its own tools (pg_dump / pg_restore)"
)


def _err(message: str, code: int = 2) -> int:
    sys.stderr.write(f"kiosk-ledger: {message}\n")
    return code


def init(
    db: str | Path, *, new_admin_token: bool = False, out=sys.stdout
) -> tuple[LedgerDB, KeyPair]:
    """Create what is missing: database, signing key pair, staff token. Never replaces a key."""
    store = open_db(db)
    key_file = key_path_for(db)
    if key_file.exists():
        private = key_file.read_text(encoding="ascii").strip()
        keys = KeyPair(private, public_key_of(private))
        out.write(f"ledger already initialised: {db}\n")
    else:
        keys = generate_keypair()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(keys.private_key + "\n")
        out.write(f"ledger database: {db}\n")
        out.write(f"card signing private key: {key_file}\n")
        out.write(
            "  BACK THIS FILE UP and keep it secret: without it no new cards can be issued,\n"
            "  and anyone holding it can forge cards.\n"
        )
    if store.public_key != keys.public_key:
        store.set_keys(keys.public_key, str(key_file))
    out.write(f"public key: {keys.public_key}\n")
    if new_admin_token or not store.meta("admin_token_hash"):
        token = new_token()
        store.set_admin_token(token)
        out.write(
            f"staff (admin) token: {token}\n  shown once: store it in the staff password manager.\n"
        )
    return store, keys


def main(argv: list[str] | None = None, *, clock: Clock | None = None) -> int:
    """``clock`` is for tests that run a command in-process; a child process takes its
    clock from ``KIOSK_CLOCK`` (kiosk/clock.py)."""
    from kiosk.logs import setup_logging

    try:
        cfg = load_ledger_config(os.environ.get("KIOSK_LEDGER_CONFIG") or None)
        clock = clock or system_clock()
    except (LedgerConfigError, ClockError) as exc:
        return _err(str(exc))
    args = build_parser(cfg).parse_args(argv)
    setup_logging(
        cfg.log_level,
        cfg.log_target,
        fmt=None if cfg.log_format == "auto" else cfg.log_format,
        max_bytes=cfg.log_max_bytes,
        backups=cfg.log_backups,
    )
    db = str(args.db or cfg.db_path())
    try:
        return _run(db, args, clock, cfg)
    except ledger_db.DatabaseUnreachable as exc:
        return _err(str(exc))


def _run(db: str, args: argparse.Namespace, clock: Clock, cfg: LedgerConfig) -> int:
    if args.command == "restore":
        # Before the existence check: restoring onto a missing database is the disk-died case.
        path = ledger_db.sqlite_path(db)
        if path is None:
            return _err(_NOT_FILE.format(db=db, what="restore"))
        restored = backup_mod.run_restore(path, args, now=clock())
        if restored == 0:
            new_feed_epoch(path)
        return restored
    if args.command == "init":
        init(db, new_admin_token=args.new_admin_token)
        return 0
    if args.command == "demo-data":
        return _demo(db, args, clock)
    if not ledger_db.exists(db):
        return _err(f"no ledger database at {db}: run `kiosk-ledger init --db {db}` first")
    if args.command == "serve":
        return _serve(db, args, clock)
    if args.command == "backup":
        path = ledger_db.sqlite_path(db)
        if path is None:
            return _err(_NOT_FILE.format(db=db, what="backup"))
        return backup_mod.run_backup(path, args, now=clock())
    if args.command == "poster":
        return _poster(db, cfg, args)
    if args.command == "enroll-code":
        store = open_db(db)
        try:
            code = store.create_enrollment_code(args.site, clock(), timedelta(hours=args.ttl_hours))
        except KeyError:
            return _err(
                f"unknown site {args.site!r}; known: {', '.join(store.site_ids()) or 'none'}"
            )
        sys.stdout.write(code + "\n")
        return 0
    if args.command == "staff":
        from sync.ledger.db.console import ConsoleDB
        from sync.ledger.ops import accounts_cli

        store = open_db(db)
        try:
            return accounts_cli.run(store, ConsoleDB(store), args, clock())
        finally:
            store.close()
    from sync.ledger.ops import staff_cli

    if args.command in staff_cli.COMMANDS:
        return staff_cli.run(db, args, now=clock())
    raise AssertionError(args.command)


def _poster(db: str, cfg: LedgerConfig, args: argparse.Namespace) -> int:
    from sync.ledger.staff import records
    from sync.ledger.staff.poster import PosterText, write_poster

    store = open_db(db)
    try:
        settings = records.ledger_settings(store)
        with store.read() as tx:
            sites = tx.sites()
    finally:
        store.close()
    # One organisation name for the certificates and the poster: the ledger's own setting
    # (`settings --org-name`, also what the console shows). ledger.toml's community_name
    # and contact are read only where the ledger has none (ledgers set up before).
    community = next(
        (v for v in (args.community, settings["org_name"], cfg.community_name) if v and v.strip()),
        "",
    ).strip()
    if not community:
        return _err(
            "请先设置组织名称 / set the organisation's name first: kiosk-ledger settings"
            " --org-name NAME, or --community"
        )
    org_contact = " ".join(v for v in (settings["org_contact"], settings["org_phone"]) if v)
    contact = args.contact if args.contact is not None else (org_contact or cfg.contact)
    site_name = ""
    if args.site:
        wanted = args.site.strip()
        found = [
            data
            for site_id, data in sites.items()
            if wanted in (site_id, data.get("name_zh"), data.get("name_en"))
        ]
        if not found:
            return _err(
                f"没有这个站点 / unknown site {wanted!r}; known: {', '.join(sites) or 'none'}"
            )
        site_name = found[0].get("name_zh") or wanted
    try:
        out = write_poster(PosterText(community, contact.strip(), site_name), args.out)
    except (ImportError, OSError) as exc:
        # WeasyPrint missing, or Debian's Pango libraries (deploy/ledger/install-ledger.sh).
        return _err(f"无法生成海报 / cannot write the poster: {exc}")
    sys.stdout.write(json.dumps({"ok": True, "out": str(out)}, ensure_ascii=False) + "\n")
    return 0


def _serve(db: str, args: argparse.Namespace, clock: Clock) -> int:
    import uvicorn

    from sync.ledger.app import create_app

    options = {} if ledger_db.is_postgres(db) else {"synchronous": args.synchronous}
    store = open_db(db, **options)
    if not store.public_key:
        return _err(f"ledger {db} has no signing key: run `kiosk-ledger init --db {db}`")
    if args.workers > 1:
        store.close()
        from sync.ledger.ops import serve

        return serve.run_workers(db, options, args)
    store.start_maintenance()
    app = create_app(store, clock)
    logging.getLogger("sync.ledger").info("serving %s on %s:%s", db, args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0


def _demo(db: str, args: argparse.Namespace, clock: Clock) -> int:
    from sync.ledger.ops import demo
    from sync.ledger.staff import records

    store, keys = init(db, out=sys.stderr)
    now = clock()
    day = date.fromisoformat(args.day) if args.day else now.astimezone(demo.TZ).date()
    data = demo.write(args.out, day, keys, cards=not args.no_cards)
    loaded = store.load_reference(data.snapshot["changes"], now)
    if not records.ledger_settings(store)["org_name"]:  # demo certificates name the demo community
        records.set_ledger_settings(store, demo.ORGANISATION)
    sys.stdout.write(
        json.dumps(
            {
                "ok": True,
                "loaded": loaded,
                "roster": str(Path(args.out) / "roster.json"),
                "people": len(data.roster),
                "day": day.isoformat(),
            }
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``kiosk`` command. Every subcommand takes ``--data-dir`` and ``--config``;
options follow the subcommand: ``kiosk scan --data-dir D TEXT``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime
from pathlib import Path

from kiosk import __version__
from kiosk.clock import Clock, ClockError, system_clock
from kiosk.config import ConfigError, KioskConfig, default_data_dir, load_config
from kiosk.logs import setup_logging
from kiosk.store import Store, StoreError


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the kiosk's data folder (default: $KIOSK_DATA_DIR, else the user data folder)",
    )
    p.add_argument("--config", type=Path, default=None, help="a TOML configuration file")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Volunteer check-in and points kiosk"
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("scan", parents=[common], help="act as if TEXT was shown at the home screen")
    p.add_argument("text")
    p.add_argument(
        "--activity", default=None, help="activity id (default: the one chosen for the volunteer)"
    )
    p.add_argument(
        "--at", default=None, help="ISO time of a paper sign-in sheet, e.g. 2026-11-29T09:00+08:00"
    )

    p = sub.add_parser("redeem", parents=[common], help="redeem ITEM_ID with the card TEXT")
    p.add_argument("text")
    p.add_argument("item_id")

    p = sub.add_parser(
        "verify", parents=[common], help="whose card or certificate this is, or why it is refused"
    )
    p.add_argument("text")

    p = sub.add_parser("status", parents=[common], help="sync and outbox state")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "load", parents=[common], help="load a roster/activities/catalog snapshot (JSON)"
    )
    p.add_argument("file", type=Path)
    p.add_argument("--site", default=None, help="this kiosk's site id")
    p.add_argument(
        "--kiosk-id", default=None, help="this kiosk's id (default: kept, else K-LOCAL-01)"
    )

    p = sub.add_parser(
        "close-forgotten", parents=[common], help="close sessions left open past their end"
    )

    p = sub.add_parser(
        "check", parents=[common], help="integrity check and replay comparison of the store"
    )

    p = sub.add_parser(
        "decode", parents=[common], help="decode QR codes in images, one JSON line each"
    )
    p.add_argument("images", nargs="+")

    p = sub.add_parser("run", parents=[common], help="the touchscreen app")
    p.add_argument("--camera", default=None, help="device index, video file or folder of images")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument(
        "--demo-cards", type=Path, default=None, help="roster.json of demo cards to show on screen"
    )

    p = sub.add_parser(
        "enroll",
        parents=[common],
        help="enroll this kiosk with a ledger: URL CODE, or --scan the console's QR code",
    )
    p.add_argument("url", nargs="?", help="the ledger's address (or the QR code's whole text)")
    p.add_argument("code", nargs="?", help="the one-time enrollment code")
    p.add_argument(
        "--scan",
        action="store_true",
        help="read the enrollment QR code the staff console shows with this kiosk's camera",
    )
    p.add_argument(
        "--camera",
        default=None,
        help="with --scan: the camera (device number, video file or folder of images;"
        " default: the configured camera)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="with --scan: seconds to wait for the code (default 120)",
    )
    p.add_argument("--name", default=None, help="a name for this kiosk (default: the host name)")
    p.add_argument(
        "--resend-all",
        action="store_true",
        help="already enrolled, but the ledger was replaced by a new, empty one: enroll there "
        "and send this kiosk's whole event log again",
    )

    p = sub.add_parser("sync", parents=[common], help="push pending events and pull changes")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    return parser


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _fail(kind: str, message: str, code: int = 2) -> int:
    _emit({"ok": False, "kind": "error", "error": kind, "message": message})
    logging.getLogger("kiosk").error("%s: %s", kind, message)
    return code


def _parse_at(text: str | None, cfg: KioskConfig) -> datetime | None:
    if text is None:
        return None
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=cfg.tz) if at.tzinfo is None else at


def main(argv: list[str] | None = None, *, clock: Clock | None = None) -> int:
    """``clock`` is for tests that run a command in-process; a child process takes its
    clock from ``KIOSK_CLOCK`` (kiosk/clock.py)."""
    args = build_parser().parse_args(argv)
    try:
        cfg = load_config(args.config)
        clock = clock or system_clock()
    except (ConfigError, ClockError) as exc:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        return _fail("config", str(exc))
    # One-shot commands log warnings and errors only; `run` logs at the configured level.
    level = cfg.log_level if args.command == "run" else "WARNING"
    setup_logging(
        level,
        cfg.log_target,
        fmt=None if cfg.log_format == "auto" else cfg.log_format,
        max_bytes=cfg.log_max_bytes,
        backups=cfg.log_backups,
    )
    data_dir: Path = args.data_dir or default_data_dir()

    if args.command == "decode":
        from kiosk.cli_decode import run_decode

        return run_decode(args.images)

    try:
        return _dispatch(args, cfg, data_dir, clock)
    except StoreError as exc:
        return _fail(exc.kind, exc.message + (f" ({exc.path})" if exc.path else ""))


def _enrollment_target(args: argparse.Namespace, cfg: KioskConfig) -> tuple[str, str] | int:
    """(URL, code) to enroll with: from the camera (--scan), from an enrollment QR code's
    text (a USB scanner types it), or as typed; an exit status when there is none."""
    from sync.agent import parse_enrollment_qr

    if args.scan:
        from kiosk.enroll_qr import SourceUnavailable, read_enrollment_qr
        from kiosk.scanner.sources import open_source

        camera = args.camera if args.camera is not None else (cfg.camera or "0")
        sys.stderr.write(
            "请把管理台「终端」页上的登记二维码对准摄像头 /"
            " hold the console's enrollment QR code up to the camera\n"
        )
        try:
            found = read_enrollment_qr(open_source(camera), args.timeout)
        except SourceUnavailable as exc:
            return _fail("no_camera", f"摄像头无法打开 / the camera cannot be opened: {exc}")
        if found is None:
            return _fail(
                "no_enrollment_code",
                f"{args.timeout:g} 秒内没有看到登记二维码 /"
                f" no enrollment QR code seen in {args.timeout:g} s",
            )
        return found
    if args.url and args.code is None:
        found = parse_enrollment_qr(args.url)
        if found is None:
            return _fail(
                "bad_enrollment_code",
                "这不是登记二维码；请输入 URL 和登记码 / not an enrollment QR code:"
                " give URL CODE, or --scan",
            )
        return found
    if not args.url or not args.code:
        return _fail("bad_enrollment_code", "kiosk enroll URL CODE, or kiosk enroll --scan")
    return args.url, args.code


def _dispatch(args: argparse.Namespace, cfg: KioskConfig, data_dir: Path, clock: Clock) -> int:
    from kiosk.service import Kiosk

    if args.command == "load":
        return _load(args, data_dir)
    if args.command == "enroll":
        from sync.agent import enroll

        where = _enrollment_target(args, cfg)
        if isinstance(where, int):
            return where
        store = Store.in_dir(data_dir, create=True)
        result = enroll(store, *where, args.name, resend_all=args.resend_all, clock=clock)
        _emit(result)
        return 0 if result.get("ok") else 1
    if args.command == "run":
        from kiosk.ui import env

        # Before the first Kivy import: window and input settings are read only once.
        env.prepare(fullscreen=args.fullscreen, input_providers=cfg.kivy_input)
        from kiosk.ui.app import run_app

        return run_app(
            data_dir=data_dir,
            config=cfg,
            camera=args.camera,
            fullscreen=args.fullscreen,
            demo_cards=args.demo_cards,
        )

    store = Store.in_dir(data_dir)
    kiosk = Kiosk(store, cfg, clock=clock)
    if args.command == "scan":
        try:
            at = _parse_at(args.at, cfg)
        except ValueError:
            return _fail("bad_time", f"--at must be an ISO time, got {args.at!r}")
        outcome = kiosk.scan(args.text, at=at, activity_id=args.activity)
        _emit(outcome.to_dict())
        return 0 if outcome.ok else 1
    if args.command == "redeem":
        outcome = kiosk.redeem(args.text, args.item_id)
        _emit(outcome.to_dict())
        return 0 if outcome.ok else 1
    if args.command == "verify":
        outcome = kiosk.verify(args.text)
        _emit(outcome.to_dict())
        return 0 if outcome.ok else 1
    if args.command == "status":
        status = kiosk.status()
        if args.json:
            _emit(status)
        else:
            for key, value in status.items():
                print(f"{key:22} {value}")
        return 0
    if args.command == "close-forgotten":
        for outcome in kiosk.close_forgotten_sessions():
            _emit(outcome.to_dict())
        return 0
    if args.command == "check":
        ok = store.integrity_ok() and store.replay_matches()
        _emit(
            {
                "ok": ok,
                "integrity": store.integrity_ok(),
                "replay_matches": store.replay_matches(),
                "events": store.event_count(),
            }
        )
        return 0 if ok else 1
    if args.command == "sync":
        from sync.agent import sync_once

        result = sync_once(store, clock=clock)
        _emit(result)
        return 0 if result.get("ok") else 1
    raise AssertionError(args.command)


def _load(args: argparse.Namespace, data_dir: Path) -> int:
    from kiosk.store import apply_changes

    try:
        snap = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fail("bad_file", f"cannot read {args.file}: {exc}")
    # A snapshot file, or a saved full answer of the ledger's /v1/changes feed.
    is_snapshot = isinstance(snap, dict) and snap.get("format") == "vk-snapshot-1"
    is_feed = isinstance(snap, dict) and "next_cursor" in snap
    if not (is_snapshot or is_feed) or not isinstance(snap.get("changes"), list):
        return _fail(
            "bad_file",
            f"{args.file} is not a kiosk snapshot (format vk-snapshot-1) "
            "or a saved /v1/changes answer",
        )
    store = Store.in_dir(data_dir, create=True)
    settings = {"kiosk_id": args.kiosk_id or store.setting("kiosk_id") or "K-LOCAL-01"}
    if args.site:
        settings["site_id"] = args.site
    store.set_settings(**settings)
    try:
        count = apply_changes(store, snap["changes"], public_key=snap.get("public_key"), reset=True)
    except (KeyError, TypeError, ValueError) as exc:
        return _fail("bad_file", f"{args.file} has a malformed change: {exc}")
    _emit(
        {
            "ok": True,
            "loaded": count,
            "site_id": store.setting("site_id"),
            "kiosk_id": store.setting("kiosk_id"),
            "data_dir": str(data_dir),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

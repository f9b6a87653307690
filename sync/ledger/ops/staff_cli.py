"""The staff subcommands of ``kiosk-ledger``: imports, catalog, cards, the monthly 台账.

Messages are Chinese then English: the people running these are community workers.
Exit status 0 = done, 1 = the file or request has problems (listed), 2 = cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.clock import system_clock
from kiosk.core.codes import sign
from kiosk.core.pins import PinFormatError, check_pin_format, hash_pin
from kiosk.core.text import bad_char
from kiosk.private import open_private
from sync.ledger.db import LedgerDB, open_db
from sync.ledger.ops.cli import key_path_for
from sync.ledger.ops.cli_types import bounded
from sync.ledger.staff import (
    activities,
    card_sheet,
    cards,
    catalog,
    certificates,
    exports,
    kiosks,
    records,
    reference,
    roster,
)
from sync.ledger.staff.activity_import import RULE_KEYS, check_activity, parse_activities
from sync.ledger.staff.catalog_import import import_catalog, parse_catalog
from sync.ledger.staff.errors import AdminError
from sync.ledger.staff.roster_import import parse_roster
from sync.protocol import MAX_AMOUNT

COMMANDS = {
    "import-roster",
    "import-activities",
    "import-catalog",
    "activities",
    "catalog",
    "kiosks",
    "cards",
    "reissue",
    "staff-pin",
    "export",
    "export-ivolunteer",
    "certificate",
    "certificates",
    "settings",
}


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "import-roster", parents=[common], help="import volunteers from .xlsx or .csv (UTF-8/GBK)"
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file and show what would change; write nothing",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the file is the whole roster: volunteers missing from it become inactive",
    )
    p = sub.add_parser(
        "import-activities", parents=[common], help="import activities from .xlsx or .csv"
    )
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true")
    p = sub.add_parser(
        "import-catalog",
        parents=[common],
        help="import rewards, their pictures and stock counts from .xlsx or .csv (UTF-8/GBK)",
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file and show what would change; write nothing",
    )
    p.add_argument(
        "--images",
        type=Path,
        default=None,
        help="the folder with the pictures the 图片/image column names (default: beside the sheet)",
    )

    p = sub.add_parser("activities", help="add or list activities")
    asub = p.add_subparsers(dest="action", required=True)
    a = asub.add_parser("add", parents=[common], help="add (or replace, with --id) one activity")
    a.add_argument("--id", default="", help="activity id (default: the next A-YYYYMMDD-NN)")
    a.add_argument("--title", required=True, help="Chinese title")
    a.add_argument("--title-en", default="")
    a.add_argument("--title-zh-hant", default="")
    a.add_argument("--site", required=True, help="site id or name")
    a.add_argument("--start", required=True, help="e.g. '2026-11-29 09:00'")
    a.add_argument(
        "--end", required=True, help="e.g. '2026-11-29 12:00' or '12:00' (same day as --start)"
    )
    for key in RULE_KEYS:
        a.add_argument("--" + key.replace("_", "-"), default="")
    a.add_argument("--capacity", default="")
    a.add_argument("--signup", default="", help="volunteer ids, separated by commas")
    a = asub.add_parser("list", parents=[common], help="list activities, a line each")
    a.add_argument("--month", default=None, help="YYYY-MM")
    a.add_argument("--site", default=None)
    a.add_argument("--json", action="store_true")

    p = sub.add_parser("kiosks", help="enrolled kiosks: list them, revoke one")
    ksub = p.add_subparsers(dest="action", required=True)
    a = ksub.add_parser("list", parents=[common], help="list enrolled kiosks, revoked ones too")
    a.add_argument("--json", action="store_true")
    a = ksub.add_parser(
        "revoke",
        parents=[common],
        help="refuse a kiosk's token from now on (a stolen or retired kiosk); its accepted"
        " events stay",
    )
    a.add_argument("kiosk_id")
    a.add_argument("--reason", default="", help="shown on the kiosk's sync page")

    p = sub.add_parser("catalog", help="rewards: add, list, set stock")
    csub = p.add_subparsers(dest="action", required=True)
    a = csub.add_parser(
        "add", parents=[common], help="add or change a reward (fields not given are kept)"
    )
    a.add_argument("item_id")
    a.add_argument("--name", default=None, help="Chinese (simplified) name")
    a.add_argument("--name-zh-hant", default=None)
    a.add_argument("--name-en", default=None)
    a.add_argument("--cost", type=bounded(int, 0, MAX_AMOUNT), default=None, help="points")
    a.add_argument("--kind", default=None, choices=catalog.KINDS)
    a.add_argument(
        "--monthly-limit",
        type=bounded(int, 0, MAX_AMOUNT),
        default=None,
        help="per volunteer per month; 0 = no limit",
    )
    a.add_argument(
        "--image", type=Path, default=None, help="a photo (JPG/PNG): resized to 256x256 PNG"
    )
    state = a.add_mutually_exclusive_group()
    state.add_argument("--inactive", action="store_true", help="hide it at the kiosks")
    state.add_argument("--active", action="store_true", help="show it again")
    a = csub.add_parser("list", parents=[common], help="list rewards with their stock per site")
    a.add_argument("--json", action="store_true")
    a = csub.add_parser(
        "set-stock", parents=[common], help="set a site's count after counting the shelf"
    )
    a.add_argument("item_id")
    a.add_argument("qty", type=bounded(int, -MAX_AMOUNT, MAX_AMOUNT))  # below 0: explained
    a.add_argument("--site", required=True)
    a.add_argument("--note", default="")

    p = sub.add_parser(
        "cards", parents=[common], help="printable A4 PDF of wallet cards, or PNGs for phones"
    )
    p.add_argument("ids", nargs="*", help="volunteer ids (default: every active volunteer)")
    p.add_argument(
        "--out", type=Path, default=Path("cards.pdf"), help="the PDF to write (default cards.pdf)"
    )
    p.add_argument(
        "--png", type=Path, default=None, help="write one PNG per card into this folder instead"
    )
    p.add_argument("--team", default=None, help="only this team")
    p.add_argument("--staff", action="store_true", help="include staff cards")
    p.add_argument("--include-inactive", action="store_true")
    p = sub.add_parser(
        "reissue", parents=[common], help="a new card for a lost one: the old card stops working"
    )
    p.add_argument("volunteer_id")
    p.add_argument("--reason", default="")
    p.add_argument(
        "--out", type=Path, default=None, help="also write the new card: .pdf (A4 sheet) or .png"
    )

    p = sub.add_parser(
        "staff-pin",
        parents=[common],
        help="set a staff member's PIN for their current staff card (asked twice, or read from stdin)",
    )
    p.add_argument("staff_id")

    p = sub.add_parser("export", parents=[common], help="the month's 台账 as XLSX (or CSV files)")
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="xlsx: the file (default 台账-YYYY-MM.xlsx); csv: the folder (default .)",
    )
    p = sub.add_parser(
        "certificate",
        parents=[common],
        help="a 志愿服务证明 PDF for one volunteer, signed and recorded (free of charge)",
    )
    p.add_argument("volunteer_id")
    p.add_argument(
        "--from", dest="period_from", default=None, help="YYYY-MM-DD (default: first service)"
    )
    p.add_argument("--to", dest="period_to", default=None, help="YYYY-MM-DD (default: today)")
    p.add_argument("--out", type=Path, default=None, help="default 志愿服务证明-ID-DATE.pdf")
    p.add_argument("--issued-by", default="", help="who issues it (default: the user running this)")
    p = sub.add_parser(
        "certificates", parents=[common], help="the certificates issued, as JSON lines"
    )
    p.add_argument("--volunteer", default=None)
    p = sub.add_parser(
        "settings",
        parents=[common],
        help="show or set the organisation a certificate names, the /verify address, star thresholds",
    )
    for key in ("org-name", "org-address", "org-contact", "org-phone", "verify-url"):
        p.add_argument(f"--{key}", default=None)
    p.add_argument(
        "--star-thresholds",
        default=None,
        help="hours for one to five stars, e.g. 100,300,600,1000,1500",
    )
    p = sub.add_parser(
        "export-ivolunteer", parents=[common], help="hours per volunteer per activity for i志愿"
    )
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--out", type=Path, default=None, help="default i志愿时长-YYYY-MM.csv")
    p.add_argument(
        "--encoding",
        choices=("utf-8-sig", "gbk"),
        default="utf-8-sig",
        help="utf-8-sig (Excel-friendly, default) or gbk for older import tools",
    )
    p.add_argument(
        "--with-phone", action="store_true", help="add the phone number column (staff use only)"
    )


def _err(message: str, code: int = 2) -> int:
    sys.stderr.write(f"kiosk-ledger: {message}\n")
    return code


def _out(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def _errors(errors: list) -> None:
    sys.stderr.write(
        f"发现 {len(errors)} 处问题，未导入任何数据 / {len(errors)} problem(s), nothing was imported:\n"
    )
    for e in errors[:200]:
        where = f"第 {e.row} 行（row {e.row}）「{e.column}」列" if e.row else "文件 / file"
        sys.stderr.write(f"  {where}: {e.message}\n")
    if len(errors) > 200:
        sys.stderr.write(f"  ... 另有 {len(errors) - 200} 处 / and {len(errors) - 200} more\n")


def _bad_text_option(args: argparse.Namespace) -> str | None:
    """A name, title or note typed with a control character: refused before anything runs."""
    for key, value in vars(args).items():
        if isinstance(value, str) and (bad := bad_char(value, multiline=True)) is not None:
            return (
                f"--{key.replace('_', '-')} 有不可见的控制字符 {bad}，请删除"
                f" / --{key.replace('_', '-')} holds a control character ({bad}): remove it"
            )
    return None


def run(db: str, args: argparse.Namespace, now: datetime | None = None) -> int:
    now = now or system_clock()()
    if (refused := _bad_text_option(args)) is not None:
        return _err(refused, 1)
    store = open_db(db)
    try:
        return _run(store, db, args, now)
    except AdminError as exc:
        return _err(str(exc), 1)
    except exports.MonthError as exc:
        return _err(str(exc), 2)
    finally:
        store.close()


def _run(store: LedgerDB, db: str, args: argparse.Namespace, now: datetime) -> int:
    cmd = args.command
    if cmd == "import-roster":
        if not args.file.exists():
            return _err(f"找不到文件 / no such file: {args.file}")
        report = roster.import_roster(
            store, parse_roster(args.file), now, dry_run=args.dry_run, full=args.full
        )
        if not report.ok:
            _errors(report.errors)
            return 1
        _out(report.to_dict())
        return 0
    if cmd == "import-activities":
        if not args.file.exists():
            return _err(f"找不到文件 / no such file: {args.file}")
        sites, vids = reference.reference_sets(store)
        parsed = parse_activities(args.file, sites, vids)
        if parsed.errors:
            _errors(parsed.errors)
            return 1
        activities.number_activities(store, parsed.activities)
        if not args.dry_run:
            activities.upsert_activities(store, parsed.activities, now)
        _out(
            {
                "ok": True,
                "dry_run": args.dry_run,
                "activities": len(parsed.activities),
                "ids": [a["activity_id"] for a in parsed.activities],
            }
        )
        return 0
    if cmd == "import-catalog":
        if not args.file.exists():
            return _err(f"找不到文件 / no such file: {args.file}")
        if args.images is not None and not args.images.is_dir():
            return _err(f"找不到图片文件夹 / no such folder: {args.images}")
        folders = [f for f in (args.images, args.file.parent) if f is not None]
        sites, _ = reference.reference_sets(store)
        report = import_catalog(
            store,
            parse_catalog(args.file, sites, folders),
            now,
            dry_run=args.dry_run,
            note=f"目录导入 {args.file.name}",
        )
        if not report.ok:
            _errors(report.errors)
            return 1
        _out(report.to_dict())
        return 0
    if cmd == "activities":
        return _activities(store, args, now)
    if cmd == "catalog":
        return _catalog(store, args, now)
    if cmd == "kiosks":
        return _kiosks(store, args, now)
    if cmd == "cards":
        key = cards.private_key(store, key_path_for(db))
        holders = cards.card_holders(
            store,
            key,
            ids=[i.upper() for i in args.ids] or None,
            team=args.team,
            include_inactive=args.include_inactive,
            staff=args.staff,
        )
        if not holders:
            return _err("没有需要制卡的人 / nobody to make cards for", 1)
        if args.png:
            paths = card_sheet.write_pngs(holders, args.png)
            _out({"ok": True, "cards": len(paths), "folder": str(args.png)})
        else:
            pages = card_sheet.write_pdf(holders, args.out)
            _out({"ok": True, "cards": len(holders), "pages": pages, "pdf": str(args.out)})
        return 0
    if cmd == "reissue":
        vid = args.volunteer_id.upper()
        version = cards.reissue(store, vid, now, args.reason)
        result: dict[str, Any] = {"ok": True, "volunteer_id": vid, "card_version": version}
        if args.out:
            key = cards.private_key(store, key_path_for(db))
            holders = cards.card_holders(store, key, ids=[vid])
            if args.out.suffix.lower() == ".png":
                args.out.parent.mkdir(parents=True, exist_ok=True)
                from sync.ledger.staff.card_image import card_image

                h = holders[0]
                with open_private(args.out, "wb") as fh:
                    card_image(h.code, h.name, h.subject_id, h.kind).save(fh, "PNG")
            else:
                card_sheet.write_pdf(holders, args.out)
            result["card"] = str(args.out)
        entry = store.volunteer(vid)
        if entry is not None and entry.get("kind") == "S":
            # The PIN's hash was keyed by the old card: it does not open the new one.
            sys.stderr.write(
                f"这是工作人员卡：请用 kiosk-ledger staff-pin {vid} 为新卡设置 PIN"
                f" / a staff card: set a PIN for the new card with kiosk-ledger staff-pin {vid}\n"
            )
        _out(result)
        return 0
    if cmd == "staff-pin":
        return _staff_pin(store, db, args.staff_id.upper(), now)
    if cmd == "export":
        tables = exports.month_tables(store, args.month, now)
        counts = {t.name: len(t.rows) for t in tables}
        if args.format == "xlsx":
            path = exports.write_xlsx(tables, args.out or Path(f"台账-{args.month}.xlsx"))
            _out({"ok": True, "file": str(path), "rows": counts})
        else:
            paths = exports.write_csvs(tables, args.out or Path("."), f"台账-{args.month}")
            _out({"ok": True, "files": [str(p) for p in paths], "rows": counts})
        return 0
    if cmd == "export-ivolunteer":
        headers, rows = exports.ivolunteer_rows(store, args.month, with_phone=args.with_phone)
        path = exports.write_ivolunteer(
            headers, rows, args.out or Path(f"i志愿时长-{args.month}.csv"), args.encoding
        )
        missing = sum(1 for r in rows if "缺少i志愿ID" in r[-1])
        if missing:
            sys.stderr.write(
                f"注意：{missing} 行缺少 i志愿 ID / {missing} row(s) have no i志愿 id:"
                " add it in the roster (i志愿 id column) and export again\n"
            )
        _out({"ok": True, "file": str(path), "rows": len(rows), "missing_ivolunteer_id": missing})
        return 0
    if cmd == "certificate":
        return _certificate(store, db, args, now)
    if cmd == "certificates":
        with store.read() as tx:
            issued = tx.certificates(args.volunteer.upper() if args.volunteer else None)
        for row in issued:
            _out({k: v for k, v in row.items() if k != "qr_text"})
        return 0
    if cmd == "settings":
        values = {
            k: v
            for k, v in {
                "org_name": args.org_name,
                "org_address": args.org_address,
                "org_contact": args.org_contact,
                "org_phone": args.org_phone,
                "verify_url": args.verify_url,
                "star_thresholds": args.star_thresholds,
            }.items()
            if v is not None
        }
        try:
            shown = (
                records.set_ledger_settings(store, values)
                if values
                else records.ledger_settings(store)
            )
        except ValueError as exc:
            return _err(f"设置有误 / bad setting: {exc}", 1)
        _out(shown)
        return 0
    raise AssertionError(cmd)


def _certificate(store: LedgerDB, db: str, args: argparse.Namespace, now: datetime) -> int:
    import getpass
    from datetime import date

    vid = args.volunteer_id.upper()
    try:
        start = date.fromisoformat(args.period_from) if args.period_from else None
        end = date.fromisoformat(args.period_to) if args.period_to else None
    except ValueError:
        return _err("日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD", 2)
    key = cards.private_key(store, key_path_for(db))
    out = args.out or Path(f"志愿服务证明-{vid}-{now:%Y%m%d}.pdf")
    try:
        issued = certificates.issue(
            store, vid, out, private_key=key, now=now, period_from=start, period_to=end,
            issued_by=args.issued_by or f"cli:{getpass.getuser()}",
        )  # fmt: skip
    except certificates.CertificateError as exc:
        return _err(str(exc), 1)
    f = issued.figures
    _out(
        {
            "ok": True, "number": f.number, "volunteer_id": f.volunteer_id,
            "from": f.period_from.isoformat(), "to": f.period_to.isoformat(),
            "minutes": f.minutes, "hours": f.hours_text, "sessions": f.sessions,
            "pages": issued.pages, "pdf": str(issued.path),
        }
    )  # fmt: skip
    return 0


def _read_pin() -> str:
    """Twice at a terminal, without echo; one line from a pipe (scripts, tests)."""
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("新 PIN / new PIN: ")
        if getpass.getpass("再输一次 / again: ") != first:
            raise AdminError("两次输入的 PIN 不一样 / the two PINs differ")
        return first
    return sys.stdin.readline().strip()


def _staff_pin(store: LedgerDB, db: str, staff_id: str, now: datetime) -> int:
    entry = store.volunteer(staff_id)
    if entry is None or entry.get("kind") != "S":
        return _err(f"没有工作人员 {staff_id} / no staff member {staff_id}", 1)
    try:
        pin = check_pin_format(_read_pin())
    except PinFormatError as exc:
        return _err(str(exc), 1)
    version = int(entry["card_version"])
    code = sign(cards.private_key(store, key_path_for(db)), "S", staff_id, version)
    pin_hash = hash_pin(pin, code.rsplit(".", 1)[1], version)
    change = {"staff_id": staff_id, "pin_hash": pin_hash}
    store.load_reference([{"kind": "staff_pin", "key": staff_id, "data": change}], now)
    _out({"ok": True, "staff_id": staff_id, "card_version": version})
    return 0


def _kiosks(store: LedgerDB, args: argparse.Namespace, now: datetime) -> int:
    if args.action == "revoke":
        _out({"ok": True, **kiosks.revoke(store, args.kiosk_id, now, args.reason)})
        return 0
    found = kiosks.list_kiosks(store)
    if args.json:
        _out(found)
        return 0
    for k in found:
        state = f"已撤销/revoked {k['revoked_at'][:16]}" if k["revoked"] else "在用/active"
        sys.stdout.write(
            f"{k['kiosk_id']}\t{k['site_id']}\t{k['name']}\tseq {k['acked_seq']}\t"
            f"{(k['last_push_at'] or '-')[:16]}\t{state}\n"
        )
    return 0


def _activities(store: LedgerDB, args: argparse.Namespace, now: datetime) -> int:
    if args.action == "list":
        acts = activities.list_activities(store, month=args.month, site=args.site)
        if args.json:
            _out(acts)
        else:
            for a in acts:
                sys.stdout.write(
                    f"{a['activity_id']}\t{a['start'][:16].replace('T', ' ')}–{a['end'][11:16]}\t"
                    f"{a['site_id']}\t{a.get('title_zh', '')}\t{len(a.get('signup') or [])}"
                    f"/{a.get('capacity') or '-'}\n"
                )
        return 0
    sites, vids = reference.reference_sets(store)
    values = {
        "activity_id": args.id,
        "title_zh": args.title,
        "title_en": args.title_en,
        "title_zh_hant": args.title_zh_hant,
        "site": args.site,
        "start": args.start,
        "end": args.end,
        "capacity": args.capacity,
        "signup": args.signup,
    }
    values.update({k: getattr(args, k) for k in RULE_KEYS})
    start = values["start"]
    if len(args.end.strip()) <= 5 and ":" in args.end:  # "12:00": the same day as the start
        values["date"] = start[:10]
        values["end"] = args.end
    headers = {k: "--" + k.replace("_", "-") for k in values}
    headers.update(title_zh="--title", activity_id="--id", site="--site", date="--start")
    act, errors = check_activity(values, 0, headers, sites, vids)
    if errors:
        for e in errors:
            sys.stderr.write(f"kiosk-ledger: {e.column}: {e.message}\n")
        return 1
    assert act is not None
    activities.number_activities(store, [act])
    activities.upsert_activities(store, [act], now)
    _out({"ok": True, **act})
    return 0


def _catalog(store: LedgerDB, args: argparse.Namespace, now: datetime) -> int:
    if args.action == "list":
        items = catalog.list_items(store)
        if args.json:
            _out(items)
        else:
            for i in items:
                stock = ", ".join(f"{s}:{q}" for s, q in i["stock"].items()) or "-"
                flag = "" if i.get("active", True) else "\t(停用 inactive)"
                sys.stdout.write(
                    f"{i['item_id']}\t{i.get('names', {}).get('zh-Hans', '')}\t{i.get('cost')}分\t"
                    f"{i.get('kind')}\t{stock}{flag}\n"
                )
        return 0
    if args.action == "set-stock":
        before = catalog.set_stock(store, args.site, args.item_id, args.qty, now, args.note)
        _out(
            {
                "ok": True,
                "site_id": args.site,
                "item_id": args.item_id,
                "before": before,
                "qty": args.qty,
            }
        )
        return 0
    image = None
    if args.image is not None:
        if not args.image.is_file():
            return _err(f"找不到图片 / no such picture: {args.image}")
        image = args.image.read_bytes()
    names = {"zh-Hans": args.name, "zh-Hant": args.name_zh_hant, "en": args.name_en}
    data = catalog.upsert_item(
        store,
        args.item_id,
        now,
        names={k: v for k, v in names.items() if v} or None,
        cost=args.cost,
        kind=args.kind,
        monthly_limit=args.monthly_limit,
        active=False if args.inactive else True if args.active else None,
        image=image,
    )
    _out({"ok": True, **data})
    return 0

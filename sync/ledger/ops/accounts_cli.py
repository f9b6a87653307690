"""``kiosk-ledger staff ...``: console accounts from the command line, for the first
administrator and for scripts. A new account's first password is printed once."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from sync.ledger.staff import accounts
from sync.ledger.staff.roles import ROLE_NAMES, role_code


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("staff", help="staff console accounts: add, list, reset a password")
    ssub = p.add_subparsers(dest="action", required=True)
    a = ssub.add_parser(
        "add",
        parents=[common],
        help="add a console account and print its first password (shown once)",
    )
    a.add_argument("name", help="the account name staff type to sign in")
    a.add_argument(
        "--role",
        required=True,
        help="管理员 / 站点工作人员 / 只读 (or admin / site_staff / read_only)",
    )
    a.add_argument(
        "--site", action="append", default=[], help="a site of a 站点工作人员 (repeat for more)"
    )
    a.add_argument("--display-name", default="", help="the person's name as pages show it")
    a.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of making one",
    )
    ssub.add_parser("list", parents=[common], help="list console accounts (JSON)")
    r = ssub.add_parser(
        "reset-password", parents=[common], help="give an account a new first password"
    )
    r.add_argument("name")


def _err(message: str, code: int = 1) -> int:
    sys.stderr.write(f"kiosk-ledger staff: {message}\n")
    return code


def run(store: Any, console_db: Any, args: argparse.Namespace, now: datetime) -> int:
    actor = "cli:staff"
    if args.action == "add":
        try:
            role = role_code(args.role)
        except ValueError as exc:
            return _err(str(exc), 2)
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
            shown = False
        else:
            password, shown = accounts.new_password(), True
        try:
            created = accounts.create_account(
                console_db,
                args.name,
                role,
                password,
                now,
                actor=actor,
                sites=args.site,
                display_name=args.display_name,
                known_sites=store.site_ids(),
            )
        except accounts.AccountError as exc:
            return _err(str(exc))
        sys.stdout.write(
            f"账户 / account: {created.name}  角色 / role: {ROLE_NAMES[created.role]}"
            + (f"  站点 / sites: {', '.join(sorted(created.sites))}" if created.sites else "")
            + "\n"
        )
        if shown:
            sys.stdout.write(f"初始密码 / first password: {password}\n")
        return 0
    if args.action == "list":
        with console_db.read() as r:
            rows = [accounts.account_summary(s.account) for s in r.accounts()]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return 0
    if args.action == "reset-password":
        with console_db.read() as r:
            found = r.account_by_name(accounts.name_key(args.name))
        if found is None:
            return _err(f"没有账户 {args.name} / no account {args.name}")
        password = accounts.reset_password(console_db, found.account.account_id, now, actor=actor)
        sys.stdout.write(f"新密码 / new password: {password}\n")
        return 0
    raise AssertionError(args.action)

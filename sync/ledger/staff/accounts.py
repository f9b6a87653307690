"""Staff accounts for the console: password hashes, sign-in with back-off, sessions.

Passwords are hashed with Argon2id at OWASP's recommended cost (19 MiB, two passes, one
lane): a thief with the database pays that for every guess, while signing in stays quick
on a small server that may be checking several staff at once. (Kiosk PINs, only a million
values, are far slower: kiosk/core/pins.py.) Session
tokens are 256-bit random strings kept only as their SHA-256, like kiosk tokens: a copy
of the database gives no session away.

Back-off: after ``FREE_TRIES`` wrong passwords in a row for one name, that name is locked
for ``BASE_LOCK`` and each further wrong try doubles the lock, up to ``MAX_LOCK``. It is
counted per name typed, known or not, so the answer never tells whether a name exists.
A right password resets the count.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sync.ledger.security import digest
from sync.ledger.staff.roles import ROLES, SITE_STAFF, Account

FREE_TRIES = 5
BASE_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(hours=1)
SESSION_HOURS = 10  # a working day at the service center, then sign in again
MIN_PASSWORD = 10
NAME_MAX = 40

_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why (Chinese first)."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


# A hash of a random password, checked when the name is unknown, so a wrong name costs
# as long as a wrong password and the timing tells nothing either.
_DUMMY = hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    check_password(password, _DUMMY)


def check_new_password(password: str, name: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"密码至少 {MIN_PASSWORD} 个字符 / a password has at least {MIN_PASSWORD} characters"
        )
    if password.strip().casefold() == name.strip().casefold():
        raise AccountError("密码不能与账户名相同 / the password may not be the account name")
    if len(set(password)) < 4:
        raise AccountError("密码太简单 / this password is too easy to guess")
    return password


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX or any(ch.isspace() or ord(ch) < 32 for ch in name):
        raise AccountError(
            f"账户名须为 1-{NAME_MAX} 个字符，不含空格 / an account name is 1-{NAME_MAX} characters,"
            " no spaces"
        )
    return name


def locked_until(failures: int, last_failure: datetime | None) -> datetime | None:
    """When a name may try again after ``failures`` wrong passwords in a row, the last at
    ``last_failure``; None while it still has free tries."""
    if last_failure is None or failures < FREE_TRIES:
        return None
    lock = min(BASE_LOCK * (2 ** min(failures - FREE_TRIES, 16)), MAX_LOCK)
    return last_failure + lock


def name_key(name: str) -> str:
    """Names are matched without regard to case or surrounding spaces."""
    return name.strip().casefold()


@dataclass(frozen=True)
class NewSession:
    token: str  # goes to the browser, once
    token_hash: str  # what the database keeps
    csrf: str
    expires_at: datetime


def new_session(now: datetime) -> NewSession:
    token = secrets.token_urlsafe(32)
    return NewSession(
        token, digest(token), secrets.token_urlsafe(32), now + timedelta(hours=SESSION_HOURS)
    )


def session_hash(token: str) -> str:
    return digest(token)


def new_password() -> str:
    """A first password for a new account, shown once: easy to read aloud, hard to guess."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(15))
    return f"{raw[:5]}-{raw[5:10]}-{raw[10:]}"


# -- what staff do with accounts (through the storage interface's read() and write()) -------


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in: a session, or why not (``locked_until`` set while locked)."""

    session: NewSession | None = None
    account: Account | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.session is not None


def sign_in(db: Any, name: str, password: str, now: datetime) -> SignIn:
    key = name_key(name)[: NAME_MAX * 4]
    with db.read() as r:
        failures, last = r.login_failures(key)
        found = r.account_by_name(key)
    until = locked_until(failures, datetime.fromisoformat(last) if last else None)
    if until is not None and until > now:
        return SignIn(locked_until=until)
    if found is None:
        burn_time(password)
        good = False
    else:
        good = check_password(password, found.password_hash) and found.account.active
    with db.write() as w:
        if not good:
            failures = w.login_failed(key, iso(now))
            w.audit(iso(now), f"login:{key}", "console.login.failed", target=key)
            return SignIn(locked_until=locked_until(failures, now))
        w.login_succeeded(key)
        session = new_session(now)
        w.add_session(
            session.token_hash,
            found.account.account_id,
            session.csrf,
            iso(now),
            iso(session.expires_at),
        )
        if needs_rehash(found.password_hash):
            w.set_password_hash(found.account.account_id, hash_password(password), iso(now))
        w.audit(iso(now), found.account.actor, "console.login", target=found.account.actor)
    return SignIn(session=session, account=found.account)


def session_for(db: Any, token: str | None, now: datetime) -> tuple[Account, str, str] | None:
    """(account, CSRF token, session hash) of a live session cookie, else None."""
    if not token or len(token) > 100:
        return None
    token_hash = session_hash(token)
    with db.read() as r:
        found = r.session(token_hash, iso(now))
    if found is None:
        return None
    return found[0].account, found[1], token_hash


def sign_out(db: Any, account: Account, token_hash: str, now: datetime) -> None:
    with db.write() as w:
        w.end_session(token_hash, iso(now))
        w.audit(iso(now), account.actor, "console.logout", target=account.actor)


def create_account(
    db: Any,
    name: str,
    role: str,
    password: str,
    now: datetime,
    *,
    actor: str,
    sites: list[str] = (),
    display_name: str = "",
    staff_id: str | None = None,
    known_sites: list[str] | None = None,
) -> Account:

    name = check_name(name)
    if role not in ROLES:
        raise AccountError(f"没有角色 {role} / unknown role {role!r}")
    sites = sorted(set(sites))
    if role == SITE_STAFF and not sites:
        raise AccountError("站点工作人员须指定站点 / site staff need at least one site (--site)")
    if known_sites is not None and (unknown := [s for s in sites if s not in known_sites]):
        raise AccountError(
            f"没有站点 {', '.join(unknown)} / unknown site {', '.join(unknown)};"
            f" known: {', '.join(known_sites)}"
        )
    check_new_password(password, name)
    pw = hash_password(password)
    with db.write() as w:
        if w.account_by_name(name_key(name)) is not None:
            raise AccountError(f"账户 {name} 已存在 / the account {name} already exists")
        account_id = w.add_account(
            name,
            name_key(name),
            display_name or name,
            role,
            sites if role == SITE_STAFF else [],
            pw,
            staff_id,
            iso(now),
        )
        created = w.account(account_id).account
        w.audit(
            iso(now),
            actor,
            "console.account.create",
            target=created.actor,
            after=account_summary(created),
        )
    return created


def account_summary(a: Account) -> dict[str, Any]:
    return {
        "name": a.name,
        "display_name": a.display_name,
        "role": a.role,
        "sites": sorted(a.sites),
        "active": a.active,
        "staff_id": a.staff_id,
    }


def update_account(
    db: Any,
    account_id: int,
    now: datetime,
    *,
    actor: str,
    display_name: str,
    role: str,
    sites: list[str],
    active: bool,
    staff_id: str | None,
) -> Account:

    if role not in ROLES:
        raise AccountError(f"没有角色 {role} / unknown role {role!r}")
    if role == SITE_STAFF and not sites:
        raise AccountError("站点工作人员须指定站点 / site staff need at least one site")
    with db.write() as w:
        old = w.account(account_id)
        if old is None:
            raise AccountError("没有这个账户 / no such account")
        w.update_account(
            account_id,
            display_name=display_name.strip() or old.account.name,
            role=role,
            sites=sites if role == SITE_STAFF else [],
            active=active,
            staff_id=staff_id or None,
        )
        if not active:
            w.end_sessions_of(account_id, iso(now))
        new = w.account(account_id).account
        w.audit(
            iso(now),
            actor,
            "console.account.update",
            target=new.actor,
            before=account_summary(old.account),
            after=account_summary(new),
        )
    return new


def change_password(
    db: Any, account: Account, old: str, new: str, now: datetime, keep_session: str
) -> None:
    """The person's own change: the old password is asked for again, and every other
    session of the account ends (a stolen session does not survive the change)."""
    with db.read() as r:
        stored = r.account(account.account_id)
    if stored is None or not check_password(old, stored.password_hash):
        raise AccountError("原密码不对 / the current password is wrong")
    check_new_password(new, account.name)
    if old == new:
        raise AccountError("新密码须与原密码不同 / the new password must differ from the old one")
    pw = hash_password(new)
    with db.write() as w:
        w.set_password_hash(account.account_id, pw, iso(now))
        w.end_sessions_of(account.account_id, iso(now), keep=keep_session)
        w.audit(iso(now), account.actor, "console.password.change", target=account.actor)


def reset_password(db: Any, account_id: int, now: datetime, *, actor: str) -> str:
    """An administrator gives a new first password (shown once); the account's sessions end."""
    password = new_password()
    pw = hash_password(password)
    with db.write() as w:
        found = w.account(account_id)
        if found is None:
            raise AccountError("没有这个账户 / no such account")
        w.set_password_hash(account_id, pw, iso(now))
        w.end_sessions_of(account_id, iso(now))
        w.login_succeeded(name_key(found.account.name))  # a reset also lifts a lock
        w.audit(iso(now), actor, "console.password.reset", target=found.account.actor)
    return password

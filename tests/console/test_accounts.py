"""Accounts through the storage interface: sign-in, back-off, sessions, the audit journal."""

from __future__ import annotations

import pytest

from sync.ledger.db.console import AuditFilter
from sync.ledger.staff import accounts

from .conftest import PASSWORDS, raw_execute, stored_bytes


def test_passwords_are_argon2_hashes_never_the_password(console):
    with console.db.read() as r:
        stored = r.account_by_name("wang")
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORDS["wang"] not in stored.password_hash
    assert PASSWORDS["wang"].encode() not in stored_bytes(console)


def test_sign_in_gives_a_session_the_database_keeps_only_as_a_hash(console):
    result = accounts.sign_in(console.db, "Wang ", PASSWORDS["wang"], console.clock())
    assert result.ok and result.account.name == "wang"
    found = accounts.session_for(console.db, result.session.token, console.clock())
    assert found is not None and found[0].name == "wang" and found[1] == result.session.csrf
    assert result.session.token.encode() not in stored_bytes(console)
    # A working day later the session has run out.
    console.clock.move(hours=accounts.SESSION_HOURS, seconds=1)
    assert accounts.session_for(console.db, result.session.token, console.clock()) is None


def test_wrong_passwords_lock_the_name_with_growing_back_off(console):
    now = console.clock
    for _ in range(accounts.FREE_TRIES - 1):
        assert accounts.sign_in(console.db, "wang", "nope", now()).locked_until is None
    fifth = accounts.sign_in(console.db, "wang", "nope", now())
    assert fifth.locked_until == now() + accounts.BASE_LOCK
    # Locked: even the right password is refused until the lock runs out.
    refused = accounts.sign_in(console.db, "wang", PASSWORDS["wang"], now())
    assert not refused.ok and refused.locked_until == fifth.locked_until
    now.move(seconds=31)
    sixth = accounts.sign_in(console.db, "wang", "nope", now())
    assert sixth.locked_until == now() + 2 * accounts.BASE_LOCK
    now.move(seconds=61)
    assert accounts.sign_in(console.db, "wang", PASSWORDS["wang"], now()).ok
    # Success resets the count.
    assert accounts.sign_in(console.db, "wang", "nope", now()).locked_until is None


def test_unknown_names_are_counted_too_so_answers_do_not_tell_who_exists(console):
    for _ in range(accounts.FREE_TRIES):
        last = accounts.sign_in(console.db, "nobody", "x", console.clock())
    assert last.locked_until is not None


def test_back_off_is_capped(console):
    assert accounts.locked_until(200, console.clock()) == console.clock() + accounts.MAX_LOCK


def test_disabled_accounts_cannot_sign_in_and_lose_their_sessions(console):
    session = accounts.sign_in(console.db, "li", PASSWORDS["li"], console.clock()).session
    with console.db.read() as r:
        li = r.account_by_name("li").account
    accounts.update_account(
        console.db,
        li.account_id,
        console.clock(),
        actor="account:wang",
        display_name="李",
        role=li.role,
        sites=list(li.sites),
        active=False,
        staff_id=None,
    )
    assert accounts.session_for(console.db, session.token, console.clock()) is None
    assert not accounts.sign_in(console.db, "li", PASSWORDS["li"], console.clock()).ok


def test_password_change_needs_the_old_one_and_ends_other_sessions(console):
    now = console.clock()
    one = accounts.sign_in(console.db, "zhao", PASSWORDS["zhao"], now)
    two = accounts.sign_in(console.db, "zhao", PASSWORDS["zhao"], now)
    with pytest.raises(accounts.AccountError):
        accounts.change_password(
            console.db, one.account, "wrong", "another-pass-9", now, one.session.token_hash
        )
    with pytest.raises(accounts.AccountError):
        accounts.change_password(
            console.db, one.account, PASSWORDS["zhao"], "short", now, one.session.token_hash
        )
    accounts.change_password(
        console.db, one.account, PASSWORDS["zhao"], "another-pass-9", now, one.session.token_hash
    )
    assert accounts.session_for(console.db, one.session.token, now) is not None
    assert accounts.session_for(console.db, two.session.token, now) is None
    assert accounts.sign_in(console.db, "zhao", "another-pass-9", now).ok


def test_site_staff_need_a_site_and_names_are_unique(console):
    with pytest.raises(accounts.AccountError):
        accounts.create_account(
            console.db, "chen", "site_staff", "chen-secret-1", console.clock(), actor="t"
        )
    with pytest.raises(accounts.AccountError):
        accounts.create_account(
            console.db, "WANG", "admin", "other-secret-1", console.clock(), actor="t"
        )


def test_the_audit_journal_masks_secrets_and_refuses_changes(console):
    with console.db.write() as w:
        w.audit(
            "2026-11-29T09:00:00.000+08:00",
            "account:wang",
            "test.secret",
            target="x",
            after={"pin": "123456", "name": "张三", "nested": {"password": "p"}},
        )
    with console.db.read() as r:
        (entry,) = r.audit_entries(AuditFilter(action="test.secret"))
    assert entry.after == {"pin": "***", "name": "张三", "nested": {"password": "***"}}
    # Past the interface too: the database itself refuses (each backend's trigger).
    for sql in ("DELETE FROM audit_log", "UPDATE audit_log SET actor = 'someone else'"):
        with pytest.raises(Exception, match="append-only"):
            raw_execute(console, sql)


def test_audit_filters(console):
    accounts.sign_in(console.db, "wang", PASSWORDS["wang"], console.clock())
    accounts.sign_in(console.db, "li", "bad", console.clock())
    with console.db.read() as r:
        logins = r.audit_entries(AuditFilter(action="console.login"))
        prefix = r.audit_entries(AuditFilter(action="console.login."))
        by_wang = r.audit_entries(AuditFilter(actor="account:wang"))
        created = r.audit_entries(AuditFilter(action="console.account.create"))
    assert [e.actor for e in logins] == ["account:wang"]
    assert [e.target for e in prefix] == ["li"]
    assert {e.action for e in by_wang} == {"console.login"}
    assert {e.target for e in created} == {"account:wang", "account:li", "account:zhao"}

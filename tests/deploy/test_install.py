"""The install scripts, run for real into throwaway roots: twice each (idempotence), an
upgrade, a kiosk enrolled with an installed ledger, the units checked by
`systemd-analyze verify`, the proxy configuration by `caddy validate`, the scripts by
shellcheck.

The scripts run with --no-pip: the Python packages come from this test's environment
(PYTHONPATH) instead of the network, which keeps the run fast and offline; everything
else (user, release folders, venv, units, rules, database, enrollment) is the real path.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
import requests

from kiosk.config import KioskConfig, load_config
from sync.ledger.ops import backup as bk
from sync.ledger.ops.config import load_ledger_config

REPO = Path(__file__).resolve().parents[2]
KIOSK_SH = REPO / "deploy" / "kiosk" / "install-kiosk.sh"
LEDGER_SH = REPO / "deploy" / "ledger" / "install-ledger.sh"
RELEASE_LIB = REPO / "deploy" / "lib" / "release.sh"
BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))
KIOSK_UNIT = "volunteer-kiosk.service"
LEDGER_UNITS = [
    "volunteer-kiosk-ledger.service",
    "volunteer-kiosk-ledger-backup.service",
    "volunteer-kiosk-ledger-backup.timer",
]
LEDGER_PY = "opt/volunteer-kiosk-ledger/current/venv/bin/python"
LEDGER_DB = "var/lib/volunteer-kiosk-ledger/ledger.db"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}


IGNORE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "__pycache__",
    "*.db",
    "*.db-*",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".benchmarks",
    "demo-data",
    "test-output",
)


def copy_checkout(dest: Path) -> Path:
    """A still copy of the checkout, as a git clone: the working tree may change under
    the tests (other people work in it), and a changed tree is rightly a new release."""
    shutil.copytree(REPO, dest, ignore=IGNORE)
    subprocess.run(["git", "init", "-q", str(dest)], check=True, timeout=60)
    subprocess.run(["git", "-C", str(dest), "add", "-A"], check=True, timeout=60)
    return dest


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return copy_checkout(tmp_path_factory.mktemp("checkout") / "src")


def run_script(
    script: Path, root: Path, *args: str, check: bool = True, source: Path | None = None
) -> subprocess.CompletedProcess:
    command = ["bash", str(script), "--root", str(root), "--no-pip", "--python", str(BASE_PYTHON)]
    if source is not None:
        command += ["--source", str(source)]
    result = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=_env(), timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{script.name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def make_root(path: Path) -> Path:
    """A machine's /etc as the scripts find it: the account files, and a Pi's boot line."""
    (path / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        if Path("/etc", name).exists():
            shutil.copy2(Path("/etc", name), path / "etc" / name)
    (path / "boot" / "firmware").mkdir(parents=True)
    (path / "boot" / "firmware" / "cmdline.txt").write_text(
        "console=tty1 root=PARTUUID=1234-02 rootwait\n"
    )
    return path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every file's content, mode and owner: what a second run must leave unchanged."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = None
            state[str(path.relative_to(root))] = (
                content,
                stat.S_IMODE(st.st_mode),
                st.st_uid,
                st.st_gid,
            )
    return state


def passwd_entry(root: Path, user: str) -> list[str]:
    for line in (root / "etc" / "passwd").read_text().splitlines():
        if line.startswith(user + ":"):
            return line.split(":")
    raise AssertionError(f"no user {user} in {root}/etc/passwd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ledger_root(tmp_path_factory, checkout):
    root = make_root(tmp_path_factory.mktemp("ledger-root"))
    first = run_script(LEDGER_SH, root, "--domain", "ledger.test.invalid", source=checkout)
    after_first = snapshot(root)
    second = run_script(LEDGER_SH, root, "--domain", "ledger.test.invalid", source=checkout)
    return {
        "root": root,
        "first": first,
        "second": second,
        "after_first": after_first,
        "after_second": snapshot(root),
    }


@pytest.fixture(scope="module")
def ledger_server(ledger_root, tmp_path_factory):
    """The installed ledger, serving on loopback, with the demo sites loaded."""
    root = ledger_root["root"]
    py, db = root / LEDGER_PY, root / LEDGER_DB
    subprocess.run(
        [
            py,
            "-m",
            "sync.ledger",
            "demo-data",
            "--db",
            db,
            "--no-cards",
            "--out",
            tmp_path_factory.mktemp("demo"),
        ],
        check=True,
        capture_output=True,
        env=_env(),
        timeout=120,
    )
    port = free_port()
    proc = subprocess.Popen(
        [py, "-m", "sync.ledger", "serve", "--db", db, "--port", str(port)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/v1/health", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (
            "the installed ledger did not start"
        )
        time.sleep(0.1)
    yield {"url": url, "py": py, "db": db}
    proc.terminate()
    proc.wait(timeout=30)


def enroll_code(server) -> str:
    out = subprocess.run(
        [
            server["py"],
            "-m",
            "sync.ledger",
            "enroll-code",
            "--db",
            server["db"],
            "--site",
            "service-center",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def kiosk_root(tmp_path_factory, ledger_server, checkout):
    root = make_root(tmp_path_factory.mktemp("kiosk-root"))
    code = enroll_code(ledger_server)
    args = (
        "--enroll",
        ledger_server["url"],
        code,
        "--name",
        "corridor-1",
        "--scanner",
        "0C2E:0B61",
    )
    first = run_script(KIOSK_SH, root, *args, source=checkout)
    after_first = snapshot(root)
    second = run_script(KIOSK_SH, root, *args, source=checkout)
    return {
        "root": root,
        "first": first,
        "second": second,
        "after_first": after_first,
        "after_second": snapshot(root),
        "url": ledger_server["url"],
    }


# -- the ledger ------------------------------------------------------------------------


def test_ledger_install_creates_user_database_and_config(ledger_root):
    root = ledger_root["root"]
    user = passwd_entry(root, "kiosk-ledger")
    assert user[5] == "/var/lib/volunteer-kiosk-ledger" and user[6] == "/usr/sbin/nologin"
    db = root / LEDGER_DB
    assert db.stat().st_uid == int(user[2])
    key = db.with_name("ledger.db.signing-key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_uid == int(user[2])
    assert stat.S_IMODE((root / "var/backups/volunteer-kiosk-ledger").stat().st_mode) == 0o700
    token = root / "etc/volunteer-kiosk-ledger/admin-token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and len(token.read_text().strip()) >= 20
    assert token.read_text().strip() not in ledger_root["first"].stdout, "the token is not printed"
    assert "creating the ledger database" in ledger_root["first"].stdout
    cfg = load_ledger_config(root / "etc/volunteer-kiosk-ledger/ledger.toml", env={})
    assert cfg.db == "/var/lib/volunteer-kiosk-ledger/ledger.db"
    assert cfg.admin_token_file == "/etc/volunteer-kiosk-ledger/admin-token"
    assert (cfg.host, cfg.port) == ("127.0.0.1", 8470)
    assert (root / "opt/volunteer-kiosk-ledger/current").is_symlink()


def test_ledger_second_run_changes_nothing(ledger_root):
    assert ledger_root["after_first"] == ledger_root["after_second"]
    assert (
        "creating" not in ledger_root["second"].stdout
        and "building" not in ledger_root["second"].stdout
    )


def test_backup_unit_command_backs_up_the_installed_ledger(ledger_root):
    """Run the backup service's ExecStart as systemd would, inside the throwaway root."""
    root = ledger_root["root"]
    unit = _unit(root / "etc/systemd/system/volunteer-kiosk-ledger-backup.service")
    command = [
        str(root) + arg if arg.startswith("/") else arg
        for arg in unit["Service"]["ExecStart"].split()
    ]
    out = subprocess.run(
        command, check=True, capture_output=True, text=True, env=_env(), timeout=60
    )
    made = Path(out.stdout.strip())
    assert made.parent == root / "var/backups/volunteer-kiosk-ledger"
    bk.check(made)
    tables = sqlite3.connect(made).execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    assert tables > 0


def test_caddy_accepts_the_installed_site(ledger_root, tmp_path):
    root = ledger_root["root"]
    site = root / "etc/caddy/volunteer-kiosk-ledger.caddy"
    assert "ledger.test.invalid {" in site.read_text()
    assert (root / "etc/caddy/Caddyfile").read_text().count(
        "import /etc/caddy/volunteer-kiosk-ledger.caddy"
    ) == 1
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "127.0.0.1:8470" in site.read_text()


# -- the kiosk -------------------------------------------------------------------------


def test_kiosk_install_enrolls_once_with_the_ledger(kiosk_root):
    root = kiosk_root["root"]
    assert "enrolling with" in kiosk_root["first"].stdout
    assert f"already enrolled with {kiosk_root['url']}" in kiosk_root["second"].stdout
    user = passwd_entry(root, "kiosk")
    store = root / "var/lib/volunteer-kiosk/kiosk.db"
    assert store.stat().st_uid == int(user[2])
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700, "the store holds the ledger token"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    conn = sqlite3.connect(store)
    settings = dict(conn.execute("SELECT key, value FROM settings"))
    conn.close()
    assert settings["ledger_url"] == kiosk_root["url"] and settings["site_id"] == "service-center"
    groups = (root / "etc/group").read_text()
    assert re.search(r"^video:[^:]*:[^:]*:(.*,)?kiosk(,|$)", groups, re.M)


def test_kiosk_second_run_changes_nothing(kiosk_root):
    before, after = kiosk_root["after_first"], kiosk_root["after_second"]
    # The store itself may be touched by reading its status; everything else is identical.
    store = "var/lib/volunteer-kiosk/kiosk.db"
    assert {k: v for k, v in before.items() if not k.startswith(store)} == {
        k: v for k, v in after.items() if not k.startswith(store)
    }


def test_kiosk_configuration_devices_and_screen(kiosk_root):
    root = kiosk_root["root"]
    assert load_config(root / "etc/volunteer-kiosk/kiosk.toml", env={}) == KioskConfig()
    rules = (root / "etc/udev/rules.d/70-volunteer-kiosk.rules").read_text()
    assert 'SYMLINK+="kiosk-camera"' in rules
    assert (
        'ATTRS{idVendor}=="0c2e", ATTRS{idProduct}=="0b61", SYMLINK+="input/kiosk-scanner"' in rules
    )
    assert rules.count("kiosk-scanner") == 1
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline == "console=tty1 root=PARTUUID=1234-02 rootwait consoleblank=0\n"


UDEV_KEY = re.compile(
    r"^(ACTION|SUBSYSTEMS?|KERNEL|DRIVERS?|ENV\{\w+\}|ATTRS?\{[\w/.]+\}|TEST|SYMLINK|GROUP|MODE)"
    r'(==|!=|\+=|=)"[^"]*"$'
)


def test_udev_rules_are_well_formed(kiosk_root):
    text = (kiosk_root["root"] / "etc/udev/rules.d/70-volunteer-kiosk.rules").read_text()
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(rules) == 3
    for rule in rules:
        for pair in rule.split(", "):
            assert UDEV_KEY.match(pair), f"not a udev key/value: {pair!r} in {rule!r}"
        assert any(op in rule for op in ('+="', '="', 'R="')), rule


def test_upgrade_builds_a_new_release_and_backs_up_the_store(kiosk_root, tmp_path):
    root = kiosk_root["root"]
    source = copy_checkout(tmp_path / "checkout")
    (source / "kiosk" / "release_note.txt").write_text("the next version\n")
    old = os.readlink(root / "opt/volunteer-kiosk/current")
    result = run_script(KIOSK_SH, root, source=source)
    new = os.readlink(root / "opt/volunteer-kiosk/current")
    assert new != old and "backing up the kiosk store" in result.stdout
    assert (root / "opt/volunteer-kiosk" / old).is_dir(), (
        "the previous release stays for a way back"
    )
    assert (root / "opt/volunteer-kiosk" / new / "src/kiosk/release_note.txt").exists()
    [(_, copy)] = bk.list_backups(root / "var/lib/volunteer-kiosk/backups", "kiosk")
    bk.check(copy)
    conn = sqlite3.connect(copy)
    assert dict(conn.execute("SELECT key, value FROM settings"))["ledger_url"] == kiosk_root["url"]
    conn.close()
    # The installed release runs: the store opens through it.
    py = root / "opt/volunteer-kiosk/current/venv/bin/python"
    out = subprocess.run(
        [py, "-m", "kiosk.cli", "status", "--json", "--data-dir", root / "var/lib/volunteer-kiosk"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=True,
    )
    assert '"ledger_url"' in out.stdout


# -- units and scripts -------------------------------------------------------------------


def test_units_pass_systemd_analyze_verify(kiosk_root, ledger_root, tmp_path):
    """The installed units, in one root with systemd's own units beside them, as on a
    real machine (verify resolves ExecStart, targets and the timer's service there)."""
    root = tmp_path / "root"
    for src in (kiosk_root["root"], ledger_root["root"]):
        shutil.copytree(src / "etc/systemd", root / "etc/systemd", dirs_exist_ok=True)
        shutil.copytree(src / "opt", root / "opt", dirs_exist_ok=True, symlinks=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    # The venvs link to this machine's interpreter; in an installed system it is there.
    target = root / BASE_PYTHON.resolve().relative_to("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(BASE_PYTHON.resolve(), target)
    result = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", KIOSK_UNIT, *LEDGER_UNITS],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stderr.strip() and not result.stdout.strip(), (
        result.stdout + result.stderr
    )


def _unit(path: Path) -> dict[str, dict[str, str]]:
    """A unit file as systemd reads it: sections of keys, a repeated key's values joined
    (configparser would keep only the last Environment= line)."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{path.name}: {line!r}"
        key, value = (part.strip() for part in line.split("=", 1))
        current[key] = f"{current[key]} {value}" if key in current else value
    return sections


def test_unit_settings_that_keep_a_kiosk_alive():
    unit = _unit(REPO / "deploy/kiosk" / KIOSK_UNIT)
    service = unit["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert service["Restart"] == "always" and int(service["WatchdogSec"]) > 0
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    assert (
        "--fullscreen" in service["ExecStart"]
        and "SDL_VIDEODRIVER=kmsdrm" in service["Environment"]
    )
    assert (
        service["StandardOutput"] == "journal"
        and unit["Install"]["WantedBy"] == "multi-user.target"
    )


def test_ledger_units_listen_on_loopback_and_back_up_nightly():
    service = _unit(REPO / "deploy/ledger" / LEDGER_UNITS[0])["Service"]
    assert "--host 127.0.0.1" in service["ExecStart"] and service["Restart"] == "always"
    backup = _unit(REPO / "deploy/ledger" / LEDGER_UNITS[1])["Service"]
    assert backup["Type"] == "oneshot" and " backup " in backup["ExecStart"]
    timer = _unit(REPO / "deploy/ledger" / LEDGER_UNITS[2])
    assert timer["Timer"]["Persistent"] == "true" and timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_shellcheck_is_clean(kiosk_root, ledger_root):
    wrappers = [
        kiosk_root["root"] / "usr/local/bin/kiosk",
        ledger_root["root"] / "usr/local/bin/kiosk-ledger",
    ]
    # From another folder: deploy/.shellcheckrc lets it follow the sourced library, as
    # shellcheck run by hand (or by an editor) does.
    result = subprocess.run(
        [
            "shellcheck",
            "--severity=style",
            str(KIOSK_SH),
            str(LEDGER_SH),
            str(RELEASE_LIB),
            *map(str, wrappers),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert result.returncode == 0, result.stdout


def test_both_installers_share_one_release_library():
    """Release building, the source listing, the venv, the service user and the switch
    live once, in deploy/lib/release.sh, sourced by both scripts."""
    lib = RELEASE_LIB.read_text()
    for name in (
        "list_source()",
        "build_release()",
        "switch_release()",
        "ensure_user()",
        "apt_install()",
    ):
        assert name in lib
    for script in (KIOSK_SH, LEDGER_SH):
        text = script.read_text()
        assert '. "$(dirname "${BASH_SOURCE[0]}")/../lib/release.sh"' in text
        assert "# shellcheck source=SCRIPTDIR/../lib/release.sh" in text
        for shared in ("list_source()", "-m venv", "useradd", "sha256sum", "current.new"):
            assert shared not in text, f"{script.name} repeats {shared!r} from the library"


def test_commands_for_people_run_as_the_service_user(kiosk_root, ledger_root):
    kiosk = (kiosk_root["root"] / "usr/local/bin/kiosk").read_text()
    assert "runuser -u kiosk -- env KIOSK_DATA_DIR=/var/lib/volunteer-kiosk" in kiosk
    assert "--config /etc/volunteer-kiosk/kiosk.toml" in kiosk
    ledger = (ledger_root["root"] / "usr/local/bin/kiosk-ledger").read_text()
    assert (
        "runuser -u kiosk-ledger -- env KIOSK_LEDGER_DB=/var/lib/volunteer-kiosk-ledger/ledger.db"
        in ledger
    )
    for path in (
        kiosk_root["root"] / "usr/local/bin/kiosk",
        ledger_root["root"] / "usr/local/bin/kiosk-ledger",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755


@pytest.mark.parametrize("script", [KIOSK_SH, LEDGER_SH], ids=["kiosk", "ledger"])
def test_scripts_are_strict_and_refuse_bad_options(script, tmp_path):
    assert "set -euo pipefail" in script.read_text()
    bad = run_script(script, tmp_path / "r", "--frobnicate", check=False)
    assert bad.returncode == 2 and "unknown option --frobnicate" in bad.stderr
    assert not (tmp_path / "r").exists(), "nothing installed on a bad command line"


def test_kiosk_script_checks_the_scanner_id(tmp_path):
    bad = run_script(KIOSK_SH, make_root(tmp_path / "r"), "--scanner", "scanner", check=False)
    assert bad.returncode == 2 and "VID:PID" in bad.stderr

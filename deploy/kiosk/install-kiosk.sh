#!/usr/bin/env bash
# Install, upgrade or repair the volunteer kiosk on a Raspberry Pi or a Linux PC.
#
# Idempotent: running it again with the same checkout changes nothing; with a newer
# checkout it upgrades. Each version is built completely in its own release folder
# while the old one keeps serving, the kiosk's store is backed up, and only then does
# the `current` link switch and the service restart (a few seconds; a scan is either
# committed before the stop or never confirmed, so nothing a volunteer saw is lost).
set -euo pipefail
SCRIPT=install-kiosk.sh
# shellcheck source=SCRIPTDIR/../lib/release.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/release.sh"

usage() {
  cat <<'EOF'
usage: install-kiosk.sh [options]
  --enroll URL CODE   enroll this kiosk with the ledger (once; skipped when enrolled)
  --name NAME         kiosk name shown in the ledger (default: the host name)
  --scanner VID:PID   USB id of the QR scanner (see `lsusb`): stable name, no autosuspend
  --source DIR        the checkout to install (default: the one holding this script)
  --root DIR          install under DIR instead of / (image building, tests); implies
                      --no-apt --no-systemctl
  --prefix DIR        program folder (default /opt/volunteer-kiosk)
  --data-dir DIR      the kiosk's data (default /var/lib/volunteer-kiosk)
  --config-dir DIR    configuration (default /etc/volunteer-kiosk)
  --user NAME         service user (default kiosk)
  --python PY         interpreter for the virtual environment (default python3)
  --no-pip            do not install Python packages (they come from the system)
  --no-apt            do not install Debian packages
  --no-systemctl      do not enable, start or restart anything
EOF
}

ROOT=/
PREFIX=/opt/volunteer-kiosk
DATA=/var/lib/volunteer-kiosk
CONF=/etc/volunteer-kiosk
SVC_USER=kiosk
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON=python3
PIP=1
APT=1
SYSTEMCTL=1
ENROLL_URL=""
ENROLL_CODE=""
NAME="$(hostname 2>/dev/null || echo kiosk)"
SCANNER=""
KEEP_RELEASES=3
UNIT=volunteer-kiosk.service
DEB_PACKAGES=(python3-venv libzbar0 libmtdev1 libgl1-mesa-dri libegl1 libgles2 fonts-noto-cjk alsa-utils)

while [ $# -gt 0 ]; do
  case "$1" in
    --enroll) ENROLL_URL="${2:?--enroll URL CODE}"; ENROLL_CODE="${3:?--enroll URL CODE}"; shift 3 ;;
    --name) NAME="${2:?}"; shift 2 ;;
    --scanner) SCANNER="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *)
      common_option "$@"
      if [ "$COMMON_SHIFT" = 0 ]; then echo "$SCRIPT: unknown option $1" >&2; usage >&2; exit 2; fi
      shift "$COMMON_SHIFT" ;;
  esac
done

use_root
if [ -n "$SCANNER" ] && ! [[ "$SCANNER" =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$ ]]; then
  echo "install-kiosk.sh: --scanner wants VID:PID as lsusb shows it, e.g. 0c2e:0b61" >&2; exit 2
fi
require_root_and_source

# -- Debian packages ---------------------------------------------------------------
apt_install "${DEB_PACKAGES[@]}"

# -- service user ------------------------------------------------------------------
ensure_user "volunteer kiosk"
# Display (video, render), touchscreen and scanner (input), sound (audio).
for group in video render input audio; do
  if grep -q "^${group}:" "$R/etc/group" \
     && ! grep -Eq "^${group}:[^:]*:[^:]*:(.*,)?${SVC_USER}(,|$)" "$R/etc/group"; then
    usermod "${prefix_opt[@]}" -a -G "$group" "$SVC_USER"
  fi
done

install -d -m 0755 "$R$PREFIX/releases" "$R$CONF"
install -d -m 0700 -o "$uid" -g "$gid" "$R$DATA" "$R$DATA/kivy" "$R$DATA/backups"

# -- release -----------------------------------------------------------------------
build_release kiosk "kiosk.cli, kiosk.watchdog"

# -- configuration (never overwritten: local edits stay) ----------------------------
[ -f "$R$CONF/kiosk.toml" ] || install -m 0644 "$SOURCE/deploy/kiosk/kiosk.toml.example" "$R$CONF/kiosk.toml"
[ -f "$R$CONF/kiosk.env" ] || install -m 0644 "$SOURCE/deploy/kiosk/kiosk.env.example" "$R$CONF/kiosk.env"

# -- devices -----------------------------------------------------------------------
install -d -m 0755 "$R/etc/udev/rules.d"
rules="$R/etc/udev/rules.d/70-volunteer-kiosk.rules"
{
  cat "$SOURCE/deploy/kiosk/70-volunteer-kiosk.rules"
  if [ -n "$SCANNER" ]; then
    vid="${SCANNER%%:*}"; pid="${SCANNER##*:}"
    vid="${vid,,}"; pid="${pid,,}"
    printf '\n# The QR scanner %s: a stable name, and no USB autosuspend (a waking scanner\n' "$SCANNER"
    printf '# drops the first characters of a scan).\n'
    printf 'ACTION=="add", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="%s", ATTR{idProduct}=="%s", TEST=="power/control", ATTR{power/control}="on"\n' "$vid" "$pid"
    printf 'SUBSYSTEM=="input", KERNEL=="event*", ATTRS{idVendor}=="%s", ATTRS{idProduct}=="%s", SYMLINK+="input/kiosk-scanner", GROUP="input", MODE="0660"\n' "$vid" "$pid"
  fi
} > "$rules.new"
mv "$rules.new" "$rules"
chmod 0644 "$rules"

# Console blanking would darken the screen under the kiosk (Raspberry Pi boot line).
for cmdline in "$R/boot/firmware/cmdline.txt" "$R/boot/cmdline.txt"; do
  if [ -f "$cmdline" ] && ! grep -q 'consoleblank=' "$cmdline"; then
    sed -i '1 s/$/ consoleblank=0/' "$cmdline"
    say "screen blanking off in $cmdline (from the next boot)"
  fi
done

# -- the unit ----------------------------------------------------------------------
install -d -m 0755 "$R/etc/systemd/system"
sed -e "s#/opt/volunteer-kiosk#$PREFIX#g" -e "s#/var/lib/volunteer-kiosk#$DATA#g" \
    -e "s#/etc/volunteer-kiosk#$CONF#g" -e "s#^User=kiosk\$#User=$SVC_USER#" -e "s#^Group=kiosk\$#Group=$SVC_USER#" \
    "$SOURCE/deploy/kiosk/$UNIT" > "$R/etc/systemd/system/$UNIT.new"
mv "$R/etc/systemd/system/$UNIT.new" "$R/etc/systemd/system/$UNIT"
chmod 0644 "$R/etc/systemd/system/$UNIT"

# -- switch to the release -----------------------------------------------------------
switch_release "$DATA/kiosk.db" "$DATA/backups" "the kiosk store"

PY="$R$PREFIX/current/venv/bin/python"

# -- the `kiosk` command for people at this machine -------------------------------------
# It runs as the service user: a file in the data folder left owned by root (a WAL
# index, say) would stop the kiosk from writing its store.
install -d -m 0755 "$R/usr/local/bin"
cat > "$R/usr/local/bin/kiosk.new" <<WRAPPER
#!/bin/sh
# The kiosk command for the installed kiosk (written by install-kiosk.sh).
set -eu
py=$PREFIX/current/venv/bin/python
if [ \$# -gt 0 ] && [ "\${1#-}" = "\$1" ]; then
  sub=\$1; shift; set -- "\$sub" --config $CONF/kiosk.toml "\$@"
fi
if [ "\$(id -u)" = 0 ]; then
  exec runuser -u $SVC_USER -- env KIOSK_DATA_DIR=$DATA "\$py" -m kiosk.cli "\$@"
fi
KIOSK_DATA_DIR=$DATA exec "\$py" -m kiosk.cli "\$@"
WRAPPER
chmod 0755 "$R/usr/local/bin/kiosk.new"
mv "$R/usr/local/bin/kiosk.new" "$R/usr/local/bin/kiosk"

# -- enrollment ----------------------------------------------------------------------
if [ -n "$ENROLL_URL" ]; then
  enrolled="$("$PY" -m kiosk.cli status --json --data-dir "$R$DATA" --config "$R$CONF/kiosk.toml" 2>/dev/null \
    | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("ledger_url") or "")' 2>/dev/null || true)"
  if [ -n "$enrolled" ]; then
    say "already enrolled with $enrolled"
  else
    say "enrolling with $ENROLL_URL as $NAME"
    # The store holds the ledger token: nobody but the service user may read it.
    (umask 077 && "$PY" -m kiosk.cli enroll --data-dir "$R$DATA" --config "$R$CONF/kiosk.toml" --name "$NAME" \
      "$ENROLL_URL" "$ENROLL_CODE")
  fi
fi
chown -R "$uid:$gid" "$R$DATA"

# -- start ---------------------------------------------------------------------------
if [ "$SYSTEMCTL" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  # New device names now, not at the next boot; a failure here only delays them.
  if udevadm control --reload-rules; then
    udevadm trigger --subsystem-match=video4linux --subsystem-match=input || true
  fi
  systemctl disable --quiet getty@tty1.service 2>/dev/null || true
  systemctl enable --quiet "$UNIT"
  if [ "$changed" = 1 ]; then systemctl restart "$UNIT"; else systemctl start "$UNIT"; fi
  say "running: systemctl status $UNIT; logs: journalctl -u $UNIT"
else
  say "installed without starting (use: systemctl daemon-reload && systemctl enable --now $UNIT)"
fi

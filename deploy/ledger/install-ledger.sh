#!/usr/bin/env bash
# Install, upgrade or repair the central ledger on a Linux server: service user, program,
# database (created once), the service on loopback, Caddy for TLS, nightly backups.
#
# Idempotent: running it again with the same checkout changes nothing; with a newer
# checkout it upgrades. The new release is built beside the running one, the database
# is backed up, then the `current` link switches and the service restarts (kiosks
# resend whatever was in flight; nothing is applied twice).
set -euo pipefail
SCRIPT=install-ledger.sh
# shellcheck source=SCRIPTDIR/../lib/release.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/release.sh"

usage() {
  cat <<'EOF'
usage: install-ledger.sh [options]
  --domain NAME       the ledger's DNS name: configure Caddy for HTTPS on it
  --port N            loopback port of the service (default 8470)
  --backup-dir DIR    nightly backups (default /var/backups/volunteer-kiosk-ledger);
                      best on another disk
  --source DIR        the checkout to install (default: the one holding this script)
  --root DIR          install under DIR instead of / (image building, tests); implies
                      --no-apt --no-systemctl
  --prefix DIR        program folder (default /opt/volunteer-kiosk-ledger)
  --data-dir DIR      database folder (default /var/lib/volunteer-kiosk-ledger)
  --config-dir DIR    configuration (default /etc/volunteer-kiosk-ledger)
  --user NAME         service user (default kiosk-ledger)
  --python PY         interpreter for the virtual environment (default python3)
  --no-pip            do not install Python packages (they come from the system)
  --no-apt            do not install Debian packages
  --no-systemctl      do not enable, start or restart anything
EOF
}

ROOT=/
PREFIX=/opt/volunteer-kiosk-ledger
DATA=/var/lib/volunteer-kiosk-ledger
CONF=/etc/volunteer-kiosk-ledger
BACKUPS=/var/backups/volunteer-kiosk-ledger
SVC_USER=kiosk-ledger
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON=python3
PIP=1
APT=1
SYSTEMCTL=1
DOMAIN=""
PORT=8470
KEEP_RELEASES=3
UNITS=(volunteer-kiosk-ledger.service volunteer-kiosk-ledger-backup.service volunteer-kiosk-ledger-backup.timer)
# libpango*: WeasyPrint's text layout, for kiosk-ledger poster
DEB_PACKAGES=(python3-venv sqlite3 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN="${2:?}"; shift 2 ;;
    --port) PORT="${2:?}"; shift 2 ;;
    --backup-dir) BACKUPS="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *)
      common_option "$@"
      if [ "$COMMON_SHIFT" = 0 ]; then echo "$SCRIPT: unknown option $1" >&2; usage >&2; exit 2; fi
      shift "$COMMON_SHIFT" ;;
  esac
done

use_root
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  echo "install-ledger.sh: --port must be 1..65535" >&2; exit 2
fi
if [ -n "$DOMAIN" ] && ! [[ "$DOMAIN" =~ ^[A-Za-z0-9.-]+$ ]]; then
  echo "install-ledger.sh: --domain must be a DNS name" >&2; exit 2
fi
require_root_and_source
DB="$DATA/ledger.db"

# -- Debian packages ---------------------------------------------------------------
packages=("${DEB_PACKAGES[@]}")
if [ -n "$DOMAIN" ]; then packages+=(caddy); fi
apt_install "${packages[@]}"

# -- service user ------------------------------------------------------------------
ensure_user "volunteer kiosk ledger"

install -d -m 0755 "$R$PREFIX/releases" "$R$CONF"
install -d -m 0700 -o "$uid" -g "$gid" "$R$DATA" "$R$BACKUPS" "$R$BACKUPS/pre-upgrade"

# -- release -----------------------------------------------------------------------
build_release ledger "sync.ledger.ops.cli, sync.ledger.ops.backup, sync.ledger.ops.config"

# -- configuration (written once: local edits stay) ----------------------------------
if [ ! -f "$R$CONF/ledger.toml" ]; then
  sed -e "s#^db = \"\"#db = \"$DB\"#" -e "s#^port = 8470#port = $PORT#" \
      -e "s#^backup_dir = .*#backup_dir = \"$BACKUPS\"#" \
      -e "s#^admin_token_file = \"\"#admin_token_file = \"$CONF/admin-token\"#" \
      "$SOURCE/deploy/ledger/ledger.toml.example" > "$R$CONF/ledger.toml"
  chmod 0644 "$R$CONF/ledger.toml"
fi
"$R$REL/venv/bin/python" -c 'import sys; from sync.ledger.ops.config import load_ledger_config as load; load(sys.argv[1])' \
  "$R$CONF/ledger.toml"

# -- switch to the release -----------------------------------------------------------
switch_release "$DB" "$BACKUPS/pre-upgrade" "the ledger"

PY="$R$PREFIX/current/venv/bin/python"

# -- the database, once ----------------------------------------------------------------
# Never again after the first time: a second signing key would invalidate every card.
if [ ! -f "$R$DB" ]; then
  say "creating the ledger database $DB"
  out="$(umask 077 && "$PY" -m sync.ledger init --db "$R$DB")"
  token="$(printf '%s\n' "$out" | sed -n 's/^staff (admin) token: *//p')"
  printf '%s\n' "$out" | grep -v '^staff (admin) token:'
  if [ -n "$token" ]; then
    (umask 077 && printf '%s\n' "$token" > "$R$CONF/admin-token")
    say "the staff (admin) token is in $CONF/admin-token (root only)"
  fi
fi
chown -R "$uid:$gid" "$R$DATA" "$R$BACKUPS"

# -- the `kiosk-ledger` command for the people running this server ------------------------
# It runs as the service user on the installed database: a file there left owned by
# root (a WAL index, say) would stop the service from writing.
install -d -m 0755 "$R/usr/local/bin"
cat > "$R/usr/local/bin/kiosk-ledger.new" <<WRAPPER
#!/bin/sh
# The kiosk-ledger command for the installed ledger (written by install-ledger.sh).
set -eu
py=$PREFIX/current/venv/bin/python
if [ "\$(id -u)" = 0 ]; then
  exec runuser -u $SVC_USER -- env KIOSK_LEDGER_DB=$DB KIOSK_LEDGER_CONFIG=$CONF/ledger.toml "\$py" -m sync.ledger "\$@"
fi
KIOSK_LEDGER_DB=$DB KIOSK_LEDGER_CONFIG=$CONF/ledger.toml exec "\$py" -m sync.ledger "\$@"
WRAPPER
chmod 0755 "$R/usr/local/bin/kiosk-ledger.new"
mv "$R/usr/local/bin/kiosk-ledger.new" "$R/usr/local/bin/kiosk-ledger"

# -- units -------------------------------------------------------------------------
install -d -m 0755 "$R/etc/systemd/system"
for unit in "${UNITS[@]}"; do
  sed -e "s#/opt/volunteer-kiosk-ledger#$PREFIX#g" -e "s#/var/lib/volunteer-kiosk-ledger#$DATA#g" \
      -e "s#/etc/volunteer-kiosk-ledger#$CONF#g" -e "s#/var/backups/volunteer-kiosk-ledger#$BACKUPS#g" \
      -e "s#--port 8470#--port $PORT#" \
      -e "s#^User=kiosk-ledger\$#User=$SVC_USER#" -e "s#^Group=kiosk-ledger\$#Group=$SVC_USER#" \
      "$SOURCE/deploy/ledger/$unit" > "$R/etc/systemd/system/$unit.new"
  mv "$R/etc/systemd/system/$unit.new" "$R/etc/systemd/system/$unit"
  chmod 0644 "$R/etc/systemd/system/$unit"
done

# -- TLS proxy -------------------------------------------------------------------------
if [ -n "$DOMAIN" ]; then
  install -d -m 0755 "$R/etc/caddy"
  site="$R/etc/caddy/volunteer-kiosk-ledger.caddy"
  sed -e "s#^ledger.example.org {#$DOMAIN {#" -e "s#127.0.0.1:8470#127.0.0.1:$PORT#" \
    "$SOURCE/deploy/ledger/Caddyfile" > "$site.new"
  mv "$site.new" "$site"
  chmod 0644 "$site"
  main="$R/etc/caddy/Caddyfile"
  line="import /etc/caddy/volunteer-kiosk-ledger.caddy"
  if [ ! -f "$main" ] || ! grep -qxF "$line" "$main"; then
    printf '\n# The volunteer kiosk ledger (install-ledger.sh)\n%s\n' "$line" >> "$main"
  fi
fi

# -- start ---------------------------------------------------------------------------
if [ "$SYSTEMCTL" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --quiet volunteer-kiosk-ledger.service volunteer-kiosk-ledger-backup.timer
  if [ "$changed" = 1 ]; then
    systemctl restart volunteer-kiosk-ledger.service
  else
    systemctl start volunteer-kiosk-ledger.service
  fi
  systemctl start volunteer-kiosk-ledger-backup.timer
  if [ -n "$DOMAIN" ]; then systemctl reload-or-restart caddy.service; fi
  say "running: systemctl status volunteer-kiosk-ledger; logs: journalctl -u volunteer-kiosk-ledger"
else
  say "installed without starting (use: systemctl daemon-reload && systemctl enable --now volunteer-kiosk-ledger.service volunteer-kiosk-ledger-backup.timer)"
fi

#!/usr/bin/env bash
# Install, upgrade or repair the central ledger on a Linux server: service user, program,
# database (created once), the service on loopback, Caddy for TLS, nightly backups.
#
# Idempotent: running it again with the same checkout changes nothing; with a newer
# checkout it upgrades. The new release is built beside the running one, the database
# is backed up, then the `current` link switches and the service restarts (kiosks
# resend whatever was in flight; nothing is applied twice).
set -euo pipefail

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
DEB_PACKAGES=(python3-venv sqlite3)

while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN="${2:?}"; shift 2 ;;
    --port) PORT="${2:?}"; shift 2 ;;
    --backup-dir) BACKUPS="${2:?}"; shift 2 ;;
    --source) SOURCE="$(cd "${2:?}" && pwd)"; shift 2 ;;
    --root) ROOT="${2:?}"; shift 2 ;;
    --prefix) PREFIX="${2:?}"; shift 2 ;;
    --data-dir) DATA="${2:?}"; shift 2 ;;
    --config-dir) CONF="${2:?}"; shift 2 ;;
    --user) SVC_USER="${2:?}"; shift 2 ;;
    --python) PYTHON="${2:?}"; shift 2 ;;
    --no-pip) PIP=0; shift ;;
    --no-apt) APT=0; shift ;;
    --no-systemctl) SYSTEMCTL=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-ledger.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

ROOT="$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)"
if [ "$ROOT" != / ]; then APT=0; SYSTEMCTL=0; fi
# R: where files go now; the plain paths are what the running system sees.
R="${ROOT%/}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  echo "install-ledger.sh: --port must be 1..65535" >&2; exit 2
fi
if [ -n "$DOMAIN" ] && ! [[ "$DOMAIN" =~ ^[A-Za-z0-9.-]+$ ]]; then
  echo "install-ledger.sh: --domain must be a DNS name" >&2; exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-ledger.sh: run as root (sudo)" >&2; exit 1
fi
[ -f "$SOURCE/pyproject.toml" ] || { echo "install-ledger.sh: no checkout at $SOURCE" >&2; exit 1; }
DB="$DATA/ledger.db"

say() { printf '==> %s\n' "$*"; }

# -- Debian packages ---------------------------------------------------------------
if [ "$APT" = 1 ]; then
  packages=("${DEB_PACKAGES[@]}")
  [ -n "$DOMAIN" ] && packages+=(caddy)
  missing=()
  for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# -- service user ------------------------------------------------------------------
# --prefix edits $ROOT/etc/passwd directly: the same code for / and for an image.
prefix_opt=()
[ "$ROOT" != / ] && prefix_opt=(--prefix "$ROOT")
if ! grep -q "^${SVC_USER}:" "$R/etc/passwd"; then
  say "creating user $SVC_USER"
  useradd "${prefix_opt[@]}" --system --user-group --home-dir "$DATA" --no-create-home \
    --shell /usr/sbin/nologin --comment "volunteer kiosk ledger" "$SVC_USER"
fi
uid="$(awk -F: -v u="$SVC_USER" '$1 == u {print $3}' "$R/etc/passwd")"
gid="$(awk -F: -v u="$SVC_USER" '$1 == u {print $4}' "$R/etc/passwd")"

install -d -m 0755 "$R$PREFIX/releases" "$R$CONF"
install -d -m 0700 -o "$uid" -g "$gid" "$R$DATA" "$R$BACKUPS" "$R$BACKUPS/pre-upgrade"

# -- release -----------------------------------------------------------------------
# Files of the checkout, without local state (virtualenvs, caches, demo data).
list_source() {
  if git -C "$SOURCE" rev-parse --git-dir >/dev/null 2>&1; then
    # Deleted files can still be in the index: list only what is there.
    git -C "$SOURCE" ls-files -z --cached --others --exclude-standard \
      | while IFS= read -r -d '' f; do [ -f "$SOURCE/$f" ] && printf '%s\0' "$f"; done
  else
    (cd "$SOURCE" && find . -type f ! -path './.venv/*' ! -path './.git/*' ! -name '*.pyc' \
       ! -path '*/__pycache__/*' ! -path './demo-data/*' ! -path './test-output/*' -printf '%P\0')
  fi
}
# A release is named by its content, so the same checkout is the same release.
release_id="$(cd "$SOURCE" && list_source | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
REL="$PREFIX/releases/$release_id"
if [ ! -f "$R$REL/.complete" ]; then
  say "building release $release_id in $REL"
  rm -rf "$R$REL"
  install -d -m 0755 "$R$REL/src"
  (cd "$SOURCE" && list_source | tar --null -T - -cf -) | tar -xf - -C "$R$REL/src" --no-same-owner
  venv_opts=(--system-site-packages)
  [ "$PIP" = 1 ] || venv_opts+=(--without-pip)
  "$PYTHON" -m venv "${venv_opts[@]}" "$R$REL/venv"
  # The code runs from src; a relative .pth keeps the release working wherever its
  # folder is seen from.
  site="$("$R$REL/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  realpath --relative-to="$site" "$R$REL/src" > "$site/volunteer-kiosk.pth"
  if [ "$PIP" = 1 ]; then
    # The ledger's own dependencies only: no Kivy, no OpenCV on a server.
    "$R$REL/venv/bin/python" - "$R$REL/src/pyproject.toml" > "$R$REL/requirements.txt" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["ledger"]))
PY
    say "installing Python packages"
    "$R$REL/venv/bin/python" -m pip install -q -r "$R$REL/requirements.txt"
  fi
  "$R$REL/venv/bin/python" -c 'import sync.ledger.cli, sync.ledger.backup, sync.ledger_config'
  touch "$R$REL/.complete"
fi

# -- configuration (written once: local edits stay) ----------------------------------
if [ ! -f "$R$CONF/ledger.toml" ]; then
  sed -e "s#^db = \"\"#db = \"$DB\"#" -e "s#^port = 8470#port = $PORT#" \
      -e "s#^backup_dir = .*#backup_dir = \"$BACKUPS\"#" \
      -e "s#^admin_token_file = \"\"#admin_token_file = \"$CONF/admin-token\"#" \
      "$SOURCE/deploy/ledger/ledger.toml.example" > "$R$CONF/ledger.toml"
  chmod 0644 "$R$CONF/ledger.toml"
fi
"$R$REL/venv/bin/python" -c 'import sys; from sync.ledger_config import load_ledger_config as load; load(sys.argv[1])' \
  "$R$CONF/ledger.toml"

# -- switch to the release -----------------------------------------------------------
previous="$(readlink "$R$PREFIX/current" 2>/dev/null || true)"
changed=0
if [ "$previous" != "releases/$release_id" ]; then
  changed=1
  if [ -f "$R$DB" ]; then
    # Migrations only go forward: this copy is the way back to the old release.
    say "backing up the ledger before the upgrade"
    "$R$REL/venv/bin/python" -m sync.ledger.backup backup --db "$R$DB" --dest "$R$BACKUPS/pre-upgrade" --keep 5 >/dev/null
  fi
  ln -sfn "releases/$release_id" "$R$PREFIX/current.new"
  mv -T "$R$PREFIX/current.new" "$R$PREFIX/current"
  say "current release: $release_id"
fi
# Old releases: keep a few for a quick way back, never the current one.
find "$R$PREFIX/releases" -mindepth 1 -maxdepth 1 -type d ! -name "$release_id" -printf '%T@ %p\n' \
  | sort -rn | tail -n +"$KEEP_RELEASES" | cut -d' ' -f2- | while read -r old; do rm -rf "$old"; done

PY="$R$PREFIX/current/venv/bin/python"

# -- the database, once ----------------------------------------------------------------
# Never again after the first time: a second signing key would invalidate every card.
if [ ! -f "$R$DB" ]; then
  say "creating the ledger database $DB"
  out="$(umask 077 && "$PY" -m sync.ledger.cli init --db "$R$DB")"
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
  exec runuser -u $SVC_USER -- env KIOSK_LEDGER_DB=$DB KIOSK_LEDGER_CONFIG=$CONF/ledger.toml "\$py" -m sync.ledger.cli "\$@"
fi
KIOSK_LEDGER_DB=$DB KIOSK_LEDGER_CONFIG=$CONF/ledger.toml exec "\$py" -m sync.ledger.cli "\$@"
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

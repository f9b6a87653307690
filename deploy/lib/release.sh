# shellcheck shell=bash disable=SC2034
# (SC2034: the variables set here are read by the installer that sources this file.)
# What install-kiosk.sh and install-ledger.sh share: Debian packages, the service user,
# and releases (each version built completely in its own folder, named by its content,
# then the `current` link switched after a backup of the database). Sourced, not run.
#
# The installer sets first: SCRIPT (its name, for messages), ROOT, SOURCE, PREFIX, DATA,
# SVC_USER, PYTHON, PIP, APT and KEEP_RELEASES. After use_root, R is where files go now
# ("" for /); the plain paths are what the running system sees.

say() { printf '==> %s\n' "$*"; }

# common_option "$@": the options both installers take. Sets the variable and
# COMMON_SHIFT to the words it used; COMMON_SHIFT=0 when the option is not one of them.
common_option() {
  COMMON_SHIFT=2
  case "$1" in
    --source) SOURCE="$(cd "${2:?}" && pwd)" ;;
    --root) ROOT="${2:?}" ;;
    --prefix) PREFIX="${2:?}" ;;
    --data-dir) DATA="${2:?}" ;;
    --config-dir) CONF="${2:?}" ;;
    --user) SVC_USER="${2:?}" ;;
    --python) PYTHON="${2:?}" ;;
    --no-pip) PIP=0; COMMON_SHIFT=1 ;;
    --no-apt) APT=0; COMMON_SHIFT=1 ;;
    --no-systemctl) SYSTEMCTL=0; COMMON_SHIFT=1 ;;
    *) COMMON_SHIFT=0 ;;
  esac
}

# ROOT made absolute; installing under another root never touches apt or systemd.
use_root() {
  ROOT="$(mkdir -p "$ROOT" && cd "$ROOT" && pwd)"
  if [ "$ROOT" != / ]; then APT=0; SYSTEMCTL=0; fi
  R="${ROOT%/}"
}

require_root_and_source() {
  if [ "$(id -u)" != 0 ]; then
    echo "$SCRIPT: run as root (sudo)" >&2; exit 1
  fi
  [ -f "$SOURCE/pyproject.toml" ] || { echo "$SCRIPT: no checkout at $SOURCE" >&2; exit 1; }
}

# apt_install PACKAGE...: those not installed yet (nothing when APT=0).
apt_install() {
  [ "$APT" = 1 ] || return 0
  local p missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# ensure_user COMMENT: the system user SVC_USER, home DATA; sets prefix_opt, uid and gid.
# --prefix edits $ROOT/etc/passwd directly: the same code for / and for an image.
ensure_user() {
  prefix_opt=()
  if [ "$ROOT" != / ]; then prefix_opt=(--prefix "$ROOT"); fi
  if ! grep -q "^${SVC_USER}:" "$R/etc/passwd"; then
    say "creating user $SVC_USER"
    useradd "${prefix_opt[@]}" --system --user-group --home-dir "$DATA" --no-create-home \
      --shell /usr/sbin/nologin --comment "$1" "$SVC_USER"
  fi
  uid="$(awk -F: -v u="$SVC_USER" '$1 == u {print $3}' "$R/etc/passwd")"
  gid="$(awk -F: -v u="$SVC_USER" '$1 == u {print $4}' "$R/etc/passwd")"
}

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

# build_release EXTRA IMPORTS: the release of this checkout in PREFIX/releases, with a
# venv holding the project's dependencies plus its optional EXTRA ("kiosk", "ledger"),
# checked by importing IMPORTS. Sets release_id and REL. Built once: a folder with
# .complete is never touched again.
build_release() {
  local extra="$1" imports="$2" site
  # A release is named by its content, so the same checkout is the same release.
  release_id="$(cd "$SOURCE" && list_source | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
  REL="$PREFIX/releases/$release_id"
  if [ -f "$R$REL/.complete" ]; then return 0; fi
  say "building release $release_id in $REL"
  rm -rf "$R$REL"
  install -d -m 0755 "$R$REL/src"
  (cd "$SOURCE" && list_source | tar --null -T - -cf -) | tar -xf - -C "$R$REL/src" --no-same-owner
  local venv_opts=(--system-site-packages)
  [ "$PIP" = 1 ] || venv_opts+=(--without-pip)
  "$PYTHON" -m venv "${venv_opts[@]}" "$R$REL/venv"
  # The code runs from src (its assets sit beside it); a relative .pth keeps the
  # release working wherever its folder is seen from.
  site="$("$R$REL/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  realpath --relative-to="$site" "$R$REL/src" > "$site/volunteer-kiosk.pth"
  if [ "$PIP" = 1 ]; then
    # This machine's own dependencies only (no Kivy or OpenCV on a server).
    "$R$REL/venv/bin/python" - "$R$REL/src/pyproject.toml" "$extra" > "$R$REL/requirements.txt" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"][sys.argv[2]]))
PY
    say "installing Python packages"
    "$R$REL/venv/bin/python" -m pip install -q -r "$R$REL/requirements.txt"
  fi
  "$R$REL/venv/bin/python" -c "import $imports"
  touch "$R$REL/.complete"
}

# switch_release DB BACKUP_DIR WHAT: make REL the current release. When it changes and
# the database DB exists, it is first backed up into BACKUP_DIR ("backing up WHAT"):
# migrations only go forward, so that copy is the way back to the old release. Sets
# changed (1 when the release changed). Keeps KEEP_RELEASES releases for a quick way back.
switch_release() {
  local db="$1" dest="$2" what="$3" previous
  previous="$(readlink "$R$PREFIX/current" 2>/dev/null || true)"
  changed=0
  if [ "$previous" != "releases/$release_id" ]; then
    changed=1
    if [ -f "$R$db" ]; then
      say "backing up $what before the upgrade"
      "$R$REL/venv/bin/python" -m sync.ledger.ops.backup backup --db "$R$db" --dest "$R$dest" --keep 5 >/dev/null
    fi
    ln -sfn "releases/$release_id" "$R$PREFIX/current.new"
    mv -T "$R$PREFIX/current.new" "$R$PREFIX/current"
    say "current release: $release_id"
  fi
  # Old releases: keep a few for a quick way back, never the current one.
  find "$R$PREFIX/releases" -mindepth 1 -maxdepth 1 -type d ! -name "$release_id" -printf '%T@ %p\n' \
    | sort -rn | tail -n +"$KEEP_RELEASES" | cut -d' ' -f2- | while read -r old; do rm -rf "$old"; done
}

#!/usr/bin/env bash
# `make demo`: a local ledger with demo data, one kiosk enrolled with it, and the kiosk
# window. Data lives in ./demo-data (delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
DEMO="${DEMO_DIR:-$PWD/demo-data}"
PORT="${DEMO_PORT:-8765}"
SITE="${DEMO_SITE:-service-center}"
KDATA="$DEMO/kiosk-$SITE"
mkdir -p "$DEMO"

ledger_pid=""
cleanup() { [ -n "$ledger_pid" ] && kill "$ledger_pid" 2>/dev/null || true; }
trap cleanup EXIT

if "$BIN/kiosk-ledger" --help >/dev/null 2>&1; then
  export KIOSK_LEDGER_DB="$DEMO/ledger.db"
  if [ ! -f "$DEMO/ledger.db" ]; then
    "$BIN/kiosk-ledger" init
  fi
  "$BIN/kiosk-ledger" demo-data --out "$DEMO/cards"
  "$BIN/kiosk-ledger" serve --host 127.0.0.1 --port "$PORT" >"$DEMO/ledger.log" 2>&1 &
  ledger_pid=$!
  for _ in $(seq 1 100); do
    if "$BIN/python" -c "import requests,sys; requests.get('http://127.0.0.1:$PORT/v1/health', timeout=1).raise_for_status()" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ ! -f "$KDATA/kiosk.db" ]; then
    code=$("$BIN/kiosk-ledger" enroll-code --site "$SITE")
    "$BIN/kiosk" enroll --data-dir "$KDATA" "http://127.0.0.1:$PORT" "$code" --name "demo-$SITE"
  fi
  "$BIN/kiosk" sync --once --data-dir "$KDATA" || echo "first sync failed: the kiosk keeps working offline"
  # The staff console: one administrator account, its password new on every run (demo only).
  if "$BIN/kiosk-ledger" staff list | grep -q '"name": "demo"'; then
    login=$("$BIN/kiosk-ledger" staff reset-password demo | sed -n 's/.*: //p')
  else
    login=$("$BIN/kiosk-ledger" staff add demo --role 管理员 --display-name 演示管理员 | sed -n 's/^初始密码 \/ first password: //p')
  fi
  CONSOLE_LINE="Staff console: http://127.0.0.1:$PORT/console/   account: demo   password: $login"
else
  echo "(no ledger yet: loading demo data straight into the kiosk)"
  "$BIN/python" -m sync.ledger.ops.demo --out "$DEMO/cards"
  "$BIN/kiosk" load --data-dir "$KDATA" "$DEMO/cards/snapshot.json" --site "$SITE"
fi

echo
echo "Demo cards: $DEMO/cards/cards/  (roster with staff PINs: $DEMO/cards/roster.json)"
if [ -n "${CONSOLE_LINE:-}" ]; then
  echo "$CONSOLE_LINE"
  echo "(open it in a browser on this machine while the demo runs)"
fi
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && "$BIN/python" -c "import kiosk.ui.app" 2>/dev/null; then
  "$BIN/kiosk" run --data-dir "$KDATA" --demo-cards "$DEMO/cards/roster.json"
else
  echo "No screen here (or no kiosk window yet): showing a scripted check with the first demo card instead."
  card=$("$BIN/python" -c "import json;print(next(p['code'] for p in json.load(open('$DEMO/cards/roster.json')) if p['kind']=='V'))")
  "$BIN/kiosk" verify --data-dir "$KDATA" "$card"
  "$BIN/kiosk" status --data-dir "$KDATA"
  echo "On a machine with a screen, \`make demo\` opens the kiosk window."
  if [ -n "$ledger_pid" ] && [ -t 0 ]; then
    echo "The ledger and its console keep running: press Ctrl-C to stop."
    wait "$ledger_pid" || true
  fi
fi

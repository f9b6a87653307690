#!/usr/bin/env bash
# tests/at_instant.sh "2026-12-31 23:59:30" COMMAND...
# Runs COMMAND with the clock of every kiosk and ledger process it starts (pytest workers,
# ledger servers, kiosk commands) moved so that it reads that instant, Asia/Shanghai time,
# when COMMAND starts, and runs on at the real rate from there (KIOSK_CLOCK, kiosk/clock.py:
# one value for all, so processes started later agree with the first).
#
# Why not libfaketime: Debian 12's 0.9.10 breaks Python under it. time.sleep fails with
# EINVAL (its clock_nanosleep(TIMER_ABSTIME) wrapper) when the monotonic clock is left
# alone, and condition waits with a timeout hang when it is not.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 'YYYY-MM-DD HH:MM:SS' COMMAND..." >&2
  exit 2
fi
instant=$(TZ=Asia/Shanghai date -d "$1" --iso-8601=seconds)
shift
KIOSK_CLOCK="$instant@$(date +%s)" exec "$@"

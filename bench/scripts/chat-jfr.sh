#!/usr/bin/env bash
# Where the chat path's CPU goes, traced (100 %) against tracing off: this tree's all-in-one
# (`uat up --provider echo`, the launcher's flags) started once per mode, one at a time, warmed up
# under the chat load, then recorded with JFR (settings=profile) during the same load; prints each
# mode's throughput and the CPU samples by owner (bench/scripts/jfr-owners.py).
#
#   bench/scripts/chat-jfr.sh [seconds=40] [connections=16] [warm-up seconds=25]
#
# Runs on a fresh clone: builds this tree (./uat build). Needs wrk and python3. Keeps the
# recordings in bench/results/jfr-<date>/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-40}; CONNS=${2:-16}; WARM=${3:-25}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }
./uat build >/dev/null
JAVA_HOME=$(./uat java-home); export JAVA_HOME
WORK=$(mktemp -d); . bench/scripts/ab-lib.sh
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
OUT=bench/results/jfr-$(date -u +%Y%m%dT%H%M%S); mkdir -p "$OUT"

run() { # mode offset env…: one platform, warmed, recorded under load, stopped
  local mode=$1 offset=$2; shift 2
  local port=$((8000 + offset))
  up "$mode" "$offset" "$@"
  local pid; pid=$(cat "$WORK/$mode.pid")
  wait_up "$port"
  local tok; tok=$(token "$port")
  load "$port" "$tok" "$CONNS" "$WARM" >/dev/null
  "$JAVA_HOME/bin/jcmd" "$pid" JFR.start name=chat settings=profile filename="$PWD/$OUT/$mode.jfr" >/dev/null
  local result; result=$(load "$port" "$tok" "$CONNS" "$SECS")
  "$JAVA_HOME/bin/jcmd" "$pid" JFR.stop name=chat >/dev/null
  echo "$mode $result" | tee -a "$WORK/results" >&2
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run traced 1000
run untraced 2000 OTEL_TRACES_SAMPLER=always_off
echo
echo "| mode | req/s, $CONNS connections, $SECS s recorded |"
echo "|---|---|"
for m in traced untraced; do
  echo "| $m | $(grep "^$m " "$WORK/results" | grep -oE 'rps=[0-9.]+' | cut -d= -f2) |"
done
echo
python3 bench/scripts/jfr-owners.py "$OUT/traced.jfr" "$OUT/untraced.jfr"
echo
echo "recordings: $OUT"

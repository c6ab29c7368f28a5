#!/usr/bin/env bash
# How soon after a chat response its whole trace (every span, root included) can be read from
# the observatory. Starts an all-in-one instance, sends N chats one after another.
#
#   bench/scripts/trace-visibility.sh [chats=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20}
./uat build >/dev/null
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
UAT_BCRYPT_COST=4 UAT_RATE_LIMIT_CHATS=0 ./uat up --provider echo --data "$WORK/data" --port-offset 4000 >"$WORK/log" 2>&1 &
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:12000/health/ready >/dev/null && break; sleep 0.5; done
TOKEN=$(curl -sf -X POST http://127.0.0.1:12000/api/auth/register -H 'Content-Type: application/json' \
  -d '{"email":"v@example.com","password":"visibility"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
complete() { # the trace has the edge's root span and the GenAI span
  curl -sf "http://127.0.0.1:20686/api/traces/$1" 2>/dev/null | grep -q '"operationName":"POST /api/\*"' &&
    curl -sf "http://127.0.0.1:20686/api/traces/$1" | grep -q '"operationName":"chat echo"'
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
for i in $(seq 1 "$N"); do
  trace=$(curl -s -D - -o /dev/null -X POST http://127.0.0.1:12000/api/chat -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d '{"message":"visible yet?"}' | awk -F': ' 'tolower($1)=="x-trace-id" {print $2}' | tr -d '\r')
  t0=$(now_ms)
  until complete "$trace"; do sleep 0.01; done
  echo $(( $(now_ms) - t0 ))
done | sort -n | awk '{a[NR]=$1} END {printf "trace visible after the response: median %d ms, max %d ms (%d chats)\n", a[int((NR+1)/2)], a[NR], NR}'

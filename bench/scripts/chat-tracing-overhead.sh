#!/usr/bin/env bash
# The chat path through the edge with the echo provider: traced (100 %) versus tracing off
# (OTEL_TRACES_SAMPLER=always_off), two all-in-one processes started side by side, measured in
# alternating rounds so that the machine's noise falls on both. Prints a Markdown report.
#
#   bench/scripts/chat-tracing-overhead.sh [rounds=5] [seconds=10] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}; SECS=${2:-10}; CONNS=${3:-16}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
./uat build >/dev/null
JAVA_HOME=$(./uat java-home); export JAVA_HOME
WORK=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

start() { # name offset env...
  local name=$1 offset=$2; shift 2
  # one user sends every request: the per-user rate limits are off for the measurement
  env "$@" UAT_BCRYPT_COST=4 UAT_RATE_LIMIT_REQUESTS=0 UAT_RATE_LIMIT_CHATS=0 ./uat up --provider echo --data "$WORK/$name" --port-offset "$offset" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
}
wait_up() { for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return; sleep 0.5; done; echo "no $1" >&2; exit 1; }
token() {
  curl -sf -X POST "http://127.0.0.1:$1/api/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"bench password"}' |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}
rss_mb() { echo $(( $(ps -o rss= -p "$(cat "$WORK/$1.pid")" | tr -d ' ') / 1024 )); }
load() { # port connections seconds
  UAT_TOKEN=$2 wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"$4"s -s bench/scripts/chat.lua "http://127.0.0.1:$1/api/chat" | grep RESULT
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

start traced 1000
start untraced 2000 OTEL_TRACES_SAMPLER=always_off
wait_up 9000; wait_up 10000
sleep 5
IDLE_T=$(rss_mb traced); IDLE_U=$(rss_mb untraced)
TT=$(token 9000); TU=$(token 10000)

echo "warming up…" >&2
load 9000 "$TT" "$CONNS" 10 >/dev/null; load 10000 "$TU" "$CONNS" 10 >/dev/null
load 9000 "$TT" 1 5 >/dev/null; load 10000 "$TU" 1 5 >/dev/null

: >"$WORK/results"
for r in $(seq 1 "$ROUNDS"); do
  for v in traced untraced; do
    port=$([ $v = traced ] && echo 9000 || echo 10000); tok=$([ $v = traced ] && echo "$TT" || echo "$TU")
    tp=$(load "$port" "$tok" "$CONNS" "$SECS"); lat=$(load "$port" "$tok" 1 "$SECS")
    echo "$v $tp | $lat" | tee -a "$WORK/results" >&2
  done
done
field() { grep "^$1 " "$WORK/results" | sed -E 's/ [|] .*//' | grep -oE "$2=[0-9.]+" | cut -d= -f2 | median; }
lfield() { grep "^$1 " "$WORK/results" | sed -E 's/.* [|] //' | grep -oE "$2=[0-9.]+" | cut -d= -f2 | median; }
RPS_T=$(field traced rps); RPS_U=$(field untraced rps)
P50C_T=$(field traced p50_us); P50C_U=$(field untraced p50_us)
P50_T=$(lfield traced p50_us); P50_U=$(lfield untraced p50_us)
P99_T=$(lfield traced p99_us); P99_U=$(lfield untraced p99_us)
ERR=$(grep -oE 'errors=[0-9]+' "$WORK/results" | cut -d= -f2 | paste -sd+ | bc)

cat <<MD
| measure (median of $ROUNDS alternating rounds) | traced 100 % | tracing off | traced ÷ off |
|---|---|---|---|
| throughput, $CONNS connections (req/s) | $RPS_T | $RPS_U | $(echo "scale=3; $RPS_T / $RPS_U" | bc) |
| p50 latency, $CONNS connections (ms) | $(echo "scale=2; $P50C_T/1000" | bc) | $(echo "scale=2; $P50C_U/1000" | bc) | $(echo "scale=3; $P50C_T / $P50C_U" | bc) |
| p50 latency, 1 connection (ms) | $(echo "scale=2; $P50_T/1000" | bc) | $(echo "scale=2; $P50_U/1000" | bc) | $(echo "scale=3; $P50_T / $P50_U" | bc) |
| p99 latency, 1 connection (ms) | $(echo "scale=2; $P99_T/1000" | bc) | $(echo "scale=2; $P99_U/1000" | bc) | $(echo "scale=3; $P99_T / $P99_U" | bc) |
| RSS idle, after start (MB) | $IDLE_T | $IDLE_U | |
| RSS after the run (MB) | $(rss_mb traced) | $(rss_mb untraced) | |

errors (non-2xx, socket) over all rounds: $ERR
MD
if [ "$ERR" != 0 ]; then
  echo "WARNING: $ERR requests failed: the figures above do not measure the chat path" >&2
  exit 1
fi

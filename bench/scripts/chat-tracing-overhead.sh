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
WORK=$(mktemp -d); . bench/scripts/ab-lib.sh; trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

up traced 1000
up untraced 2000 OTEL_TRACES_SAMPLER=always_off
wait_up 9000; wait_up 10000
sleep 5
IDLE_T=$(rss_mb traced); IDLE_U=$(rss_mb untraced)
TT=$(token 9000); TU=$(token 10000)

alternate "$ROUNDS" "$SECS" "$CONNS" traced 9000 "$TT" untraced 10000 "$TU"
RPS_T=$(field traced rps); RPS_U=$(field untraced rps)
P50C_T=$(field traced p50_us); P50C_U=$(field untraced p50_us)
P50_T=$(lfield traced p50_us); P50_U=$(lfield untraced p50_us)
P99_T=$(lfield traced p99_us); P99_U=$(lfield untraced p99_us)
ERR=$(errors)

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

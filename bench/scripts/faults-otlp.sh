#!/usr/bin/env bash
# The chat path through the edge while the trace backend fails: three all-in-one processes side
# by side, `uat up --otlp-endpoint` pointed at (1) the embedded observatory (normal), (2) a port
# that refuses connections, (3) a server that accepts and never answers; each faulty one measured
# against the normal one with wrk in rounds that take the three in turn (bench/scripts/ab-lib.sh),
# medians.
# Prints a Markdown report: throughput, p50 (1 and N connections), RSS, spans given up and
# dropped (the SDK's counters on each component's /metrics).
#
#   bench/scripts/faults-otlp.sh [rounds=5] [seconds=10] [connections=16]
# On a fresh clone: needs a JDK 21+, wrk and python3; builds with ./uat build when there is no
# app/target/uat.jar yet (no install). Ports: --port-offset 1370, 2370, 3370.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}; SECS=${2:-10}; CONNS=${3:-16}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
[ -f app/target/uat.jar ] || ./uat build >/dev/null # ./uat up rebuilds a stale jar itself
JAVA_HOME=$(./uat java-home); export JAVA_HOME
WORK=$(mktemp -d); . bench/scripts/ab-lib.sh
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

# a backend that accepts and never answers
HANG_PORT=$((19000 + RANDOM % 900))
python3 - "$HANG_PORT" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1024); held = []
while True:
    c, _ = s.accept(); held.append(c)
PY
REFUSED_PORT=$((HANG_PORT + 1)) # nothing listens there

metric() { # offset name filter: summed over edge, api, router, realtime
  local sum=0 p v
  for p in 8000 9999 8003 8002; do
    v=$(curl -s "http://127.0.0.1:$(( p + $1 ))/metrics" | grep -E "^$2[{ ]" | grep -F -- "$3" | awk '{s+=$NF} END {print s+0}')
    sum=$(echo "$sum + $v" | bc)
  done
  echo "$sum"
}
up normal 1370
up refused 2370 --otlp-endpoint "http://127.0.0.1:$REFUSED_PORT"
up hanging 3370 --otlp-endpoint "http://127.0.0.1:$HANG_PORT"
wait_up 9370; wait_up 10370; wait_up 11370
sleep 3
TN=$(token 9370); TR=$(token 10370); TH=$(token 11370)

# all three in every round, each warmed up alike (30 s): a platform left idle while others are
# measured starts its rounds with a colder JIT (an earlier version of this script measured the
# refused case that way and reported 0.66x throughput that was only warm-up)
WARMUP_SECS=30 alternate "$ROUNDS" "$SECS" "$CONNS" normal 9370 "$TN" refused 10370 "$TR" hanging 11370 "$TH"
ERR=$(errors)

row() { # name offset
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(field "$1" rps)" \
    "$(echo "scale=2; $(field "$1" p50_us)/1000" | bc)" "$(echo "scale=2; $(lfield "$1" p50_us)/1000" | bc)" \
    "$(rss_mb "$1")" "$(metric "$2" otlp_exporter_exported_total 'success="false"')" \
    "$(metric "$2" processedSpans_total 'dropped="true"')"
}
vs_normal() { paired "$1" normal "$2"; }
lvs_normal() { paired "$1" normal "$2" l; }
cat <<MD
| trace backend (median of alternating rounds, $CONNS connections) | chats/s | p50 ${CONNS}c (ms) | p50 1c (ms) | RSS end (MB) | spans given up | spans dropped (queue full) |
|---|---|---|---|---|---|---|
$(row normal 1370)
$(row refused 2370)
$(row hanging 3370)

| ratio to normal (median over rounds of the same round's ratio) | throughput | p50 ${CONNS}c | p50 1c |
|---|---|---|---|
| refused | $(vs_normal refused rps) | $(vs_normal refused p50_us) | $(lvs_normal refused p50_us) |
| hanging | $(vs_normal hanging rps) | $(vs_normal hanging p50_us) | $(lvs_normal hanging p50_us) |

errors (non-2xx, socket) over all rounds: $ERR
MD

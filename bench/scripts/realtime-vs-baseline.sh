#!/usr/bin/env bash
# Realtime broadcast to 1,000 subscribers: this tree's realtime module against a baseline commit's,
# in alternating rounds (one server JVM per round, the launcher's flags), so that the machine's
# noise falls on both. The driver and the benchmark server are this tree's (bench: RealtimeLoad);
# the classes of realtime and of the modules under it (shared, web, telemetry) are each tree's own
# (UAT_BENCH_SERVER_CP). Prints each round's lines and the median
# p50/p99 per tree with the ratio (this tree ÷ baseline).
#
#   bench/scripts/realtime-vs-baseline.sh <baseline-ref> [rounds=3] [connections=10000] [events=200]
#
# Runs on a fresh clone (builds both trees with ./uat build). Each round: `connections` open and
# authenticated, then 50 + `events` events 100 ms apart to 1 and to 1,000 subscribers.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: realtime-vs-baseline.sh <baseline-ref> [rounds] [connections] [events]}
ROUNDS=${2:-3}; CONNS=${3:-10000}; EVENTS=${4:-200}
HERE=$(pwd)
WORK=$(mktemp -d)
. bench/scripts/ab-lib.sh
with_baseline "$BASE"
JAVA="$(./uat java-home)/bin/java"

round() { # name realtime-classes: one RealtimeLoad run, its 1,000-subscriber line
  UAT_BENCH_SKIP_BARE=1 UAT_BENCH_SERVER_CP="$2" \
    "$JAVA" -Xmx2g -cp 'bench/target/classes:bench/target/lib/*' dev.uat.bench.RealtimeLoad \
    "$CONNS" 1000 "$EVENTS" 100 2>"$WORK/err" >"$WORK/out" || { echo "$1: RealtimeLoad failed:" >&2; tail -20 "$WORK/err" >&2; exit 1; }
  local line gc
  line=$(grep 'broadcast to 1000 ' "$WORK/out")
  gc=$(grep 'server GC' "$WORK/out" | tail -1)
  echo "$1 $line" | tee -a "$WORK/results" >&2
  echo "  $1 $gc" >&2
}

: >"$WORK/results"
# a tree's own classes of the modules realtime is built on go first (the events interface, the web
# server and the telemetry wiring change between commits): only the third-party jars are shared
ours() { local m cp=""; for m in realtime shared web telemetry; do cp="$cp${cp:+:}$1/$m/target/classes"; done; echo "$cp"; }
for r in $(seq 1 "$ROUNDS"); do
  round baseline "$(ours "$WORK/baseline")"
  round head "$(ours "$HERE")"
done

pick() { # name field(p50|p99)
  grep "^$1 " "$WORK/results" | sed -E "s/.* $2 ([0-9.]+) ms.*/\1/" | median
}
echo
echo "| broadcast to 1,000 (median of $ROUNDS) | baseline $BASE_SHA | this tree $HEAD_SHA | ratio |"
echo "|---|---|---|---|"
for f in p50 p90 p99; do
  a=$(pick baseline "$f"); b=$(pick head "$f")
  echo "| $f | $a ms | $b ms | $(ratio "$b" "$a") |"
done

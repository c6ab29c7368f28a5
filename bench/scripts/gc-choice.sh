#!/usr/bin/env bash
# Which garbage collector the launcher should choose: this tree's all-in-one (`uat up --provider
# echo`, 100 % traced) started once per collector with the launcher's own flags (app/jvm.options)
# except the collector and the heap cap, then held under the chat load, in alternating rounds so
# that the machine's noise falls on every variant. Prints a Markdown table: throughput and p99 at
# many connections, p50 and p99 at one, RSS after the first 60 s of load and at the end, and the
# JVM's safepoint pauses (the GC pauses among them) from -Xlog:safepoint.
#
#   bench/scripts/gc-choice.sh [rounds=5] [seconds=10] [connections=16] [heap=256m]
#
# Variants: serial, parallel, generational ZGC (UAT_GC_VARIANTS="serial parallel zgc g1" to add
# G1; a variant NAME:FLAG,FLAG… runs with those flags instead of a collector's, e.g.
# "small:-XX:+UseSerialGC,-Xmx192m"; its -Xmx wins over the heap argument). Runs on a fresh clone: builds this tree (./uat build). Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}; SECS=${2:-10}; CONNS=${3:-16}; HEAP=${4:-256m}
VARIANTS=${UAT_GC_VARIANTS:-serial parallel zgc}
WARM=${UAT_GC_LOAD_SECONDS:-60} # the load before the RSS is read
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
. bench/scripts/ab-lib.sh
JAVA_HOME=$(./uat java-home)
./uat build >/dev/null

flags() { # variant: the collector's flags; NAME:FLAG,FLAG… gives them explicitly
  case "$1" in
    *:*) echo "${1#*:}" | tr ',' ' ' ;;
    serial) echo "-XX:+UseSerialGC" ;;
    parallel) echo "-XX:+UseParallelGC" ;;
    zgc) echo "-XX:+UseZGC" ;; # generational since JDK 23, the only mode on 25
    g1) echo "-XX:+UseG1GC" ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}
# the launcher's flags without its collector and heap cap (its initial heap stays: without it
# the JVM starts at 1/64 of the machine's memory, the whole cap here, and the RSS read is not
# the launcher's)
BASE_FLAGS=()
while IFS= read -r line || [ -n "$line" ]; do
  line=${line%%#*}; line=${line//[[:space:]]/}
  case "$line" in ''|-XX:+Use*GC|-Xmx*) ;; *) BASE_FLAGS+=("$line") ;; esac
done <app/jvm.options

i=0
for v in $VARIANTS; do
  i=$((i + 1))
  # shellcheck disable=SC2046
  (umask 077; export MALLOC_ARENA_MAX=2 UAT_BCRYPT_COST=4 UAT_RATE_LIMIT_REQUESTS=0 UAT_RATE_LIMIT_CHATS=0
   exec "$JAVA_HOME/bin/java" "${BASE_FLAGS[@]}" -Xmx"$HEAP" $(flags "$v") \
     -Xlog:safepoint:file="$WORK/${v%%:*}.safepoints":uptime -jar app/target/uat.jar \
     up --provider echo --data "$WORK/${v%%:*}-data" --port-offset $((i * 1000))) >"$WORK/${v%%:*}.log" 2>&1 &
  echo $! >"$WORK/${v%%:*}.pid"
done
i=0
for v in $VARIANTS; do
  i=$((i + 1)); wait_up $((8000 + i * 1000)); token $((8000 + i * 1000)) >"$WORK/${v%%:*}.token"
done

# 60 s of load each (one after the other), then the RSS: the issue's "after 60 s of chat load"
i=0
for v in $VARIANTS; do
  i=$((i + 1)); echo "${v%%:*}: $WARM s of load at $CONNS connections…" >&2
  load $((8000 + i * 1000)) "$(cat "$WORK/${v%%:*}.token")" "$CONNS" "$WARM" >/dev/null
  rss_mb "${v%%:*}" >"$WORK/${v%%:*}.rss60"
  wc -l <"$WORK/${v%%:*}.safepoints" >"$WORK/${v%%:*}.skip" # pauses are counted from here on, over the rounds
done
: >"$WORK/results"
for r in $(seq 1 "$ROUNDS"); do
  i=0
  for v in $VARIANTS; do
    i=$((i + 1)); port=$((8000 + i * 1000)); tok=$(cat "$WORK/${v%%:*}.token")
    tp=$(load "$port" "$tok" "$CONNS" "$SECS"); lat=$(load "$port" "$tok" 1 "$SECS")
    echo "${v%%:*} $tp | $lat" | tee -a "$WORK/results" >&2
  done
done

# pauses VARIANT: "max ms / total ms / count" of the safepoints logged during the rounds
pauses() {
  tail -n +$(( $(cat "$WORK/$1.skip") + 1 )) "$WORK/$1.safepoints" | grep -oE 'Total: [0-9]+ ns' | awk '{t += $2; if ($2 > m) m = $2; n++}
    END {printf "%.1f / %.0f / %d", m / 1e6, t / 1e6, n}'
}
cat <<MD
### Collector choice ($(git rev-parse --short HEAD), $(date -u +%Y-%m-%d))

\`bench/scripts/gc-choice.sh $ROUNDS $SECS $CONNS $HEAP\` — $(nproc) cores, wrk on the same machine,
\`uat up --provider echo\` (100 % traced) with app/jvm.options but the collector, \`-Xmx$HEAP\`;
medians of $ROUNDS alternating rounds of ${SECS} s after $WARM s of load each.

| collector | req/s, $CONNS conns | p99, $CONNS conns (µs) | p50, 1 conn (µs) | p99, 1 conn (µs) | RSS after $WARM s (MB) | RSS at the end (MB) | safepoints: max ms / total ms / count |
|---|---|---|---|---|---|---|---|
MD
for v in $VARIANTS; do
  n=${v%%:*}
  echo "| $v | $(field "$n" rps) | $(field "$n" p99_us) | $(lfield "$n" p50_us) | $(lfield "$n" p99_us) | $(cat "$WORK/${v%%:*}.rss60") | $(rss_mb "${v%%:*}") | $(pauses "${v%%:*}") |"
done
echo
echo "Errors in all rounds: $(errors)."

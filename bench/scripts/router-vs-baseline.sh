#!/usr/bin/env bash
# The router's overhead of this tree against a baseline commit, side by side: both trees built
# from source (the baseline in a temporary git worktree), RouterOverheadBenchmark run for each in
# alternating rounds so that the machine's noise falls on both. Prints a Markdown report with the
# medians and the ratios (this tree ÷ baseline).
#
#   bench/scripts/router-vs-baseline.sh <baseline-ref> [rounds=3] [rate=500] [seconds=5] [connections=16]
#
# Runs on a fresh clone: it builds both trees itself (./uat build; Maven needs Central's
# artifacts once). Each round is one JVM per tree, with the launcher's collector
# (-XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError, app/jvm.options) and twice its heap (512 MiB:
# the load generator and the fake upstream share the JVM; with 256 MiB the open loop's backlog of
# requests in flight filled it), usage records in an H2 file as under the launcher: warm-up, open loop at `rate` req/s, closed loops
# of one connection and of `connections` callers back to back, and the fallback run (see
# RouterOverheadBenchmark's Javadoc). The baseline runs THIS tree's benchmark class compiled
# against its jars when it compiles there (same load generator, different router); else its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: router-vs-baseline.sh <baseline-ref> [rounds] [rate] [seconds] [connections]}
ROUNDS=${2:-3}; RATE=${3:-500}; SECS=${4:-5}; CONNS=${5:-16}
HERE=$(pwd)
WORK=$(mktemp -d)
. bench/scripts/ab-lib.sh
with_baseline "$BASE"
JAVA="$(./uat java-home)/bin/java"
mkdir -p "$WORK/bench-head"
if "$(./uat java-home)/bin/javac" -proc:none -nowarn -d "$WORK/bench-head" \
  -cp "$WORK/baseline/bench/target/classes:$WORK/baseline/bench/target/lib/*" \
  bench/src/main/java/dev/uat/bench/RouterOverheadBenchmark.java 2>/dev/null; then
  echo "the baseline runs this tree's benchmark class" >&2
else
  echo "this tree's benchmark does not compile against the baseline: it runs its own" >&2
fi

bench() { # name dir: one run, its summary lines appended to $WORK/results with the name in front
  local cp='bench/target/classes:bench/target/lib/*'
  [ "$1" = base ] && cp="$WORK/bench-head:$cp"
  (cd "$2" && "$JAVA" -XX:+UseParallelGC -Xms32m -Xmx512m -XX:+ExitOnOutOfMemoryError -cp "$cp" \
    dev.uat.bench.RouterOverheadBenchmark "$RATE" "$SECS" 1 "$CONNS") >"$WORK/$1.out" 2>&1
  grep -E '^(added|\| router-miss|\| router-hit|\| direct|fallback)' "$WORK/$1.out" | sed "s/^/$1 /" |
    tee -a "$WORK/results" | grep ' added ' >&2
}
: >"$WORK/results"
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r/$ROUNDS" >&2
  bench head "$HERE"; bench base "$WORK/baseline"
done

# added NAME KIND MODE: median over rounds of "added … (MODE − direct): p50 X µs" (KIND: "by the router" under load, "one at a time")
added() { grep "^$1 added $2 ($3 " "$WORK/results" | sed -E 's/.*p50 (-?[0-9]+) µs.*/\1/' | median; }
added99() { grep "^$1 added $2 ($3 " "$WORK/results" | sed -E 's/.*p99 (-?[0-9]+) µs.*/\1/' | median; }
spread() { grep "^$1 added $2 ($3 " "$WORK/results" | sed -nE 's/.*p99 ÷ p50 ([0-9.]+).*/\1/p' | median; }
alloc() { grep "^$1 added $2 ($3 " "$WORK/results" | sed -nE 's/.*allocated (-?[0-9.]+) KiB.*/\1/p' | median; }
own() { # NAME MODE: median of the router's own p50 (load table)
  grep "^$1 | $2 |" "$WORK/results" | awk -F'|' 'NF == 9 {print $8}' | sed -E 's/ *([0-9]+) \/.*/\1/' | median; }
ok() { grep "^$1 fallback" "$WORK/results" | sed -E 's/.*\(([0-9.]+) %\).*/\1/' | median; }

row() { # label head base
  echo "| $1 | $2 | $3 | $(ratio "$2" "$3") |"
}
cat <<MD
### Router overhead: $HEAD_SHA vs baseline $BASE_SHA ($(date -u +%Y-%m-%d))

\`bench/scripts/router-vs-baseline.sh $BASE $ROUNDS $RATE $SECS $CONNS\` — $(nproc) cores, load generator
and fake upstream in the benchmark's JVM, 100 % traced, medians of $ROUNDS alternating rounds.

| measure (µs) | $HEAD_SHA | baseline $BASE_SHA | ratio |
|---|---|---|---|
$(row "added p50, one at a time, cache miss" "$(added head 'one at a time' router-miss)" "$(added base 'one at a time' router-miss)")
$(row "added p50, one at a time, cache hit" "$(added head 'one at a time' router-hit)" "$(added base 'one at a time' router-hit)")
$(row "added p50 at $RATE req/s, cache miss" "$(added head 'by the router' router-miss)" "$(added base 'by the router' router-miss)")
$(row "added p99 at $RATE req/s, cache miss" "$(added99 head 'by the router' router-miss)" "$(added99 base 'by the router' router-miss)")
$(row "router's own p50 at $RATE req/s, cache miss" "$(own head router-miss)" "$(own base router-miss)")
$(row "added p50 at $CONNS connections, cache miss" "$(added head "$CONNS connections" router-miss)" "$(added base "$CONNS connections" router-miss)")
$(row "added p50 at $CONNS connections, cache hit" "$(added head "$CONNS connections" router-hit)" "$(added base "$CONNS connections" router-hit)")
$(row "p99 ÷ p50 at $CONNS connections, cache miss" "$(spread head "$CONNS connections" router-miss)" "$(spread base "$CONNS connections" router-miss)")
$(row "p99 ÷ p50 at $CONNS connections, cache hit" "$(spread head "$CONNS connections" router-hit)" "$(spread base "$CONNS connections" router-hit)")
$(row "KiB allocated per request by the router, cache miss" "$(alloc head 'one at a time' router-miss)" "$(alloc base 'one at a time' router-miss)")
$(row "KiB allocated per request by the router, cache hit" "$(alloc head 'one at a time' router-hit)" "$(alloc base 'one at a time' router-hit)")

Fallback with the primary down, succeeded: $(ok head) % vs $(ok base) %.
MD

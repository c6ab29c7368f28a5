#!/usr/bin/env bash
# The chat path through the edge with the echo provider (100 % traced), one all-in-one per
# variant of `uat up`'s arguments, started side by side and measured in alternating rounds so that
# the machine's noise falls on every variant. Prints a Markdown table.
#
#   bench/scripts/chat-variants.sh [rounds=5] [seconds=10] [connections=16] NAME=ARGS [NAME=ARGS…]
#
# ARGS are extra `uat up` arguments, space-separated; {data} stands for the variant's data
# directory; a word NAME=VALUE whose NAME is upper case is set in the variant's environment
# instead (UAT_OBSERVATORY_MAX_BYTES=16777216, UAT_JAVA_OPTS=-Xmx384m). For example, H2's page
# size:
#
#   bench/scripts/chat-variants.sh 5 10 16 default= \
#     'page4k=--jdbc-url jdbc:h2:file:{data}/uat;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;PAGE_SIZE=4096'
#
# Runs on a fresh clone: builds this tree (./uat build). Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}; SECS=${2:-10}; CONNS=${3:-16}; shift 3 || true
[ $# -ge 1 ] || { sed -n 2,14p "$0" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
./uat build >/dev/null
JAVA_HOME=$(./uat java-home); export JAVA_HOME
WORK=$(mktemp -d); . bench/scripts/ab-lib.sh
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

names=(); triples=(); offset=1000
for v in "$@"; do
  name=${v%%=*}; args=${v#*=}
  # shellcheck disable=SC2086 # the variant's words, split on spaces
  up "$name" "$offset" ${args//\{data\}/$WORK/$name}
  names+=("$name"); triples+=("$name" $((8000 + offset)) "")
  offset=$((offset + 1000))
done
for i in "${!names[@]}"; do
  port=$((8000 + 1000 * (i + 1)))
  wait_up "$port"
  triples[3*i+2]=$(token "$port")
done

alternate "$ROUNDS" "$SECS" "$CONNS" "${triples[@]}"
first=${names[0]}
echo "| variant | req/s, $CONNS conns | ÷ $first (paired) | p50, 1 conn (µs) | ÷ $first (paired) | p99, 1 conn (µs) | RSS after (MB) |"
echo "|---|---|---|---|---|---|---|"
for n in "${names[@]}"; do
  echo "| $n | $(field "$n" rps) | $(paired "$n" "$first" rps) | $(lfield "$n" p50_us) | $(paired "$n" "$first" p50_us l) | $(lfield "$n" p99_us) | $(rss_mb "$n") |"
done
echo
echo "errors (non-2xx, socket) over all rounds: $(errors)"

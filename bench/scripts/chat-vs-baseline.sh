#!/usr/bin/env bash
# The chat path of this tree against a baseline commit, side by side: both built from source
# (the baseline in a temporary git worktree), both run as `./uat up --provider echo` with their
# own launcher's flags, 100 % traced, measured in alternating rounds so that the machine's noise
# falls on both. Prints a Markdown report with the ratios (this tree ÷ baseline).
#
#   bench/scripts/chat-vs-baseline.sh <baseline-ref> [rounds=5] [seconds=10] [connections=16]
#
# Runs on a fresh clone: it builds both trees itself (./uat build; Maven needs Central's
# artifacts once). Needs wrk (apt-get install wrk) and git.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: chat-vs-baseline.sh <baseline-ref> [rounds] [seconds] [connections]}
ROUNDS=${2:-5}; SECS=${3:-10}; CONNS=${4:-16}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
HERE=$(pwd)
WORK=$(mktemp -d)
. bench/scripts/ab-lib.sh
with_baseline "$BASE"

up head 1000
UP_TREE="$WORK/baseline" up base 2000
wait_up 9000; wait_up 10000
TH=$(token 9000); TB=$(token 10000)
alternate "$ROUNDS" "$SECS" "$CONNS" head 9000 "$TH" base 10000 "$TB"
RPS_H=$(field head rps); RPS_B=$(field base rps)
P99C_H=$(field head p99_us); P99C_B=$(field base p99_us)
P50_H=$(lfield head p50_us); P50_B=$(lfield base p50_us)
P99_H=$(lfield head p99_us); P99_B=$(lfield base p99_us)
RSS_H=$(rss_mb head); RSS_B=$(rss_mb base)
ERR=$(errors)

cat <<MD
### Chat path: $HEAD_SHA vs baseline $BASE_SHA ($(date -u +%Y-%m-%d))

\`bench/scripts/chat-vs-baseline.sh $BASE $ROUNDS $SECS $CONNS\` — $(nproc) cores, wrk on the same
machine, echo provider, 100 % traced, medians of $ROUNDS alternating rounds of ${SECS} s.

| measure | $HEAD_SHA | baseline $BASE_SHA | ratio of medians | median of paired ratios |
|---|---|---|---|---|
| throughput, $CONNS connections (req/s) | $RPS_H | $RPS_B | $(ratio "$RPS_H" "$RPS_B") | $(paired head base rps) |
| p99, $CONNS connections (µs) | $P99C_H | $P99C_B | $(ratio "$P99C_H" "$P99C_B") | $(paired head base p99_us) |
| p50, 1 connection (µs) | $P50_H | $P50_B | $(ratio "$P50_H" "$P50_B") | $(paired head base p50_us l) |
| p99, 1 connection (µs) | $P99_H | $P99_B | $(ratio "$P99_H" "$P99_B") | $(paired head base p99_us l) |
| RSS after the run (MB) | $RSS_H | $RSS_B | $(ratio "$RSS_H" "$RSS_B") | — |

Errors in all rounds: $ERR.
MD

#!/usr/bin/env bash
# The regression guard: this tree's chat and router figures against a baseline commit, side by
# side, in one command (CI does not run it; a developer does, alone on the machine, before and
# after a change that may cost time). Runs chat-vs-baseline.sh, then router-vs-baseline.sh, and
# prints both Markdown reports (each with its medians, ratios and the median of paired ratios).
#
#   bench/scripts/vs-baseline.sh <baseline-ref> [rounds=5]
#
# Runs on a fresh clone (each script builds both trees itself). Needs wrk and git. About
# 4 + 2 minutes per round on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: vs-baseline.sh <baseline-ref> [rounds]}
ROUNDS=${2:-5}
bench/scripts/chat-vs-baseline.sh "$BASE" "$ROUNDS" 10 16
echo
bench/scripts/router-vs-baseline.sh "$BASE" "$ROUNDS" 500 5

#!/usr/bin/env bash
# Soak: the all-in-one (`uat up`, echo provider) held at half its measured chat capacity for
# N minutes with chats, /v1 calls, conversation reads and WebSocket subscribers mixed. Prints
# errors, RSS growth after minute 5 (the median of the last five per-minute samples against the
# median of five from minute 5), threads, file descriptors and established
# connections of the process (/proc) over time, and checks that sampled chats are complete traces
# in the embedded observatory (every span's parent present; edge, api, router and realtime in it).
#
#   bench/scripts/soak.sh [--minutes 30] [--subscribers 30] [--nmt]
#
# --nmt runs the JVM with native memory tracking (summary; it costs a little memory and CPU) and
# prints what each of the JVM's areas grew by from minute 5 to the end (jcmd VM.native_memory).
#
# On a fresh clone: needs a JDK 21+, wrk and python3. It builds with ./uat build when there is no
# app/target/uat.jar yet (no install). Port offset 4370 (edge :12370). Exit status 1 when any
# check fails. A run of less than 30 minutes is a short run: say so when recording its figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=30; SUBSCRIBERS=30; NMT=
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --subscribers) SUBSCRIBERS=$2; shift 2 ;;
    --nmt) NMT=-XX:NativeMemoryTracking=summary; shift ;;
    *) echo "usage: $0 [--minutes N] [--subscribers N] [--nmt]" >&2; exit 2 ;;
  esac
done
# every subscriber is the same user (the conversation they watch is that user's): at most 32
[ "$SUBSCRIBERS" -le 32 ] || { echo "--subscribers: at most 32 (the per-user connection cap, close 4029)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
[ -f app/target/uat.jar ] || ./uat build >/dev/null
JAVA_HOME=$(./uat java-home); export JAVA_HOME
WORK=$(mktemp -d); . bench/scripts/ab-lib.sh # median
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
OFFSET=4370; EDGE=$((8000 + OFFSET)); OBS=$((16686 + OFFSET))

# the subscribers log in from one address: the per-address login limit (30 a minute) is off
UAT_JAVA_OPTS="${UAT_JAVA_OPTS:-} $NMT" \
UAT_BCRYPT_COST=4 UAT_RATE_LIMIT_REQUESTS=0 UAT_RATE_LIMIT_CHATS=0 UAT_RATE_LIMIT_LOGINS=0 ./uat up --provider echo \
  --data "$WORK/data" --port-offset "$OFFSET" >"$WORK/uat.log" 2>&1 &
UAT_PID=$!
for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$EDGE/health/ready" >/dev/null && break; sleep 0.5; done
# ./uat execs java: the pid is the JVM's
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$EDGE/api/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"soak@example.com","password":"soak password 1"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
# one conversation the subscribers watch; a share of the chats goes to it (SOAK_CONVERSATION)
CONV=$(curl -sf -X POST "http://127.0.0.1:$EDGE/api/conversations" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $TOKEN" -d '{"title":"soak"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
export SOAK_CONVERSATION=$CONV
# wrk's credential: an API key with the chat scope (an access token expires after 15 minutes)
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$EDGE/api/keys" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $TOKEN" -d '{"name":"soak","scopes":["chat"]}' | sed -E 's/.*"key":"([^"]+)".*/\1/')
heap() { # old generation after the last GC, the observatory's trace store, the heap's and the
  # non-heap pools' (metaspace, code cache) committed size (MB): what of the RSS the JVM sized
  local m old store hc nhc
  m=$(curl -s "http://127.0.0.1:$EDGE/metrics")
  old=$(grep -E '^jvm_memory_used_after_last_gc_bytes.*(Tenured|Old Gen)' <<<"$m" | awk '{printf "%d", $NF/1048576}')
  hc=$(grep -E '^jvm_memory_committed_bytes.*jvm_memory_type="heap"' <<<"$m" | awk '{s+=$NF} END {printf "%d", s/1048576}')
  nhc=$(grep -E '^jvm_memory_committed_bytes.*jvm_memory_type="non_heap"' <<<"$m" | awk '{s+=$NF} END {printf "%d", s/1048576}')
  store=$(curl -s "http://127.0.0.1:$OBS/metrics" | grep -E '^uat_observatory_store_bytes[ {]' | awk '{printf "%d", $NF/1048576}')
  echo "${old:-?} ${store:-?} ${hc:-?} ${nhc:-?}"
}

proc() { # rss_mb threads fds established
  local rss thr fds inodes est
  rss=$(( $(awk '/VmRSS/ {print $2}' /proc/$UAT_PID/status) / 1024 ))
  thr=$(awk '/Threads/ {print $2}' /proc/$UAT_PID/status)
  fds=$(ls /proc/$UAT_PID/fd | wc -l)
  inodes=$(ls -l /proc/$UAT_PID/fd 2>/dev/null | grep -o 'socket:\[[0-9]*\]' | grep -o '[0-9]*' | sort -u)
  est=$(awk 'NR>1 && $4=="01" {print $10}' /proc/net/tcp /proc/net/tcp6 | sort -u | comm -12 - <(echo "$inodes") | wc -l)
  echo "$rss $thr $fds $est"
}

echo "measuring capacity (20 s, 16 connections, the soak mix unpaced)…" >&2
UAT_TOKEN=$TOKEN SOAK_DELAY_MS=0 wrk -t2 -c16 -d10s --timeout 30s -s bench/scripts/soak.lua "http://127.0.0.1:$EDGE" >/dev/null # warm-up
CAP=$(UAT_TOKEN=$TOKEN SOAK_DELAY_MS=0 wrk -t2 -c16 -d20s --timeout 30s -s bench/scripts/soak.lua "http://127.0.0.1:$EDGE" | grep RESULT | grep -oE 'rps=[0-9.]+' | cut -d= -f2)
TARGET=$(echo "scale=1; $CAP / 2" | bc)
CONNS=16
# each connection: one request, then a pause; the pause ignores latency, so the rate is at most this
DELAY=$(echo "$CONNS * 1000 / $TARGET" | bc)
echo "capacity ${CAP} req/s: holding ~${TARGET} req/s (16 connections, ${DELAY} ms between requests each) for ${MINUTES} min, ${SUBSCRIBERS} WebSocket subscribers" >&2

python3 bench/scripts/soak-ws.py "$EDGE" soak@example.com "soak password 1" "conversation:$CONV" "$SUBSCRIBERS" $(( MINUTES * 60 + 30 )) >"$WORK/ws.out" 2>&1 &
WS_PID=$!
sleep 2
START=$(date +%s)
UAT_TOKEN=$TOKEN SOAK_DELAY_MS=$DELAY wrk -t2 -c$CONNS -d"${MINUTES}m" --timeout 30s -s bench/scripts/soak.lua \
  "http://127.0.0.1:$EDGE" >"$WORK/wrk.out" 2>&1 &
WRK_PID=$!

echo "minute rss_mb threads fds connections old_gen_after_gc_mb trace_store_mb heap_committed_mb non_heap_committed_mb" | tee "$WORK/samples" >&2
echo "0 $(proc) $(heap)" | tee -a "$WORK/samples" >&2
for m in $(seq 1 "$MINUTES"); do
  while [ $(( $(date +%s) - START )) -lt $(( m * 60 )) ]; do sleep 5; done
  echo "$m $(proc) $(heap)" | tee -a "$WORK/samples" >&2
  if [ -n "$NMT" ] && [ "$m" -eq $(( MINUTES < 5 ? 1 : 5 )) ]; then
    "$JAVA_HOME/bin/jcmd" "$UAT_PID" VM.native_memory baseline >/dev/null
  fi
done
[ -z "$NMT" ] || "$JAVA_HOME/bin/jcmd" "$UAT_PID" VM.native_memory summary.diff scale=MB >"$WORK/nmt.out" 2>&1
wait "$WRK_PID" || true
kill -TERM "$WS_PID" 2>/dev/null || true; wait "$WS_PID" 2>/dev/null || true

# sampled chats: complete traces
python3 - "$EDGE" "$OBS" "$TOKEN" >"$WORK/traces.out" <<'PY'
import json, sys, time, urllib.request
edge, obs, token = sys.argv[1:4]
ids = []
for i in range(20):
    req = urllib.request.Request("http://127.0.0.1:%s/api/chat" % edge, data=b'{"message":"sampled"}',
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    ids.append(json.load(urllib.request.urlopen(req))["trace_id"])
time.sleep(3)
complete = 0; problems = []
for t in ids:
    d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/traces/%s" % (obs, t)))["data"][0]
    spans = {s["spanID"]: s for s in d["spans"]}
    services = {d["processes"][s["processID"]]["serviceName"] for s in d["spans"]}
    roots = [s for s in d["spans"] if not s["references"]]
    orphans = [s for s in d["spans"] if s["references"] and s["references"][0]["spanID"] not in spans]
    need = {"uat-edge", "uat-api", "uat-router", "uat-realtime"}
    if len(roots) == 1 and not orphans and need <= services: complete += 1
    else: problems.append("%s: roots=%d orphans=%d services=%s" % (t, len(roots), len(orphans), sorted(services)))
print("RESULT sampled=%d complete=%d" % (len(ids), complete))
for p in problems[:5]: print("  " + p)
PY

WRK=$(grep RESULT "$WORK/wrk.out" || echo "RESULT requests=0 non2xx=? socket_errors=?")
WS=$(grep RESULT "$WORK/ws.out" || echo "RESULT ws_connected=? ws_events=? ws_unexpected_closes=?")
TR=$(grep RESULT "$WORK/traces.out")
B=$(( MINUTES < 5 ? 1 : 5 )) # the first minute compared: 5, or 1 in a shorter run
at5=$(awk -v b=$B '$1==b {print $2}' "$WORK/samples")
end=$(tail -1 "$WORK/samples")
read -r _ rss_end thr_end fds_end est_end old_end store_end hc_end nhc_end <<<"$end"
read -r _ _ thr5 fds5 est5 old5 store5 hc5 nhc5 <<<"$(awk -v m=$(( MINUTES < 5 ? 1 : 5 )) '$1==m' "$WORK/samples")"
growth1=$(echo "scale=1; ($rss_end - $at5) * 100 / $at5" | bc)
# RSS follows the collector's committed heap, which the parallel collector grows and shrinks by
# tens of MB from one minute to the next (the heap_committed_mb column): one sample against one
# sample measures where each fell in that swing. Growth is the median of the last five samples
# against the median of the five from minute 5 (from minute 1 in a run shorter than 5 minutes).
rss_first=$(awk -v b=$B '$1 ~ /^[0-9]+$/ && $1>=b && $1<b+5 {print $2}' "$WORK/samples" | median)
rss_last=$(awk '$1 ~ /^[0-9]+$/ {print $2}' "$WORK/samples" | tail -5 | median)
rss_range=$(awk -v b=$B '$1 ~ /^[0-9]+$/ && $1>=b {print $2}' "$WORK/samples" | sort -n | sed -n '1p;$p' | paste -sd' ')
growth=$(echo "scale=1; ($rss_last - $rss_first) * 100 / $rss_first" | bc)
STACKS=$(grep -c $'^\tat ' "$WORK/uat.log" || true)
cat <<MD
soak: ${MINUTES} min at ~${TARGET} req/s (half of the measured ${CAP} req/s), ${SUBSCRIBERS} WebSocket subscribers, $(date -u +%F)

| | |
|---|---|
| requests (wrk) | ${WRK#RESULT } |
| WebSocket subscribers | ${WS#RESULT } |
| RSS, median of 5 samples from minute ${B} → of the last 5 | ${rss_first} → ${rss_last} MB (**${growth} %**; the promise: at most 5 %) |
| RSS at minute ${B} → end, single samples; lowest, highest from minute ${B} | ${at5} → ${rss_end} MB (${growth1} %); ${rss_range/ / – } MB |
| threads at minute $(( MINUTES < 5 ? 1 : 5 )) → end | ${thr5} → ${thr_end} |
| file descriptors at minute $(( MINUTES < 5 ? 1 : 5 )) → end | ${fds5} → ${fds_end} |
| established connections at minute $(( MINUTES < 5 ? 1 : 5 )) → end | ${est5} → ${est_end} |
| old generation after GC, trace store at minute $(( MINUTES < 5 ? 1 : 5 )) → end | ${old5} → ${old_end} MB; ${store5} → ${store_end} MB (the store fills up to observatory-max-bytes, 64 MiB, by design) |
| heap committed, non-heap committed at minute $(( MINUTES < 5 ? 1 : 5 )) → end | ${hc5} → ${hc_end} MB; ${nhc5} → ${nhc_end} MB |
| sampled chats as complete traces | ${TR#RESULT } |
| stack-trace lines in the log | ${STACKS} |

per-minute samples:
$(cat "$WORK/samples")
MD
sed -n '2,$p' "$WORK/traces.out"
if [ -n "$NMT" ]; then
  echo; echo "native memory, end against minute $(( MINUTES < 5 ? 1 : 5 )) (committed; jcmd VM.native_memory summary.diff):"
  grep -E '^(Total|-)' "$WORK/nmt.out" | sed -E 's/^-? *//' | grep -E 'committed=' | sed -E 's/\(reserved=[^,]*, //; s/\)$//'
fi
FAIL=0
echo "$WRK" | grep -q 'non2xx=0 socket_errors=0' || { echo "FAIL: request errors" >&2; FAIL=1; }
echo "$WS" | grep -q 'ws_unexpected_closes=0' || { echo "FAIL: WebSocket subscribers lost" >&2; FAIL=1; }
echo "$TR" | grep -qE 'sampled=([0-9]+) complete=\1' || { echo "FAIL: incomplete traces" >&2; FAIL=1; }
[ "$(echo "$growth <= 5" | bc)" = 1 ] || { echo "FAIL: RSS grew ${growth} % after minute $B (medians of 5 samples)" >&2; FAIL=1; }
exit $FAIL

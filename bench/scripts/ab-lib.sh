# Shared by the A/B scripts (source it): two platforms on ports A and B, measured with wrk in
# alternating rounds so that the machine's noise falls on both, and a baseline tree built beside
# this one. Needs WORK (a scratch directory).

wait_up() { # port: until its /health/ready answers (60 s)
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return; sleep 0.5; done
  echo "nothing ready on port $1" >&2; exit 1
}

token() { # port: registers the benchmark user, prints its access token
  curl -sf -X POST "http://127.0.0.1:$1/api/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"bench password"}' |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

load() { # port token connections seconds: one wrk run of POST /api/chat, its RESULT line
  UAT_TOKEN=$2 wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"$4"s -s bench/scripts/chat.lua "http://127.0.0.1:$1/api/chat" | grep RESULT
}

alternate() { # rounds seconds connections  nameA portA tokenA  nameB portB tokenB
  local rounds=$1 secs=$2 conns=$3; shift 3
  echo "warming up…" >&2
  load "$2" "$3" "$conns" 10 >/dev/null; load "$5" "$6" "$conns" 10 >/dev/null
  load "$2" "$3" 1 5 >/dev/null; load "$5" "$6" 1 5 >/dev/null
  : >"$WORK/results"
  local r tp lat
  for r in $(seq 1 "$rounds"); do
    tp=$(load "$2" "$3" "$conns" "$secs"); lat=$(load "$2" "$3" 1 "$secs")
    echo "$1 $tp | $lat" | tee -a "$WORK/results" >&2
    tp=$(load "$5" "$6" "$conns" "$secs"); lat=$(load "$5" "$6" 1 "$secs")
    echo "$4 $tp | $lat" | tee -a "$WORK/results" >&2
  done
}

# field NAME KEY: the median of KEY over NAME's many-connection runs; lfield: its 1-connection runs
field() { grep "^$1 " "$WORK/results" | sed -E 's/ [|] .*//' | grep -oE "$2=[0-9.]+" | cut -d= -f2 | median; }
lfield() { grep "^$1 " "$WORK/results" | sed -E 's/.* [|] //' | grep -oE "$2=[0-9.]+" | cut -d= -f2 | median; }
# paired A B KEY [l]: the median over rounds of A's KEY ÷ B's KEY in the same round (robust to the
# machine's drift between rounds); with l, of the 1-connection runs
paired() {
  local pick='s/ [|] .*//'; [ "${4:-}" = l ] && pick='s/.* [|] //'
  paste <(grep "^$1 " "$WORK/results" | sed -E "$pick" | grep -oE "$3=[0-9.]+" | cut -d= -f2) \
        <(grep "^$2 " "$WORK/results" | sed -E "$pick" | grep -oE "$3=[0-9.]+" | cut -d= -f2) |
    awk '$2 > 0 {printf "%.3f\n", $1 / $2}' | median
}
errors() { grep -oE 'errors=[0-9]+' "$WORK/results" | cut -d= -f2 | paste -sd+ | bc; }

# with_baseline REF: checks REF out in $WORK/baseline (removed again on exit, with any background
# job), builds this tree and the baseline, sets HEAD_SHA and BASE_SHA. Needs HERE (this tree).
with_baseline() {
  trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
        git -C "$HERE" worktree remove --force "$WORK/baseline" 2>/dev/null || true
        rm -rf "$WORK"' EXIT
  BASE_SHA=$(git rev-parse --short "$1"); HEAD_SHA=$(git rev-parse --short HEAD)
  git worktree add --detach "$WORK/baseline" "$1" >/dev/null 2>&1
  echo "building this tree ($HEAD_SHA) and the baseline ($BASE_SHA)…" >&2
  ./uat build >/dev/null
  (cd "$WORK/baseline" && ./uat build >/dev/null)
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b == 0) ? 0 : a / b}'; }

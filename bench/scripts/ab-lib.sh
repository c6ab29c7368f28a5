# Shared by the A/B scripts (source it): two platforms on ports A and B, measured with wrk in
# alternating rounds so that the machine's noise falls on both, and a baseline tree built beside
# this one. Needs WORK (a scratch directory).

wait_up() { # port: until its /health/ready answers (60 s)
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return; sleep 0.5; done
  echo "nothing ready on port $1" >&2; exit 1
}

up() { # name offset [word…]: `./uat up --provider echo` started as NAME, in the background
  # (pid in $WORK/NAME.pid, output in $WORK/NAME.log, data in $WORK/NAME), in the tree UP_TREE (this
  # one unless set). One user sends every request: the per-user rate limits are off. A word
  # NAME=VALUE whose NAME is upper case goes into its environment (after the defaults, so it wins),
  # any other word is an argument of `uat up`.
  local name=$1 offset=$2 w; shift 2
  local -a envs=() flags=()
  for w in "$@"; do
    if [[ $w =~ ^[A-Z_][A-Z0-9_]*= ]]; then envs+=("$w"); else flags+=("$w"); fi
  done
  mkdir -p "$WORK/$name"
  (cd "${UP_TREE:-.}" && exec env UAT_BCRYPT_COST=4 UAT_RATE_LIMIT_REQUESTS=0 \
    UAT_RATE_LIMIT_CHATS=0 "${envs[@]}" ./uat up --provider echo --data "$WORK/$name" \
    --port-offset "$offset" "${flags[@]}") >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"
}

rss_mb() { # name: the resident memory of the process started as NAME (its java), in MB
  local pid; pid=$(cat "$WORK/$1.pid")
  echo $(( $(ps -o rss= -p "$(pgrep -P "$pid" java || echo "$pid")" | tr -d ' ') / 1024 ))
}

token() { # port: registers the benchmark user, prints its access token
  curl -sf -X POST "http://127.0.0.1:$1/api/auth/register" -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"bench password"}' |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}

load() { # port token connections seconds: one wrk run of POST /api/chat, its RESULT line
  UAT_TOKEN=$2 wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"$4"s -s bench/scripts/chat.lua "http://127.0.0.1:$1/api/chat" | grep RESULT
}

alternate() { # rounds seconds connections  name port token  [name port token …]
  # every platform is warmed up alike first (WARMUP_SECS at the connections, 5 s at one): the JIT
  # keeps compiling for a minute or more, so a platform that sat idle while the others ran starts
  # its rounds colder; then each round measures every platform once, in order
  local rounds=$1 secs=$2 conns=$3 warm=${WARMUP_SECS:-10}; shift 3
  local -a names=() ports=() tokens=()
  while [ $# -ge 3 ]; do names+=("$1"); ports+=("$2"); tokens+=("$3"); shift 3; done
  echo "warming up…" >&2
  local i r tp lat
  for i in "${!names[@]}"; do
    load "${ports[i]}" "${tokens[i]}" "$conns" "$warm" >/dev/null
    load "${ports[i]}" "${tokens[i]}" 1 5 >/dev/null
  done
  : >"$WORK/results"
  for r in $(seq 1 "$rounds"); do
    for i in "${!names[@]}"; do
      tp=$(load "${ports[i]}" "${tokens[i]}" "$conns" "$secs"); lat=$(load "${ports[i]}" "${tokens[i]}" 1 "$secs")
      echo "${names[i]} $tp | $lat" | tee -a "$WORK/results" >&2
    done
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
  # uncommitted changes are measured too: say so in the report's labels
  git diff --quiet HEAD -- . ':!docs' || HEAD_SHA="$HEAD_SHA+changes"
  git worktree add --detach "$WORK/baseline" "$1" >/dev/null 2>&1
  echo "building this tree ($HEAD_SHA) and the baseline ($BASE_SHA)…" >&2
  ./uat build >/dev/null
  (cd "$WORK/baseline" && ./uat build >/dev/null)
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b == 0) ? 0 : a / b}'; }

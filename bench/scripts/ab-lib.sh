# Shared by the A/B chat scripts (source it): two platforms on ports A and B, measured with wrk in
# alternating rounds so that the machine's noise falls on both. Needs WORK (a scratch directory).

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

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

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
errors() { grep -oE 'errors=[0-9]+' "$WORK/results" | cut -d= -f2 | paste -sd+ | bc; }

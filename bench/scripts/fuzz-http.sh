#!/usr/bin/env bash
# The long fuzzing run: it/src/test/java/dev/uat/it/reliability/FuzzTest against one real
# `uat up`, with a count instead of the suite's 20-second budget. Every input is posted to a real
# entry point (OTLP protobuf and JSON, Zipkin, the api's and the router's JSON bodies through the
# edge), plus WebSocket frames to the realtime hub and YAML files to `uat up --config`. Findings
# (any 5xx but the documented busy 503s, a non-JSON error, a dead process, a stack trace in the
# log, a settings file not ending in exit code 2 with a message) fail the run and are kept with
# their input in it/target/fuzz-findings/. Counts per target and statuses are printed.
#
#   bench/scripts/fuzz-http.sh [http-inputs=1000000] [ws-frames=100000] [yaml-files=200] [seed=13]
#   FUZZ_SECONDS=600 bench/scripts/fuzz-http.sh 0 0 50   # by time instead of count (HTTP and frames)
#
# On a fresh clone: needs a JDK 21+ (builds with ./mvnw in offline-capable, no-install mode:
# `package` of the modules it needs, then the one test class).
set -euo pipefail
cd "$(dirname "$0")/../.."
HTTP=${1:-1000000}; WS=${2:-100000}; YAML=${3:-200}; SEED=${4:-13}
JAVA_HOME=$(./uat java-home); export JAVA_HOME
START=$(date +%s)
set +e
./mvnw -B -q -pl it -am -Dspotless.check.skip=true -Dtest=FuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Duat.fuzz.inputs="$HTTP" -Duat.fuzz.ws.inputs="$WS" -Duat.fuzz.yaml="$YAML" -Duat.fuzz.seed="$SEED" \
  -Duat.fuzz.seconds="${FUZZ_SECONDS:-20}" -Dsurefire.timeout=0 verify
RC=$?
set -e
echo "---"
grep -h -E '^fuzz |^ws close' it/target/surefire-reports/dev.uat.it.reliability.FuzzTest-output.txt 2>/dev/null || true
echo "fuzz: seed $SEED, asked for $HTTP HTTP inputs, $WS WebSocket frames, $YAML settings files; $(( $(date +%s) - START )) s; exit $RC"
ls it/target/fuzz-findings 2>/dev/null | head -50
exit $RC

#!/usr/bin/env bash
# The long in-process fuzzing run: every decoder's fuzz test (dev.uat.telemetry.Fuzzer) with a count
# instead of the suite's 3-second budget, on the decoders themselves (no HTTP): the OTLP protobuf
# and JSON decoders and the Zipkin decoder (observatory), the router's chat and embeddings bodies
# (router), the router's YAML settings file (router; docs/reliability.md finding 13 made it slow
# until a settings line was capped), the api's request bodies (api), the realtime hub's client
# frames (realtime). Findings (an exception other than the
# decoder's documented rejection, allocation past the bound, an input taking over 2 s) fail the run
# and are kept with their input in MODULE/target/fuzz-findings/. Prints the count per target.
#
#   bench/scripts/fuzz.sh [inputs-per-target=170000] [seed=13]
#   (8 targets: 170,000 each is 1,360,000 inputs; about 3 minutes of fuzzing on 2 loaded cores for
#   the body targets, one more for the realtime frames: an input is up to 160 frames; the YAML
#   file target's rate is in docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-170000}; SEED=${2:-13}
JAVA_HOME=$(./uat java-home); export JAVA_HOME
START=$(date +%s)
set +e
./mvnw -B -q -fae -pl observatory,router,api,realtime -am -Dspotless.check.skip=true -Djacoco.skip=true \
  -Dtest='OtlpDecoderFuzzTest,ZipkinJsonDecoderFuzzTest,RouterInputFuzzTest,RequestBodyFuzzTest,FrameProtocolFuzzTest' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.inputs="$N" -Dfuzz.seed="$SEED" \
  verify
RC=$?
set -e
echo "---"
grep -h '^fuzz ' observatory/target/surefire-reports/*FuzzTest-output.txt \
  router/target/surefire-reports/*FuzzTest-output.txt \
  api/target/surefire-reports/*FuzzTest-output.txt \
  realtime/target/surefire-reports/*FuzzTest-output.txt 2>/dev/null | grep -v ' progress ' || true
TOTAL=$(grep -h -o '^fuzz [^ ]* inputs=[0-9]*' */target/surefire-reports/*FuzzTest-output.txt 2>/dev/null \
  | sed 's/.*inputs=//' | paste -sd+ | bc)
echo "fuzz in-process: seed $SEED, $N inputs per target, ${TOTAL:-0} in all; $(( $(date +%s) - START )) s; exit $RC"
ls */target/fuzz-findings 2>/dev/null | head -50
exit $RC

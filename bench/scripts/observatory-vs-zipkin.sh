#!/usr/bin/env bash
# The observatory beside Zipkin server 3.5.1 (in-memory storage), on the same spans, in one run:
# ingest spans/s, heap bytes per stored span, trace-by-id and search latency with every span
# stored. Each server runs alone in its own JVM (-Xmx6g, G1) on loopback; the client posts
# pre-encoded batches of 1,000 spans on 4 connections. Prints a Markdown table.
#
#   bench/scripts/observatory-vs-zipkin.sh [spans]     (default 1000000)
#
# Runs on a fresh clone: builds the observatory with the modules it needs (-am, nothing installed).
# Needs Maven Central for io.zipkin:zipkin-server:3.5.1:exec (fetched once into ~/.m2).
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=$(./uat java-home) || exit 1 # a JDK >= 21, found as the launcher finds it
export JAVA_HOME
spans=${1:-1000000}
out=observatory/target/bench
mkdir -p "$out"
# One reactor build of the observatory and the modules it depends on (-am: nothing is installed
# into ~/.m2, so the observatory's classpath must come from this same invocation); each module
# writes its classpath to the same file, and the observatory, built last, writes it last.
./mvnw -B -q -pl observatory -am test-compile dependency:build-classpath \
  -Dspotless.check.skip=true \
  -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$out/deps.txt"
./mvnw -B -q -N dependency:copy -Dartifact=io.zipkin:zipkin-server:3.5.1:jar:exec \
  -DoutputDirectory="$PWD/$out"
printf '%s:%s:%s\n' "$PWD/observatory/target/test-classes" "$PWD/observatory/target/classes" \
  "$(cat "$out/deps.txt")" > "$out/classpath.txt"
cd observatory
"$JAVA_HOME/bin/java" -Xmx4g -cp "$(cat "../$out/classpath.txt")" \
  dev.uat.observatory.bench.ZipkinComparison "../$out/zipkin-server-3.5.1-exec.jar" \
  "../$out/classpath.txt" "$spans"

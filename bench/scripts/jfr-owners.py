#!/usr/bin/env python3
"""CPU samples of a JFR recording by owner: which library's code was running.

    bench/scripts/jfr-owners.py recording.jfr [more.jfr ...]

Reads jdk.ExecutionSample events (`jfr print`, from the JDK that ./uat uses) and counts each
sample twice: "self" by the first frame that is not the JDK's (java., jdk., sun., com.sun.), and
"on stack" by every owner anywhere in the sample's stack (so a Jetty thread inside an H2 commit
counts for both). Prints a Markdown table, one column pair per recording.
"""
import os
import re
import subprocess
import sys
from collections import Counter

OWNERS = [  # first match wins
    ("H2", ("org.h2.",)),
    ("tracing (OpenTelemetry, observatory, dev.uat.telemetry)",
     ("io.opentelemetry.", "dev.uat.telemetry.", "dev.uat.observatory.")),
    ("okhttp", ("okhttp3.", "okio.")),
    ("Jetty and Javalin", ("org.eclipse.jetty.", "io.javalin.")),
    ("Jackson", ("com.fasterxml.",)),
    ("JDK HttpClient", ("jdk.internal.net.http.",)),
    ("HikariCP", ("com.zaxxer.",)),
    ("the platform's own code (dev.uat)", ("dev.uat.",)),
]
JDK = ("java.", "jdk.", "sun.", "com.sun.")


def owner(frame):
    for name, prefixes in OWNERS:
        if frame.startswith(prefixes):
            return name
    return None


def samples(path):
    java = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "jfr")
    out = subprocess.run(
        [java if os.path.exists(java) else "jfr", "print", "--stack-depth", "96",
         "--events", "jdk.ExecutionSample", path],
        check=True, capture_output=True, text=True).stdout
    for block in out.split("jdk.ExecutionSample {")[1:]:
        m = re.search(r"stackTrace = \[(.*?)\n\s*\]", block, re.S)
        if not m:
            continue
        yield [line.strip() for line in m.group(1).splitlines() if line.strip()
               and not line.strip().startswith("...")]


def count(path):
    own, anywhere, total = Counter(), Counter(), 0
    for frames in samples(path):
        total += 1
        first = next((f for f in frames if not f.startswith(JDK) or f.startswith(
            "jdk.internal.net.http.")), None)
        own[(owner(first) if first else None) or ("other" if first else "JDK only")] += 1
        for o in {owner(f) for f in frames} - {None}:
            anywhere[o] += 1
    return total, own, anywhere


def main(paths):
    results = [count(p) for p in paths]
    names = [os.path.basename(p) for p in paths]
    print("| owner | " + " | ".join(f"{n}: self | {n}: on stack" for n in names) + " |")
    print("|---|" + "---|---|" * len(names))
    print("| all samples | " + " | ".join(f"{t:,} | " for t, _, _ in results) + " |")
    rows = [name for name, _ in OWNERS] + ["other", "JDK only"]
    for row in rows:
        cells = []
        for total, own, anywhere in results:
            s = own.get(row, 0)
            a = anywhere.get(row, 0) if row not in ("other", "JDK only") else None
            cells.append(f"{s:,} ({100 * s / max(total, 1):.1f} %)")
            cells.append("" if a is None else f"{a:,} ({100 * a / max(total, 1):.1f} %)")
        print(f"| {row} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])

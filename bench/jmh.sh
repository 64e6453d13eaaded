#!/usr/bin/env bash
# jmh.sh: runs the JMH benchmarks of the fan-out hot path from the bench jar (built by bench/danmaku-bench).
#   bench/jmh.sh                        all benchmarks (about 5 minutes on 2 cores)
#   bench/jmh.sh EncoderBenchmark -p batch=10
#   bench/jmh.sh -l                     list them
# Arguments are JMH's own (org.openjdk.jmh.Main); results are also written to bench/results/jmh-<time>.json.
set -euo pipefail
home="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$home/bench/danmaku-bench" --version >/dev/null   # builds the jar when needed
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jar="$(ls "$home"/bench/target/danmaku-bench-*.jar | grep -v -e '-tests.jar' -e '-sources.jar' | head -n 1)"
mkdir -p "$home/bench/results"
exec "$java" -cp "$jar:$home/bench/target/lib/*" org.openjdk.jmh.Main -rf json \
  -rff "$home/bench/results/jmh-$(date +%Y%m%d-%H%M%S).json" "$@"

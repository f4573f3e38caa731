#!/usr/bin/env bash
# JMH benchmarks of Isola's hot paths (src/jmh/java). Each benchmark class carries a baseline method measured in
# the same run; compare the two rows, not absolute numbers (the machine is shared).
#   bench/jmh.sh                  all benchmarks
#   bench/jmh.sh AcquireRelease   benchmarks whose name matches the regex
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for candidate in ${JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64; do
  [ -x "$candidate/bin/javac" ] && export JAVA_HOME="$candidate" && break
done
export PATH="$JAVA_HOME/bin:$PATH"
cd "$ROOT"
exec mvn -q -B -ntp -Pjmh test-compile exec:exec -Djmh.args="${1:-.*}"
